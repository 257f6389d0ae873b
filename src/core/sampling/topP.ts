/**
 * Top-p (nucleus, Holtzman et al. 2020): keeps the smallest set of most likely tokens whose
 * probability mass reaches p, measured on the distribution the earlier stages left (renormalised).
 * The token that crosses p is kept; a mass within BOUNDARY_TOLERANCE of p counts as reaching it;
 * ties go to the lower id. See keepPrefixByMass for the bucketed partial selection that avoids
 * sorting the vocabulary.
 */
import { ensureMax, keepPrefixByMass } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';


export function topP(c: CandidateSet, p: number, minKeep = 1): void {
  checkParam(topPStage, 'p', p);
  if (p >= 1 || c.size <= 1) return;
  keepPrefixByMass(c, c.logits, ensureMax(c), p, minKeep);
}

export function topPLabel(p: number): string {
  return `top_p(${show(p)})`;
}

export const topPStage = defineStage<'top_p'>({
  type: 'top_p',
  aliases: ['top-p', 'topp', 'nucleus'],
  title: 'Top-p (nucleus)',
  summary: 'Keeps the most likely tokens until their mass reaches p (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration").',
  params: [
    { kind: 'number', field: 'p', setting: 'topP', flag: '--top-p', help: "top-p's p (0 < p ≤ 1)", enables: true, min: 0, minOpen: true, max: 1, default: 0.9, hint: 'Use 1 to keep every token.', control: { min: 0.05, max: 1, step: 0.01 } },
  ],
  label: (s) => topPLabel(s.p),
  isNoOp: (s) => s.p >= 1,
  keepsTop: true,
  readsProbabilities: () => true,
  create: (s) => ({ apply: (c, ctx) => topP(c, s.p, ctx.minKeep) }),
});
