/**
 * XTC, "Exclude Top Choices" (p-e-w, text-generation-webui PR #6335; llama.cpp PR #9742, the
 * server's xtc_probability / xtc_threshold): with probability `probability`, every token with
 * p ≥ threshold except the least likely of them is removed, so the model takes a less obvious
 * but still viable choice. Fewer than two tokens above the threshold: nothing happens; nor when
 * fewer than min_keep would remain. The coin is the sequence's own PRNG, so runs stay
 * reproducible; the explorer (no PRNG) shows what XTC keeps when it fires.
 */
import { ensureExps, setShrunk } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show, type StageContext } from './stage';
import type { CandidateSet } from './types';

export function xtc(c: CandidateSet, probability: number, threshold: number, ctx: Pick<StageContext, 'minKeep' | 'rng'>): void {
  checkParam(xtcStage, 'probability', probability);
  checkParam(xtcStage, 'threshold', threshold);
  if (probability <= 0 || threshold > 0.5 || c.size < 2) return;
  if (ctx.rng && probability < 1 && ctx.rng.next() >= probability) return;
  ensureExps(c);
  const n = c.size;
  const exps = c.exps;
  const logits = c.logits;
  const ids = c.ids;
  const cut = threshold * c.expSum;
  // The least likely token at or above the threshold (ties: the higher id ranks last).
  let above = 0;
  let lastPos = -1;
  for (let i = 0; i < n; i++) {
    if (!(exps[i] >= cut)) continue;
    above++;
    if (lastPos < 0 || logits[i] < logits[lastPos] || (logits[i] === logits[lastPos] && ids[i] > ids[lastPos])) lastPos = i;
  }
  if (above < 2 || n - (above - 1) < ctx.minKeep) return;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (exps[i] >= cut && i !== lastPos) continue;
    ids[kept] = ids[i];
    logits[kept] = logits[i];
    exps[kept] = exps[i];
    kept++;
  }
  setShrunk(c, kept);
}

export const xtcStage = defineStage<'xtc'>({
  type: 'xtc',
  aliases: ['exclude_top_choices'],
  title: 'XTC',
  summary: 'With probability p, removes every token with p ≥ threshold except the least likely of them (p-e-w, text-generation-webui PR #6335; llama.cpp PR #9742).',
  params: [
    { kind: 'number', field: 'probability', setting: 'xtcProbability', flag: '--xtc-probability', help: 'XTC: chance per token that it fires (0 … 1; 0 is off)', enables: true, min: 0, max: 1, default: 0.5, control: { min: 0, max: 1, step: 0.05 } },
    { kind: 'number', field: 'threshold', setting: 'xtcThreshold', flag: '--xtc-threshold', help: 'XTC: tokens with p at or above this are top choices (0 … 1; above 0.5 is off)', min: 0, max: 1, default: 0.1, control: { min: 0, max: 0.5, step: 0.01 } },
  ],
  label: (s) => `xtc(p=${show(s.probability)}, t=${show(s.threshold ?? 0.1)})`,
  isNoOp: (s) => s.probability <= 0 || (s.threshold ?? 0.1) > 0.5,
  omitWhenNoOp: true,
  keepsTop: false,
  readsProbabilities: () => true,
  create: (s) => {
    const threshold = s.threshold ?? 0.1;
    return { apply: (c, ctx) => xtc(c, s.probability, threshold, ctx) };
  },
});
