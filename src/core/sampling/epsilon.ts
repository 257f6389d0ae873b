/**
 * Epsilon sampling (Hewitt et al. 2022, "Truncation Sampling as Language Model Desmoothing"; HF
 * EpsilonLogitsWarper, `epsilon_cutoff`): keeps the tokens with p ≥ ε. The most likely token
 * always stays. A token within BOUNDARY_TOLERANCE (relative) of ε is kept.
 */
import { BOUNDARY_TOLERANCE, keepAbove, probabilityThreshold } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';

export function epsilonCut(c: CandidateSet, epsilon: number, minKeep = 1): void {
  checkParam(epsilonStage, 'epsilon', epsilon);
  if (c.size <= 1) return;
  keepAbove(c, probabilityThreshold(c, epsilon * (1 - BOUNDARY_TOLERANCE)), Math.max(1, minKeep));
}

export const epsilonStage = defineStage<'epsilon'>({
  type: 'epsilon',
  aliases: ['epsilon_cutoff', 'epsilon-cutoff', 'epsilon_sampling'],
  title: 'Epsilon sampling',
  summary: 'Keeps the tokens with p ≥ ε (Hewitt et al. 2022; HF EpsilonLogitsWarper).',
  params: [
    { kind: 'number', field: 'epsilon', setting: 'epsilonCutoff', flag: '--epsilon-cutoff', help: 'epsilon sampling: ε (0 < ε < 1; 3e-4 … 9e-4 in the paper)', enables: true, min: 0, minOpen: true, max: 1, maxOpen: true, default: 0.0003, control: { min: 0.0001, max: 0.05, step: 0.0001 } },
  ],
  label: (s) => `epsilon(${show(s.epsilon)})`,
  isNoOp: () => false,
  keepsTop: true,
  readsProbabilities: () => true,
  create: (s) => ({ apply: (c, ctx) => epsilonCut(c, s.epsilon, ctx.minKeep) }),
});
