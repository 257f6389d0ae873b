/** Small, visible fixtures and reference implementations for the sampling tests. */
import { createCandidateSet, loadLogits } from '../../../src/core/sampling/candidates';
import { createRng } from '../../../src/core/sampling/rng';
import type { CandidateSet } from '../../../src/core/sampling/types';

/** Logits whose softmax is exactly `probs` (up to float32 rounding). */
export function logitsOf(probs: readonly number[]): Float32Array {
  return Float32Array.from(probs, (p) => Math.log(p));
}

/** A fresh candidate set holding `logits` as the whole vocabulary. */
export function setOf(logits: ArrayLike<number>): CandidateSet {
  const row = Float32Array.from(logits as ArrayLike<number>);
  const c = createCandidateSet(row.length);
  loadLogits(c, row);
  return c;
}

/** The surviving token ids, in position order. */
export function survivors(c: CandidateSet): number[] {
  return Array.from(c.ids.subarray(0, c.size));
}

/** The surviving token ids, sorted ascending. */
export function survivorSet(c: CandidateSet): number[] {
  return survivors(c).sort((a, b) => a - b);
}

/** Token → working logit for the survivors. */
export function logitsById(c: CandidateSet): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < c.size; i++) out.set(c.ids[i]!, c.logits[i]!);
  return out;
}

/** softmax over plain numbers, computed the textbook way (for reference values). */
export function softmax(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** Token ids ordered by descending value, ties by lower id: the documented tie rule. */
export function rankByValue(values: ArrayLike<number>, ids?: readonly number[]): number[] {
  const tokens = ids ? [...ids] : Array.from({ length: values.length }, (_, i) => i);
  return tokens.sort((a, b) => values[b]! - values[a]! || a - b);
}

/** Reference top-p: sort everything, keep the smallest prefix with mass ≥ p − tolerance. */
export function referenceTopP(logits: ArrayLike<number>, p: number, tolerance = 1e-6): number[] {
  const values = Array.from(logits);
  const probs = softmax(values);
  const order = rankByValue(values);
  const kept: number[] = [];
  let cum = 0;
  for (const t of order) {
    kept.push(t);
    cum += probs[t]!;
    if (cum >= p - tolerance) break;
  }
  return kept.sort((a, b) => a - b);
}

/** Seeded random logits: normal with the given scale, optionally rounded to create ties. */
export function randomLogits(n: number, seed: number, scale = 3, roundTo = 0): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    out[i] = roundTo > 0 ? Math.round((scale * z) / roundTo) * roundTo : scale * z;
  }
  return out;
}

export function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}
