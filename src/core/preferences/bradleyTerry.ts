/**
 * Bradley–Terry strengths from pairwise preferences: P(i preferred to j) = pᵢ / (pᵢ + pⱼ), the
 * model reward models are trained under (the seed's RLHF chapter). Fitted by Hunter's (2004)
 * minorization–maximization update, pᵢ ← Wᵢ / Σⱼ nᵢⱼ / (pᵢ + pⱼ), which raises the likelihood
 * at every step and is deterministic: same pairs in, same strengths out.
 */
import { PreferenceError } from './record';

export interface PairwiseOutcome {
  winner: string;
  loser: string;
}

export interface BradleyTerryOptions {
  /**
   * Virtual games added between every two strategies, split evenly as half a win each way.
   * Without it a strategy that never lost has infinite strength; 1 (the default) shrinks toward
   * equal strength about as much as one real comparison. 0 fits the plain maximum likelihood.
   */
  prior?: number;
  maxIterations?: number;
  /** Stop when no log-strength moves more than this. */
  tolerance?: number;
}

export interface BradleyTerryStrength {
  strategy: string;
  /** log pᵢ, centred so the strategies' mean is 0: sᵢ − sⱼ is the log-odds that i is preferred to j. */
  score: number;
  /** pᵢ normalised to sum to 1. */
  weight: number;
  wins: number;
  losses: number;
  /** Real comparisons behind the strength (priors not counted). */
  comparisons: number;
}

export interface BradleyTerryFit {
  /** Strongest first. */
  strengths: BradleyTerryStrength[];
  iterations: number;
  converged: boolean;
  prior: number;
}

export function fitBradleyTerry(outcomes: readonly PairwiseOutcome[], options: BradleyTerryOptions = {}): BradleyTerryFit {
  const prior = options.prior ?? 1;
  const maxIterations = options.maxIterations ?? 10_000;
  const tolerance = options.tolerance ?? 1e-10;
  if (!(prior >= 0) || !Number.isFinite(prior)) throw new PreferenceError(`The Bradley–Terry prior must be a number ≥ 0 (got ${prior}).`);

  // A strategy compared with itself says nothing about strengths.
  const games = outcomes.filter((o) => o.winner !== o.loser);
  const names = [...new Set(games.flatMap((o) => [o.winner, o.loser]))].sort();
  const n = names.length;
  const index = new Map(names.map((name, i) => [name, i]));
  const won = names.map(() => new Float64Array(n));
  for (const o of games) won[index.get(o.winner)!]![index.get(o.loser)!] += 1;
  const wins = won.map((row) => row.reduce((a, b) => a + b, 0));
  const losses = names.map((_, j) => won.reduce((sum, row) => sum + row[j]!, 0));

  if (prior === 0 && n > 1 && !stronglyConnected(won)) {
    throw new PreferenceError(
      'Bradley–Terry strengths do not exist for these pairs: some strategy never lost (or never won) against the rest, so its strength runs off to infinity. Use a prior > 0.',
    );
  }
  // wᵢⱼ with the prior: half a virtual win each way between every two strategies.
  const w = won.map((row, i) => Float64Array.from(row, (x, j) => (i === j ? 0 : x + prior / 2)));
  const totalWins = w.map((row) => row.reduce((a, b) => a + b, 0));

  let logP = new Float64Array(n);
  let iterations = 0;
  let converged = n <= 1;
  while (!converged && iterations < maxIterations) {
    iterations++;
    const p = logP.map(Math.exp);
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let denominator = 0;
      for (let j = 0; j < n; j++) {
        if (j !== i) denominator += (w[i]![j]! + w[j]![i]!) / (p[i]! + p[j]!);
      }
      next[i] = Math.log(totalWins[i]!) - Math.log(denominator);
    }
    // Strengths are defined up to a common factor: centre the logs each step.
    const mean = next.reduce((a, b) => a + b, 0) / n;
    for (let i = 0; i < n; i++) next[i] -= mean;
    converged = next.every((x, i) => Math.abs(x - logP[i]!) < tolerance);
    logP = next;
  }
  const pSum = logP.reduce((sum, x) => sum + Math.exp(x), 0);
  const strengths = names.map((strategy, i) => ({
    strategy,
    score: logP[i]!,
    weight: Math.exp(logP[i]!) / pSum,
    wins: wins[i]!,
    losses: losses[i]!,
    comparisons: wins[i]! + losses[i]!,
  }));
  strengths.sort((a, b) => b.score - a.score || a.strategy.localeCompare(b.strategy));
  return { strengths, iterations, converged, prior };
}

/** P(i preferred to j) under a fit: σ(sᵢ − sⱼ). */
export function preferenceProbability(fit: BradleyTerryFit, i: string, j: string): number {
  const si = fit.strengths.find((s) => s.strategy === i)?.score;
  const sj = fit.strengths.find((s) => s.strategy === j)?.score;
  if (si === undefined || sj === undefined) throw new PreferenceError(`No strength for ${si === undefined ? i : j}: it was never compared.`);
  return 1 / (1 + Math.exp(sj - si));
}

/** Every strategy can reach every other along "beat" edges: the condition for finite maximum-likelihood strengths (Hunter 2004). */
function stronglyConnected(won: readonly Float64Array[]): boolean {
  const n = won.length;
  const reach = (forward: boolean): boolean => {
    const seen = new Uint8Array(n);
    const stack = [0];
    seen[0] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      for (let j = 0; j < n; j++) {
        const edge = forward ? won[i]![j]! : won[j]![i]!;
        if (edge > 0 && !seen[j]) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    return seen.every((s) => s === 1);
  };
  return reach(true) && reach(false);
}
