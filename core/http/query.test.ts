import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../errors.js';
import { idParam, intParam, parseQuery, parseTime, timeParam } from './query.js';

describe('parseTime', () => {
  it('reads epoch ms and ISO 8601 with Z or an offset', () => {
    assert.equal(parseTime('0'), 0);
    assert.equal(parseTime('1768478400000'), 1768478400000);
    assert.equal(parseTime('2026-01-15'), Date.UTC(2026, 0, 15));
    assert.equal(parseTime('2026-01-15T12:00Z'), Date.UTC(2026, 0, 15, 12));
    assert.equal(parseTime('2026-01-15T12:00:30.25Z'), Date.UTC(2026, 0, 15, 12, 0, 30, 250));
    assert.equal(parseTime('2026-01-15t12:00:30,123456789z'), Date.UTC(2026, 0, 15, 12, 0, 30, 123));
    assert.equal(parseTime('2026-01-15 13:30:00+01:30'), Date.UTC(2026, 0, 15, 12));
    assert.equal(parseTime('2026-01-15T07:00:00-0500'), Date.UTC(2026, 0, 15, 12));
    assert.equal(parseTime('2026-01-15T14:00:00+02'), Date.UTC(2026, 0, 15, 12));
    assert.equal(parseTime('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });

  it('refuses what Date.parse would roll over or guess', () => {
    for (const bad of [
      '2026-02-29T00:00:00Z', '2026-02-30', '2026-13-01', '2026-00-10', '2026-01-15T24:00:00Z', '2026-01-15T12:60Z',
      '2026-01-15T12:00:60Z', '2026-01-15T12:00:00', '2026-01-15T12:00:00+24:00', '1969-12-31', '26-01-15', 'yesterday',
      '', '-1', '1e12', '0x10', '99999999999999999', '2026-01-15T12:00:00Z ', ' 2026-01-15',
    ]) {
      assert.equal(parseTime(bad), undefined, bad);
    }
  });
});

describe('parseQuery', () => {
  const spec = { camera: idParam, limit: intParam(1, 10), from: timeParam };
  const reject = (raw: string, message: RegExp) =>
    assert.throws(() => parseQuery(raw, spec), (err: unknown) => err instanceof ProtocolError && message.test(err.message), raw);

  it('parses the given parameters and nothing else', () => {
    assert.deepEqual(parseQuery(undefined, spec), {});
    assert.deepEqual(parseQuery('', spec), {});
    assert.deepEqual(parseQuery('camera=gate1&&limit=10&', spec), { camera: 'gate1', limit: 10 });
    assert.deepEqual(parseQuery('from=2026-01-15T13:00:00%2B01:00', spec), { from: Date.UTC(2026, 0, 15, 12) });
    assert.deepEqual(parseQuery('ca%6Dera=gate%31&limit=007', spec), { camera: 'gate1', limit: 7 });
  });

  it('names the parameter in every rejection', () => {
    reject('camera', /^camera: expected an id/);
    reject('limit=11', /^limit: expected an integer from 1 to 10$/);
    reject('limit=1&limit=1', /^limit: given more than once$/);
    reject('toString=1', /^toString: unknown parameter/);
    reject('__proto__=1', /^__proto__: unknown parameter/);
    reject('x%00y=1', /^x\?y: unknown parameter/);
    reject(`${'z'.repeat(100)}=1`, /^z{40}…: unknown parameter/);
    reject('%ZZ=1', /^query parameter name: malformed percent-encoding$/);
    reject('from=2026-01-15T13:00:00+01:00', /^from: .*encode '\+' as %2B/);
  });
});
