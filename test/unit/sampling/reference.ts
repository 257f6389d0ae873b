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

function keepByMass(cs: Cand[], score: (c: Cand, i: number) => number, p: number, minKeep = 1): Cand[] {
  if (p >= 1 || minKeep >= cs.length) return cs;
  const probs = softmaxOf(cs);
  const idx = cs.map((_, i) => i).sort((a, b) => score(cs[b]!, b) - score(cs[a]!, a) || cs[a]!.id - cs[b]!.id);
  const kept: Cand[] = [];
  let cum = 0;
  for (const i of idx) {
    kept.push(cs[i]!);
    cum += probs[i]!;
    if (cum >= p - TOL && kept.length >= minKeep) break;
  }
  return kept;
}

/** Keeps candidates with p ≥ q (relative tolerance), but at least minKeep (the most likely). */
function keepProbAtLeast(cs: Cand[], q: number, minKeep: number): Cand[] {
  const probs = softmaxOf(cs);
  const kept = cs.filter((_, i) => probs[i]! >= q * (1 - TOL));
  return kept.length >= Math.max(1, minKeep) ? kept : [...cs].sort(byLogit).slice(0, Math.max(1, minKeep));
}

const entropyOf = (probs: number[]) => -probs.reduce((s, q) => (q > 0 ? s + q * Math.log(q) : s), 0);

/** One stage, the plain way. `history` is every token so far; `u` is XTC's coin (fires when u < probability). */
export function referenceStage(cs: Cand[], stage: StageConfig, history: readonly number[], minKeep = 1, u = 0): Cand[] {
  switch (stage.type) {
    case 'temperature': {
      let t = stage.t;
      if ((stage.range ?? 0) > 0 && cs.length > 1) {
        const h = entropyOf(softmaxOf(cs));
        const lo = Math.max(0, stage.t - stage.range!);
        t = lo + (stage.t + stage.range! - lo) * Math.pow(h / Math.log(cs.length), stage.exponent ?? 1);
      }
      if (t === 1) return cs;
      if (t === 0) return [[...cs].sort(byLogit)[0]!];
      return cs.map((c) => ({ id: c.id, logit: c.logit / t }));
    }
    case 'logit_bias': {
      const bias = new Map<number, number>();
      for (const [k, v] of Object.entries(stage.bias)) bias.set(Number(k), (bias.get(Number(k)) ?? 0) + (v === false ? -Infinity : v));
      return cs.map((c) => (bias.has(c.id) ? { id: c.id, logit: c.logit + bias.get(c.id)! } : c));
    }
    case 'penalties': {
      const lastN = stage.lastN ?? 64;
      const window = lastN === 0 ? [] : history.slice(Math.max(0, history.length - lastN));
      const counts = new Map<number, number>();
      for (const t of window) counts.set(t, (counts.get(t) ?? 0) + 1);
      return cs.map((c) => (counts.has(c.id) ? { id: c.id, logit: c.logit - counts.get(c.id)! * (stage.frequency ?? 0) - (stage.presence ?? 0) } : c));
    }
    case 'dry': {
      // Quadratic but obvious: for each earlier end position, the longest run equal to the context's tail.
      const lastN = stage.lastN ?? -1;
      if (stage.multiplier === 0 || lastN === 0) return cs;
      const w = lastN < 0 ? history : history.slice(Math.max(0, history.length - lastN));
      const breakers = new Set(stage.breakerTokens ?? []);
      let limit = w.length;
      for (let i = 0; i < w.length; i++) if (breakers.has(w[w.length - 1 - i]!)) { limit = i; break; }
      const allowed = stage.allowedLength ?? 2;
      const longest = new Map<number, number>();
      for (let e = 0; e < w.length - 1; e++) {
        let m = 0;
        while (m <= e && w[e - m] === w[w.length - 1 - m]) m++;
        m = Math.min(m, limit);
        const next = w[e + 1]!;
        if (m >= allowed && !breakers.has(next)) longest.set(next, Math.max(longest.get(next) ?? 0, m));
      }
      return cs.map((c) => (longest.has(c.id) ? { id: c.id, logit: c.logit - stage.multiplier * Math.pow(stage.base ?? 1.75, longest.get(c.id)! - allowed) } : c));
    }
    case 'top_n_sigma': {
      if (stage.n <= 0 || cs.length <= 1) return cs;
      const finite = cs.map((c) => c.logit).filter((x) => x !== -Infinity);
      const max = Math.max(...finite);
      const mean = finite.reduce((s, x) => s + x, 0) / finite.length;
      const sd = Math.sqrt(finite.reduce((s, x) => s + (x - mean) ** 2, 0) / finite.length);
      const kept = cs.filter((c) => c.logit >= max - stage.n * sd);
      return kept.length >= minKeep ? kept : [...cs].sort(byLogit).slice(0, minKeep);
    }
    case 'eta': {
      if (cs.length <= 1) return cs;
      const h = entropyOf(softmaxOf(cs));
      return keepProbAtLeast(cs, Math.min(stage.eta, Math.sqrt(stage.eta) * Math.exp(-h)), minKeep);
    }
    case 'epsilon':
      return cs.length <= 1 ? cs : keepProbAtLeast(cs, stage.epsilon, minKeep);
    case 'xtc': {
      const threshold = stage.threshold ?? 0.1;
      if (stage.probability <= 0 || threshold > 0.5 || u >= stage.probability) return cs;
      const probs = softmaxOf(cs);
      const above = cs.map((c, i) => ({ c, p: probs[i]! })).filter((x) => x.p >= threshold).map((x) => x.c).sort(byLogit);
      if (above.length < 2 || cs.length - (above.length - 1) < minKeep) return cs;
      const drop = new Set(above.slice(0, -1).map((c) => c.id));
      return cs.filter((c) => !drop.has(c.id));
    }
    case 'mirostat_v2':
      // Stateful: the reference starts from μ = 2τ, as a fresh chain does.
      return cs.length <= 1 ? cs : keepProbAtLeast(cs, Math.pow(2, -2 * stage.tau), minKeep);
    case 'repetition_penalty': {
      const lastN = stage.lastN ?? 64;
      if (stage.penalty === 1 || lastN === 0) return cs;
      const seen = new Set(history.slice(Math.max(0, history.length - lastN)));
      return cs.map((c) => (seen.has(c.id) ? { id: c.id, logit: Math.fround(c.logit > 0 ? c.logit / stage.penalty : c.logit * stage.penalty) } : c));
    }
    case 'top_k':
      return [...cs].sort(byLogit).slice(0, Math.max(stage.k, minKeep));
    case 'top_p':
      return keepByMass(cs, (c) => c.logit, stage.p, minKeep);
    case 'min_p': {
      if (stage.p <= 0) return cs;
      const probs = softmaxOf(cs);
      const top = Math.max(...probs);
      const kept = cs.filter((_, i) => probs[i]! >= stage.p * top * (1 - TOL));
      return kept.length >= minKeep ? kept : [...cs].sort(byLogit).slice(0, minKeep);
    }
    case 'typical_p': {
      if (stage.p >= 1 || cs.length <= 1) return cs;
      const probs = softmaxOf(cs);
      const h = entropyOf(probs);
      return keepByMass(cs, (_, i) => (probs[i]! > 0 ? -Math.abs(-Math.log(probs[i]!) - h) : -Infinity), stage.p, minKeep);
    }
  }
}

/** The final distribution of a chain, token id → probability, computed the plain way. */
export function referenceChain(stages: readonly StageConfig[], logits: ArrayLike<number>, history: readonly number[] = [], minKeep = 1): Map<number, number> {
  let cs: Cand[] = Array.from(logits, (logit, id) => ({ id, logit }));
  for (const stage of stages) cs = referenceStage(cs, stage, history, minKeep);
  const probs = softmaxOf(cs);
  return new Map(cs.map((c, i) => [c.id, probs[i]!]));
}
