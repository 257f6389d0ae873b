/**
 * Eta sampling (Hewitt et al. 2022, "Truncation Sampling as Language Model Desmoothing"; HF
 * EtaLogitsWarper, `eta_cutoff`): keeps the tokens with p ≥ min(η, √η · e^(−H)), H the entropy of
 * the set. A token within BOUNDARY_TOLERANCE (relative) of the cut is kept.
 */
import { BOUNDARY_TOLERANCE, candidateEntropy, keepAbove, probabilityThreshold } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';

export function etaCut(c: CandidateSet, eta: number, minKeep = 1): void {
  checkParam(etaStage, 'eta', eta);
  if (c.size <= 1) return;
  const entropy = candidateEntropy(c);
  const cut = Math.min(eta, Math.sqrt(eta) * Math.exp(-entropy));
  keepAbove(c, probabilityThreshold(c, cut * (1 - BOUNDARY_TOLERANCE)), Math.max(1, minKeep));
}

export const etaStage = defineStage<'eta'>({
  type: 'eta',
  aliases: ['eta_cutoff', 'eta-cutoff', 'eta_sampling'],
  title: 'Eta sampling',
  summary: 'Keeps the tokens with p ≥ min(η, √η·e^(−H)) (Hewitt et al. 2022; HF EtaLogitsWarper).',
  params: [
    { kind: 'number', field: 'eta', setting: 'etaCutoff', flag: '--eta-cutoff', help: 'eta sampling: η (0 < η < 1; 3e-4 … 2e-3 in the paper)', enables: true, min: 0, minOpen: true, max: 1, maxOpen: true, default: 0.0009, control: { min: 0.0001, max: 0.02, step: 0.0001 } },
  ],
  label: (s) => `eta(${show(s.eta)})`,
  isNoOp: () => false,
  keepsTop: true,
  readsProbabilities: () => true,
  create: (s) => ({ apply: (c, ctx) => etaCut(c, s.eta, ctx.minKeep) }),
});
