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
  const logits = c.logits;
  const size = c.size;
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
  if (count === 0 || max === Infinity) return;
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < size; i++) {
    const x = logits[i];
    if (x !== -Infinity) squares += (x - mean) * (x - mean);
  }
  const sigma = Math.sqrt(squares / count);
  keepAbove(c, max - n * sigma, minKeep);
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
