/**
 * Top-k: keeps the k most likely tokens (Fan et al. 2018; llama.cpp top_k, HF TopKLogitsWarper).
 * Ties at the k-th place go to the lower token id, so exactly k tokens survive and the same
 * logits always give the same set (HF keeps every token tied with the k-th: see docs/samplers.md).
 *
 * A min-heap of the k best positions seen so far, in one pass: most tokens lose to the heap's
 * worst with one comparison, so the pass costs about as much as reading the logits. Only the k
 * winners are sorted. The set comes out sorted (descending logit).
 */
import { keepTopByLogit } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';


export function topK(c: CandidateSet, k: number, minKeep = 1): void {
  checkParam(topKStage, 'k', k);
  keepTopByLogit(c, Math.max(k, minKeep));
}

export function topKLabel(k: number): string {
  return `top_k(${show(k)})`;
}

export const topKStage = defineStage<'top_k'>({
  type: 'top_k',
  aliases: ['top-k', 'topk', 'k'],
  title: 'Top-k',
  summary: 'Keeps the k most likely tokens (Fan et al. 2018; llama.cpp top_k). Ties: the lower id.',
  params: [
    { kind: 'number', field: 'k', setting: 'topK', flag: '--top-k', help: "top-k's k (integer ≥ 1)", enables: true, min: 1, max: Infinity, integer: true, default: 40, control: { min: 1, max: 100, step: 1 } },
  ],
  label: (s) => topKLabel(s.k),
  isNoOp: (s, vocabSize) => s.k >= vocabSize,
  keepsTop: true,
  readsProbabilities: () => false,
  create: (s) => ({ apply: (c, ctx) => topK(c, s.k, ctx.minKeep) }),
});
