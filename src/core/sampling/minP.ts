/**
 * Min-p (Nguyen et al. 2024, "Turning Up the Heat: Min-p Sampling"; llama.cpp min_p): keeps the
 * tokens with p ≥ min_p × p_max. In logit space that is logit ≥ max_logit + ln(min_p), so one
 * threshold pass decides it: no exp, no sort. (With the set's scale s, the stored logit must
 * reach max + ln(min_p) / s.) A token within BOUNDARY_TOLERANCE (relative) of the threshold is kept.
 */
import { BOUNDARY_TOLERANCE, ensureMax, keepAbove } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';


export function minP(c: CandidateSet, p: number, minKeep = 1): void {
  checkParam(minPStage, 'p', p);
  if (p <= 0) return;
  // The max itself always passes, so at least one token survives.
  keepAbove(c, ensureMax(c) + (Math.log(p) + Math.log1p(-BOUNDARY_TOLERANCE)) / c.scale, minKeep);
}

export function minPLabel(p: number): string {
  return `min_p(${show(p)})`;
}

export const minPStage = defineStage<'min_p'>({
  type: 'min_p',
  aliases: ['min-p', 'minp'],
  title: 'Min-p',
  summary: 'Keeps the tokens with p ≥ min_p × p_max (Nguyen et al. 2024; llama.cpp min_p).',
  params: [
    { kind: 'number', field: 'p', setting: 'minP', flag: '--min-p', help: "min-p's p (0 ≤ p ≤ 1)", enables: true, min: 0, max: 1, default: 0.1, hint: 'Use 0 to keep every token.', control: { min: 0, max: 1, step: 0.01 } },
  ],
  label: (s) => minPLabel(s.p),
  isNoOp: (s) => s.p <= 0,
  keepsTop: true,
  readsProbabilities: () => false,
  create: (s) => ({ apply: (c, ctx) => minP(c, s.p, ctx.minKeep) }),
});
