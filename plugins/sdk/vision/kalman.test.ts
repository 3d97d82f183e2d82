import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BoxKalman, CHI2_95_4DOF, DEFAULT_KALMAN_NOISE, type KalmanNoise } from './kalman.js';
import type { Box } from './types.js';

const box = (cx: number, cy: number, w: number, h: number): Box => ({ x: cx - w / 2, y: cy - h / 2, w, h });

/** The textbook 8-state filter with dense 8×8 matrices, to check the block-diagonal shortcut against. */
class DenseKalman {
  x: number[];
  P: number[][];
  constructor(
    b: Box,
    private n: KalmanNoise,
  ) {
    this.x = [b.x + b.w / 2, b.y + b.h / 2, b.w, b.h, 0, 0, 0, 0];
    const s = [b.w, b.h, b.w, b.h];
    this.P = diag([...s.map((v) => (2 * n.measurement * v) ** 2), ...s.map((v) => (n.initialVelocity * v) ** 2)]);
  }
  predict(dt: number) {
    const F = diag(Array(8).fill(1));
    for (let k = 0; k < 4; k++) F[k]![k + 4] = dt;
    const s = [this.x[2]!, this.x[3]!, this.x[2]!, this.x[3]!];
    const Q = diag([...s.map((v) => (this.n.position * v) ** 2 * dt), ...s.map((v) => (this.n.velocity * v) ** 2 * dt)]);
    this.x = mulVec(F, this.x);
    this.P = add(mul(mul(F, this.P), transpose(F)), Q);
  }
  update(b: Box) {
    const z = [b.x + b.w / 2, b.y + b.h / 2, b.w, b.h];
    const H = Array.from({ length: 4 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 1 : 0)));
    const s = [this.x[2]!, this.x[3]!, this.x[2]!, this.x[3]!];
    const S = add(mul(mul(H, this.P), transpose(H)), diag(s.map((v) => (this.n.measurement * v) ** 2)));
    const K = mul(mul(this.P, transpose(H)), inverse(S));
    const y = z.map((v, i) => v - mulVec(H, this.x)[i]!);
    this.x = this.x.map((v, i) => v + mulVec(K, y)[i]!);
    const I = diag(Array(8).fill(1));
    this.P = mul(add(I, mul(K, H).map((r) => r.map((v) => -v))), this.P);
  }
}
const diag = (d: number[]) => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
const transpose = (A: number[][]) => A[0]!.map((_, j) => A.map((r) => r[j]!));
const mul = (A: number[][], B: number[][]) => A.map((r) => B[0]!.map((_, j) => r.reduce((s, v, k) => s + v * B[k]![j]!, 0)));
const mulVec = (A: number[][], x: number[]) => A.map((r) => r.reduce((s, v, k) => s + v * x[k]!, 0));
const add = (A: number[][], B: number[][]) => A.map((r, i) => r.map((v, j) => v + B[i]![j]!));
function inverse(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...r.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const d = M[c]![c]!;
    M[c] = M[c]!.map((v) => v / d);
    for (let r = 0; r < n; r++) if (r !== c) M[r] = M[r]!.map((v, j) => v - M[r]![c]! * M[c]![j]!);
  }
  return M.map((r) => r.slice(n));
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (±${tol})`);

describe('BoxKalman', () => {
  it('starts at the measured box with zero velocity', () => {
    const k = new BoxKalman({ x: 10, y: 20, w: 30, h: 40 });
    assert.deepEqual(k.box(), { x: 10, y: 20, w: 30, h: 40 });
    assert.deepEqual(k.velocity(), { x: 0, y: 0 });
  });

  it('learns a constant velocity in px/s from irregular frame intervals', () => {
    const k = new BoxKalman(box(100, 200, 40, 30));
    const dts = [0.2, 0.2, 0.6, 0.04, 0.2, 1.0, 0.1, 0.3, 0.2, 0.2, 0.5, 0.2, 0.2, 0.2];
    let t = 0;
    for (const dt of dts) {
      t += dt;
      k.predict(dt);
      k.update(box(100 + 80 * t, 200 - 30 * t, 40, 30));
    }
    close(k.velocity().x, 80, 4, 'vx');
    close(k.velocity().y, -30, 2, 'vy');
    // Coasting 0.5 s more follows the motion.
    k.predict(0.5);
    close(k.box().x + 20, 100 + 80 * (t + 0.5), 3, 'predicted cx');
  });

  it('grows its uncertainty with the time coasted, and gates accordingly', () => {
    const k = new BoxKalman(box(100, 100, 40, 40));
    for (let i = 1; i <= 10; i++) {
      k.predict(0.2);
      k.update(box(100 + 10 * i, 100, 40, 40));
    }
    const offsetFromPrediction = () => box(k.mean[0]! + 25, k.mean[1]!, 40, 40);
    k.predict(0.2);
    close(k.mahalanobis(k.box()), 0, 1e-9, 'distance at the prediction');
    const shortGap = k.mahalanobis(offsetFromPrediction());
    k.predict(2.0);
    const longGap = k.mahalanobis(offsetFromPrediction());
    assert.ok(shortGap > CHI2_95_4DOF, `25 px off after 0.2 s is outside the gate (${shortGap})`);
    assert.ok(longGap < CHI2_95_4DOF, `the same offset is inside it after 2 s coasting (${longGap})`);
  });

  it('is scale-invariant: noise follows the box size', () => {
    const run = (f: number) => {
      const k = new BoxKalman(box(50 * f, 60 * f, 20 * f, 10 * f));
      for (let i = 1; i <= 5; i++) {
        k.predict(0.2);
        k.update(box((50 + 7 * i) * f, (60 + 3 * i) * f, (20 + i) * f, 10 * f));
      }
      return k.mean;
    };
    const a = run(1);
    const b = run(10);
    for (let i = 0; i < 8; i++) close(b[i]!, 10 * a[i]!, 1e-9 * Math.abs(b[i]!) + 1e-9, `state ${i}`);
  });

  it('never lets a shrinking box turn inside out', () => {
    const k = new BoxKalman(box(100, 100, 40, 40));
    k.mean[6] = -500;
    k.predict(1);
    assert.equal(k.box().w, 1);
    assert.equal(k.mean[6], 0);
    k.freezeSize();
    assert.equal(k.mean[7], 0);
  });

  it('equals the dense 8-state filter on random sequences', () => {
    const step = fc.record({
      dt: fc.double({ min: 0.01, max: 1, noNaN: true }),
      dx: fc.double({ min: -30, max: 30, noNaN: true }),
      dy: fc.double({ min: -30, max: 30, noNaN: true }),
      dw: fc.double({ min: -3, max: 5, noNaN: true }),
      dh: fc.double({ min: -2, max: 5, noNaN: true }),
      measured: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        let b = box(200, 150, 60, 40);
        const fast = new BoxKalman(b);
        const dense = new DenseKalman(b, DEFAULT_KALMAN_NOISE);
        for (const s of steps) {
          fast.predict(s.dt);
          dense.predict(s.dt);
          b = box(b.x + b.w / 2 + s.dx, b.y + b.h / 2 + s.dy, b.w + s.dw, b.h + s.dh);
          if (s.measured) {
            fast.update(b);
            dense.update(b);
          }
        }
        for (let i = 0; i < 8; i++) close(fast.mean[i]!, dense.x[i]!, 1e-6 * (1 + Math.abs(dense.x[i]!)), `mean[${i}]`);
        for (let k = 0; k < 4; k++) {
          close(fast.cov[3 * k]!, dense.P[k]![k]!, 1e-6 * (1 + dense.P[k]![k]!), `P[${k}][${k}]`);
          close(fast.cov[3 * k + 1]!, dense.P[k]![k + 4]!, 1e-6 * (1 + Math.abs(dense.P[k]![k + 4]!)), `P[${k}][${k + 4}]`);
          close(fast.cov[3 * k + 2]!, dense.P[k + 4]![k + 4]!, 1e-6 * (1 + dense.P[k + 4]![k + 4]!), `P[${k + 4}][${k + 4}]`);
        }
      }),
      { numRuns: 200, seed: 8 },
    );
  });
});
