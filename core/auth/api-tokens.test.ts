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
  it('blocks an address for blockS once it fails maxFailures times in the window, and only that address', () => {
    const limiter = new FailedAuthLimiter({ maxFailures: 3, windowS: 60, blockS: 120 });
    const t = 1_000_000;
    assert.equal(limiter.retryAfterS('10.0.0.1', t), 0);
    assert.equal(limiter.failed('10.0.0.1', t), 0);
    assert.equal(limiter.failed('10.0.0.1', t + 1000), 0);
    assert.equal(limiter.retryAfterS('10.0.0.1', t + 1000), 0, 'two failures of three allowed');
    assert.equal(limiter.failed('10.0.0.1', t + 2000), 120, 'the third failure blocks');
    assert.equal(limiter.retryAfterS('10.0.0.1', t + 62_000), 60, 'still blocked after the window, until blockS ends');
    assert.equal(limiter.retryAfterS('10.0.0.1', t + 122_000), 0);
    assert.equal(limiter.blockedTotal, 1);
    assert.equal(limiter.retryAfterS('10.0.0.2', t + 3000), 0, 'another address is not affected');
  });

  it('forgets failures once their window is over', () => {
    const limiter = new FailedAuthLimiter({ maxFailures: 3, windowS: 60 });
    limiter.failed('a', 0);
    limiter.failed('a', 1000);
    assert.equal(limiter.failed('a', 61_000), 0, 'a new window: one failure so far');
    assert.equal(limiter.failed('a', 62_000), 0);
  });

  it('tracks at most maxAddresses, forgetting the stalest', () => {
    const limiter = new FailedAuthLimiter({ maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) limiter.failed(`10.0.${i >> 8}.${i & 255}`, i);
    assert.equal(limiter.tracked, 100);
  });
});
