import { strict as assert } from 'node:assert';
import { finalDistribution } from '../../../src/core/sampling/chain';
import { temperature } from '../../../src/core/sampling/temperature';
import type { SamplerSpec } from '../../../src/core/sampling/types';
import { setOf, softmax, survivors } from './fixtures';

const sampleAt = (t: number): SamplerSpec => ({ stages: [{ type: 'temperature', t }], select: 'sample' });

/** Probability by token id from a final distribution. */
function probsById(logits: Float32Array, spec: SamplerSpec): number[] {
  const d = finalDistribution(spec, logits, []);
  const out = new Array<number>(logits.length).fill(0);
  d.tokens.forEach((t, i) => (out[t] = d.probs[i]!));
  return out;
}

describe('temperature', () => {
  const logits = Float32Array.from([2, 1, 0.5, -1, -3]);

  it('temperature makes P = softmax(logits / T)', () => {
    for (const t of [0.3, 0.8, 1, 1.5, 4]) {
      const expected = softmax(Array.from(logits, (x) => x / t));
      const got = probsById(logits, sampleAt(t));
      got.forEach((p, i) => assert.ok(Math.abs(p - expected[i]!) < 1e-12, `T ${t}, token ${i}: ${p} vs ${expected[i]}`));
    }
  });

  it('T = 1 leaves the logits as they are', () => {
    const c = setOf(logits);
    temperature(c, 1);
    assert.deepEqual(Array.from(c.logits.subarray(0, c.size)), Array.from(logits));
  });

  it('T = 0 is greedy: only the argmax survives, ties to the lower id', () => {
    const c = setOf([0.5, 3, 1, 3]);
    temperature(c, 0);
    assert.deepEqual(survivors(c), [1]);
    const d = probsById(Float32Array.from([0.5, 3, 1, 3]), sampleAt(0));
    assert.deepEqual(d, [0, 1, 0, 0]);
  });

  it('as T goes to 0 the distribution approaches greedy', () => {
    const p = probsById(logits, sampleAt(0.01));
    assert.ok(p[0]! > 1 - 1e-12);
  });

  it('a vanishingly small T behaves as greedy, without NaN or overflow', () => {
    const row = Float32Array.from([1e4, 9999, -1e4]);
    const p = probsById(row, sampleAt(1e-306));
    assert.deepEqual(p, [1, 0, 0]);
  });

  it('large logits (1e4) do not overflow: the max is subtracted before exp', () => {
    const row = Float32Array.from([10000, 9999, 9998, -10000]);
    const expected = softmax([0, -1, -2, -20000]);
    for (const t of [1, 0.5]) {
      const p = probsById(row, sampleAt(t));
      const want = t === 1 ? expected : softmax([0, -2, -4, -40000]);
      p.forEach((q, i) => assert.ok(Number.isFinite(q) && Math.abs(q - want[i]!) < 1e-12));
    }
  });
});
