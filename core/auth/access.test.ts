import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessPolicy, presentedToken, requiredRole, type AccessRequest } from './access.js';
import { ApiTokens, FailedAuthLimiter } from './api-tokens.js';
import { ViewerTokens } from './viewer-token.js';

const ADMIN = 'admin-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const SECRET = 'viewer token secret, at least thirty-two bytes';

function policy(tokens = [{ name: 'ops', token: ADMIN, role: 'admin' as const }, { name: 'wall', token: VIEWER, role: 'viewer' as const }]) {
  return new AccessPolicy(new ApiTokens(tokens), new ViewerTokens(SECRET), new FailedAuthLimiter({ maxFailures: 3, windowS: 60, blockS: 300 }));
}

function req(method: string, path: string, opts: { bearer?: string; query?: string; address?: string } = {}): AccessRequest {
  return { method, path, query: opts.query ?? '', authorization: opts.bearer ? `Bearer ${opts.bearer}` : '', address: opts.address ?? '10.0.0.9' };
}

describe('access policy', () => {
  it('classifies routes: public page and health, viewer reads and WHEP, admin changes', () => {
    assert.equal(requiredRole('GET', '/healthz'), 'public');
    assert.equal(requiredRole('GET', '/'), 'public');
    assert.equal(requiredRole('GET', '/assets/index-abc.js'), 'public');
    assert.equal(requiredRole('GET', '/player.js'), 'public');
    assert.equal(requiredRole('OPTIONS', '/api/events'), 'public');
    assert.equal(requiredRole('GET', '/api/events'), 'viewer');
    assert.equal(requiredRole('GET', '/ws'), 'viewer');
    assert.equal(requiredRole('GET', '/metrics'), 'viewer');
    assert.equal(requiredRole('POST', '/whep/gate1'), 'viewer');
    assert.equal(requiredRole('DELETE', '/whep/gate1/abc'), 'viewer');
    assert.equal(requiredRole('POST', '/api/viewer-tokens'), 'viewer');
    assert.equal(requiredRole('PUT', '/api/cameras/gate1/geometry/red-light'), 'admin');
  });

  it('reads the credential from the Bearer header, else from ?token=', () => {
    assert.equal(presentedToken('Bearer abc', ''), 'abc');
    assert.equal(presentedToken('bearer   abc  ', 'token=zzz'), 'abc');
    assert.equal(presentedToken('', 'camera=x&token=zzz'), 'zzz');
    assert.equal(presentedToken('Basic dXNlcjpwYXNz', ''), undefined);
    assert.equal(presentedToken('', ''), undefined);
  });

  it('is open when no API token is configured', () => {
    const open = policy([]);
    assert.equal(open.enabled, false);
    assert.equal(open.check(req('PUT', '/api/cameras/gate1/geometry/lane')).allowed, true);
  });

  it('lets admin do everything and viewer read, and refuses the wrong role with 403', () => {
    const p = policy();
    assert.equal(p.check(req('PUT', '/api/cameras/gate1/geometry/lane', { bearer: ADMIN })).allowed, true);
    assert.equal(p.check(req('GET', '/api/events', { bearer: VIEWER })).allowed, true);
    assert.equal(p.check(req('GET', '/ws', { query: `token=${VIEWER}` })).allowed, true);
    const wrongRole = p.check(req('PUT', '/api/cameras/gate1/geometry/lane', { bearer: VIEWER }));
    assert.deepEqual(wrongRole.allowed ? undefined : [wrongRole.status, wrongRole.message],
      [403, "the 'viewer' role may not PUT /api/cameras/gate1/geometry/lane: it needs 'admin'"]);
    assert.equal(p.check(req('GET', '/healthz')).allowed, true, 'public without a credential');
  });

  it('answers 401 with WWW-Authenticate for a missing or wrong token', () => {
    const p = policy();
    for (const r of [req('GET', '/api/events'), req('GET', '/api/events', { bearer: 'nope-nope-nope' })]) {
      const d = p.check(r);
      assert.equal(d.allowed, false);
      if (!d.allowed) {
        assert.equal(d.status, 401);
        assert.equal(d.headers?.['WWW-Authenticate'], 'Bearer realm="streamsight"');
      }
    }
    assert.deepEqual({ ...p.stats, allowed: 0 }, { allowed: 0, missing: 1, invalid: 1, forbidden: 0, throttled: 0 });
  });

  it('lets a viewer token play its camera over WHEP, and nothing else', () => {
    const p = policy();
    const { token } = p.issueViewerToken('gate1', 60);
    assert.deepEqual(p.check(req('POST', '/whep/gate1', { query: `token=${token}` })), { allowed: true, camera: 'gate1' });
    assert.equal(p.check(req('DELETE', '/whep/gate1/s1', { bearer: token })).allowed, true);
    const other = p.check(req('POST', '/whep/gate2', { bearer: token }));
    assert.deepEqual(other.allowed ? undefined : [other.status, other.message], [403, "viewer token: not for camera 'gate2'"]);
    const api = p.check(req('GET', '/api/events', { bearer: token }));
    assert.equal(api.allowed ? 0 : api.status, 403, 'not the API');
  });

  it('refuses an expired viewer token and a tampered one with 401', () => {
    const p = policy();
    const expired = new ViewerTokens(SECRET).issue('gate1', 1, Date.now() - 10_000).token;
    const e = p.check(req('POST', '/whep/gate1', { bearer: expired }));
    assert.deepEqual(e.allowed ? undefined : [e.status, e.message], [401, 'viewer token: expired']);
    const { token } = p.issueViewerToken('gate1', 60);
    const tampered = token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);
    const t = p.check(req('POST', '/whep/gate1', { bearer: tampered }));
    assert.deepEqual(t.allowed ? undefined : [t.status, t.message], [401, 'viewer token: bad signature']);
    const forged = new ViewerTokens('another secret that is 32 bytes or more').issue('gate1', 60).token;
    assert.equal(p.check(req('POST', '/whep/gate1', { bearer: forged })).allowed, false);
  });

  it('throttles an address that keeps failing with 429 and Retry-After, even when it then sends a good token', () => {
    const p = policy();
    for (let i = 0; i < 3; i++) p.check(req('GET', '/api/events', { bearer: `guess-${i}`, address: '10.6.6.6' }));
    const d = p.check(req('GET', '/api/events', { bearer: ADMIN, address: '10.6.6.6' }));
    assert.equal(d.allowed ? 0 : d.status, 429);
    if (!d.allowed) assert.ok(Number(d.headers?.['Retry-After']) > 250);
    assert.equal(p.check(req('GET', '/api/events', { bearer: ADMIN, address: '10.0.0.1' })).allowed, true, 'other addresses are served');
    assert.equal(p.stats.throttled, 1);
  });
});
