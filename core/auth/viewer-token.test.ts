import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { ViewerTokenError, ViewerTokens } from './viewer-token.js';

const SECRET = 'a test secret that is long enough, 32+ bytes';

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ViewerTokenError, `a ViewerTokenError, not ${String(err)}`);
    return err.reason;
  }
  assert.fail('the token was accepted');
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('viewer tokens', () => {
  const tokens = new ViewerTokens(SECRET, { maxTtlS: 600 });

  it('lets the bearer watch its camera until it expires', async () => {
    const now = Date.UTC(2026, 10, 24, 9, 0, 0);
    const { token, expiresAt } = tokens.issue('gate1', 60, now);
    assert.equal(expiresAt, now + 60_000);
    assert.deepEqual(tokens.verify(token, 'gate1', now + 59_000), { camera: 'gate1', expiresAt });
    assert.equal(refusal(() => tokens.verify(token, 'gate1', now + 61_000)), 'expired');
  });

  it('refuses a token for another camera', async () => {
    const { token } = tokens.issue('gate1', 60);
    assert.equal(refusal(() => tokens.verify(token, 'gate2')), 'wrong-camera');
  });

  it('refuses a tampered signature, a tampered claim and a token signed with another secret', async () => {
    const { token } = tokens.issue('gate1', 60);
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
    assert.equal(refusal(() => tokens.verify(`${h}.${p}.${flipped}`, 'gate1')), 'bad-signature');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { sub: string };
    const otherCamera = b64(JSON.stringify({ ...claims, sub: 'gate2' }));
    assert.equal(refusal(() => tokens.verify(`${h}.${otherCamera}.${s}`, 'gate2')), 'bad-signature');
    const other = new ViewerTokens('another secret, also at least 32 bytes long');
    assert.equal(refusal(() => other.verify(token, 'gate1')), 'bad-signature');
  });

  it('refuses unsigned and malformed tokens, and a token that lasts longer than its claims allow', async () => {
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify({ aud: 'streamsight:view', sub: 'gate1', exp: now + 60 }))}.`;
    assert.equal(refusal(() => tokens.verify(none, 'gate1')), 'malformed');
    for (const junk of ['', 'abc', 'a.b.c', 'x'.repeat(5000)]) assert.equal(refusal(() => tokens.verify(junk, 'gate1')), 'malformed', junk.slice(0, 10));
    // Signed with the right secret but for another audience (e.g. a token meant for something else).
    const header = b64('{"alg":"HS256","typ":"JWT"}');
    const body = b64(JSON.stringify({ aud: 'other', sub: 'gate1', exp: now + 60 }));
    const sig = createHmac('sha256', SECRET).update(`${header}.${body}`).digest('base64url');
    assert.equal(refusal(() => tokens.verify(`${header}.${body}.${sig}`, 'gate1')), 'malformed');
    // No expiry at all.
    const forever = b64(JSON.stringify({ aud: 'streamsight:view', sub: 'gate1' }));
    const sig2 = createHmac('sha256', SECRET).update(`${header}.${forever}`).digest('base64url');
    assert.equal(refusal(() => tokens.verify(`${header}.${forever}.${sig2}`, 'gate1')), 'malformed');
  });

  it('caps the lifetime at maxTtlS and refuses a short secret', async () => {
    const now = Date.now();
    const { expiresAt } = tokens.issue('gate1', 86_400, now);
    assert.ok(expiresAt - now <= 600_000 + 1000, `expires in ${(expiresAt - now) / 1000} s`);
    assert.throws(() => new ViewerTokens('short'), /at least 32 bytes/);
  });
});
