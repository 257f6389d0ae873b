/**
 * Top-nσ (Tang et al. 2024, "Top-nσ: Not All Logits Are You Need", arXiv:2411.07641; llama.cpp
 * top_n_sigma, PR #11223): keeps the tokens whose logit is within n standard deviations of the
 * maximum, the statistics taken over the finite logits of the set. Scaling every logit by 1/T
 * scales the max and σ alike, so the kept set does not depend on the temperature. n = 0 is a
 * no-op (llama.cpp since PR #13345).
 */
import { keepAbove } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';

export function topNSigma(c: CandidateSet, n: number, minKeep = 1): void {
  checkParam(topNSigmaStage, 'n', n);
  if (n <= 0 || c.size <= 1) return;
  const count = finiteMaxAndSum(c.logits, c.size, stats);
  const max = stats[0];
  if (count === 0 || max === Infinity) return;
  // Some logit is finite, so the max over the finite ones is the set's max: keepAbove needs it,
  // and would otherwise scan the set again for it.
  c.max = max;
  const mean = stats[1] / count;
  const sigma = Math.sqrt(squaredDeviations(c.logits, c.size, mean) / count);
  keepAbove(c, max - n * sigma, minKeep);
}

// Each scan over the set is a function of its own: V8 optimises it whole after a few calls. As
// loops inside one function, each got on-stack-replacement code that bailed out at the code after
// its loop on every call (no type feedback there yet), so the second scan ran interpreted.
const stats = new Float64Array(2);

/** The max and the sum (into out[0], out[1]) of the logits that are not -∞; returns their count. */
function finiteMaxAndSum(logits: Float32Array, size: number, out: Float64Array): number {
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < size; i++) {
    const x = logits[i];
    if (x === -Infinity) continue;
    if (x > max) max = x;
    sum += x;
    count++;
  }
  out[0] = max;
  out[1] = sum;
  return count;
}

/** Σ (x − mean)² over the logits that are not -∞. */
function squaredDeviations(logits: Float32Array, size: number, mean: number): number {
  let squares = 0;
  for (let i = 0; i < size; i++) {
    const x = logits[i];
    if (x !== -Infinity) squares += (x - mean) * (x - mean);
  }
  return squares;
}

export const topNSigmaStage = defineStage<'top_n_sigma'>({
  type: 'top_n_sigma',
  aliases: ['top-n-sigma', 'top_nsigma', 'nsigma', 'top-nσ'],
  title: 'Top-nσ',
  summary: 'Keeps the tokens whose logit is within n standard deviations of the max (Tang et al. 2024, arXiv:2411.07641; llama.cpp top_n_sigma).',
  params: [
    { kind: 'number', field: 'n', setting: 'topNSigma', flag: '--top-n-sigma', help: 'top-nσ: keep logits ≥ max − n·σ (≥ 0; 0 is off)', enables: true, min: 0, max: Infinity, default: 1, control: { min: 0, max: 5, step: 0.1 } },
  ],
  label: (s) => `top_n_sigma(${show(s.n)})`,
  isNoOp: (s) => s.n <= 0,
  omitWhenNoOp: true,
  keepsTop: true,
  readsProbabilities: () => false,
  create: (s) => ({ apply: (c, ctx) => topNSigma(c, s.n, ctx.minKeep) }),
});
