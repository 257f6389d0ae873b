/**
 * A plain float64 reference of every sampler stage, written the textbook way (sort everything,
 * softmax everything, no buckets, no caches, no in-place tricks), for the differential tests.
 * It follows the chain's documented conventions: ties go to the lower id, a mass or ratio within
 * TOL of its boundary reaches it, and the stage functions of the same names are in src/.
 */
import type { StageConfig } from '../../../src/core/sampling/types';

export const TOL = 1e-6;

export interface Cand {
  id: number;
  /** The working logit (after temperature and penalties). */
  logit: number;
}

export function softmaxOf(cs: readonly Cand[]): number[] {
  const m = Math.max(...cs.map((c) => c.logit));
  if (!Number.isFinite(m)) {
    // ±∞ max: the tokens holding it share the mass (all −∞: all tokens alike).
    const holders = cs.filter((c) => c.logit === m).length;
    return cs.map((c) => (c.logit === m ? 1 / holders : 0));
  }
  const e = cs.map((c) => Math.exp(c.logit - m));
  const z = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / z);
}

const byLogit = (a: Cand, b: Cand) => b.logit - a.logit || a.id - b.id;

function keepByMass(cs: Cand[], score: (c: Cand, i: number) => number, p: number): Cand[] {
  if (p >= 1) return cs;
  const probs = softmaxOf(cs);
  const idx = cs.map((_, i) => i).sort((a, b) => score(cs[b]!, b) - score(cs[a]!, a) || cs[a]!.id - cs[b]!.id);
  const kept: Cand[] = [];
  let cum = 0;
  for (const i of idx) {
    kept.push(cs[i]!);
    cum += probs[i]!;
    if (cum >= p - TOL) break;
  }
  return kept;
}

/** One stage, the plain way. `history` is every token so far. */
export function referenceStage(cs: Cand[], stage: StageConfig, history: readonly number[]): Cand[] {
  switch (stage.type) {
    case 'temperature': {
      if (stage.t === 1) return cs;
      if (stage.t === 0) return [[...cs].sort(byLogit)[0]!];
      return cs.map((c) => ({ id: c.id, logit: c.logit / stage.t }));
    }
    case 'repetition_penalty': {
      const lastN = stage.lastN ?? 64;
      if (stage.penalty === 1 || lastN === 0) return cs;
      const seen = new Set(history.slice(Math.max(0, history.length - lastN)));
      return cs.map((c) => (seen.has(c.id) ? { id: c.id, logit: Math.fround(c.logit > 0 ? c.logit / stage.penalty : c.logit * stage.penalty) } : c));
    }
    case 'top_k':
      return [...cs].sort(byLogit).slice(0, stage.k);
    case 'top_p':
      return keepByMass(cs, (c) => c.logit, stage.p);
    case 'min_p': {
      if (stage.p <= 0) return cs;
      const probs = softmaxOf(cs);
      const top = Math.max(...probs);
      return cs.filter((_, i) => probs[i]! >= stage.p * top * (1 - TOL));
    }
    case 'typical_p': {
      if (stage.p >= 1 || cs.length <= 1) return cs;
      const probs = softmaxOf(cs);
      const h = -probs.reduce((s, q) => (q > 0 ? s + q * Math.log(q) : s), 0);
      return keepByMass(cs, (_, i) => (probs[i]! > 0 ? -Math.abs(-Math.log(probs[i]!) - h) : -Infinity), stage.p);
    }
  }
}

/** The final distribution of a chain, token id → probability, computed the plain way. */
export function referenceChain(stages: readonly StageConfig[], logits: ArrayLike<number>, history: readonly number[] = []): Map<number, number> {
  let cs: Cand[] = Array.from(logits, (logit, id) => ({ id, logit }));
  for (const stage of stages) cs = referenceStage(cs, stage, history);
  const probs = softmaxOf(cs);
  return new Map(cs.map((c, i) => [c.id, probs[i]!]));
}
