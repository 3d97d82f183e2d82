import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { allows, ApiTokens, FailedAuthLimiter } from './api-tokens.js';

describe('API tokens', () => {
  const opsToken = 'ops-0123456789abcdef';
  const wallToken = 'wall-0123456789abcdef';
  const tokens = new ApiTokens([
    { name: 'ops', token: opsToken, role: 'admin' },
    { name: 'wall', token: `sha256:${createHash('sha256').update(wallToken).digest('hex')}`, role: 'viewer' },
  ]);

  it('finds the holder and role of a token given plainly or as its SHA-256 in the config', () => {
    assert.deepEqual(tokens.check(opsToken), { name: 'ops', role: 'admin' });
    assert.deepEqual(tokens.check(wallToken), { name: 'wall', role: 'viewer' });
    assert.equal(tokens.configured, true);
  });

  it('refuses unknown tokens, prefixes, extensions and the stored digest itself', () => {
    for (const t of ['', 'ops', opsToken.slice(0, -1), `${opsToken}x`, opsToken.toUpperCase(), createHash('sha256').update(wallToken).digest('hex')]) {
      assert.equal(tokens.check(t), undefined, t);
    }
    assert.equal(new ApiTokens([]).configured, false);
  });

  it('lets admin do what viewer may, and not the other way round', () => {
    assert.equal(allows('admin', 'admin'), true);
    assert.equal(allows('admin', 'viewer'), true);
    assert.equal(allows('viewer', 'viewer'), true);
    assert.equal(allows('viewer', 'admin'), false);
  });
});

describe('failed authentication limiter', () => {
  it('blocks an address after maxFailures in the window, and only that address', async () => {
    const limiter = new FailedAuthLimiter({ maxFailures: 3, windowS: 60, blockS: 120 });
    assert.equal(await limiter.retryAfterS('10.0.0.1'), 0);
    assert.equal(await limiter.failed('10.0.0.1'), 0);
    assert.equal(await limiter.failed('10.0.0.1'), 0);
    assert.equal(await limiter.retryAfterS('10.0.0.1'), 0, 'two failures of three allowed');
    const third = await limiter.failed('10.0.0.1');
    assert.ok(third > 0 && third <= 60, `the third failure uses up the window: retry after ${third} s`);
    assert.ok((await limiter.retryAfterS('10.0.0.1')) > 0, 'blocked now');
    const blocked = await limiter.failed('10.0.0.1');
    assert.ok(blocked > 60 && blocked <= 120, `a failure past the limit blocks for blockS: ${blocked} s`);
    assert.equal(limiter.blockedTotal, 1);
    assert.equal(await limiter.retryAfterS('10.0.0.2'), 0, 'another address is not affected');
  });
});
