import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../errors.js';
import { ID_LENGTH, IdGenerator, idTime, idTimePrefix, isEventId, validateEventInput } from './model.js';

test('ids carry their millisecond and sort in time order', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), (a, b) => {
      const gen = new IdGenerator();
      const ia = gen.next(a);
      const ib = gen.next(b);
      assert.equal(ia.length, ID_LENGTH);
      assert.ok(isEventId(ia) && isEventId(ib));
      assert.equal(idTime(ia), a);
      assert.equal(idTime(ib), b);
      if (a !== b) assert.equal(ia < ib, a < b);
    }),
  );
  assert.equal(idTimePrefix(0), '0000000000');
  assert.equal(idTime(idTimePrefix(1_767_225_600_000.9) + '0'.repeat(16)), 1_767_225_600_000);
});

test('ids of one millisecond are distinct and keep generation order', () => {
  const gen = new IdGenerator();
  const ids = Array.from({ length: 1000 }, () => gen.next(1_767_225_600_000));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  // A different generator (another process) draws a different random part.
  assert.notEqual(new IdGenerator().next(1_767_225_600_000), ids[0]);
});

test('validateEventInput keeps known fields in order and rejects with the field named', () => {
  const { event, snapshot } = validateEventInput({ camera: 'c', plugin: 'p', type: 't', severity: 'warning', startedAt: 5, zone: 'z' });
  assert.deepEqual(event, { camera: 'c', plugin: 'p', type: 't', severity: 'warning', startedAt: 5, zone: 'z' });
  assert.equal(snapshot, undefined);
  const base = { camera: 'c', plugin: 'p', type: 't', severity: 'info', startedAt: 5 };
  const cases: [unknown, string][] = [
    [{ ...base, camera: 'a\u0000b' }, 'invalid event: camera must not contain control characters'],
    [{ ...base, plugin: 'x'.repeat(129) }, 'invalid event: plugin must be at most 128 characters'],
    [{ ...base, startedAt: -1 }, 'invalid event: startedAt must be epoch milliseconds (a finite number ≥ 0)'],
    [{ ...base, trackId: '3' }, 'invalid event: trackId must be a finite number'],
    [{ ...base, boxes: {} }, 'invalid event: boxes must be an array'],
    [{ ...base, boxes: [{ label: 'a', score: 1, box: [0, 0, 1, 1], extra: 1 }] }, 'invalid event: boxes[0].extra is not a detection field'],
    [{ ...base, attributes: [] }, 'invalid event: attributes must be a plain object'],
    [{ ...base, attributes: { a: { b: undefined } } }, 'invalid event: attributes.a.b must be JSON-compatible (got undefined)'],
    [{ ...base, attributes: { big: 1n } }, 'invalid event: attributes.big must be JSON-compatible (got bigint)'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => validateEventInput(input), (err: Error) => err instanceof ProtocolError && err.message === message);
  }
});
