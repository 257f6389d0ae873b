/**
 * Log-space summaries of a raw logits row: log Σ exp (the softmax normaliser), the entropy, and
 * the probability mass of the tokens a chart leaves out. Every term is exp(x − log Z) ≤ 1, summed
 * directly, so a tail of 1e-12 is reported as 1e-12, not as 1 − 0.999999999999.
 */

export interface RowStats {
  max: number;
  /** log Σ exp(logits): log P(i) = logits[i] − logZ. */
  logZ: number;
  /** −Σ p log p in nats. */
  entropyNats: number;
  /** How many entries are +∞ (they share all the mass); 0 for an ordinary row. */
  infiniteCount: number;
}

/** log P(x) under softmax(row), for an entry x of the row. */
export function logprobOf(stats: RowStats, x: number): number {
  if (stats.infiniteCount === 0) return x - stats.logZ;
  return x === Infinity ? -Math.log(stats.infiniteCount) : -Infinity;
}

/**
 * Max, log Z and entropy of softmax(row × scale) (scale = 1 / T), in two passes over the row. A
 * row whose max is +∞ spreads the mass over its +∞ entries. `max` and `logZ` are of the scaled row.
 */
export function rowStats(row: ArrayLike<number>, scale = 1): RowStats {
  let rawMax = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > rawMax) rawMax = row[i]!;
  if (rawMax === Infinity) {
    let count = 0;
    for (let i = 0; i < row.length; i++) if (row[i] === Infinity) count++;
    return { max: Infinity, logZ: Infinity, entropyNats: Math.log(count), infiniteCount: count };
  }
  if (!(rawMax > -Infinity)) return { max: rawMax, logZ: NaN, entropyNats: NaN, infiniteCount: 0 };
  const max = rawMax * scale;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! * scale - max);
  const logZ = max + Math.log(sum);
  // H = −Σ p (x − log Z), skipping p = 0 (x = −∞), whose term is 0 in the limit.
  let entropy = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    if (x === -Infinity) continue;
    const lp = x * scale - logZ;
    entropy -= Math.exp(lp) * lp;
  }
  return { max, logZ, entropyNats: Math.max(0, entropy), infiniteCount: 0 };
}

/** Entropy of a listed distribution from its log-probabilities (−∞ entries contribute 0). */
export function entropyOfLogprobs(logprobs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < logprobs.length; i++) {
    const lp = logprobs[i]!;
    if (lp > -Infinity) h -= Math.exp(lp) * lp;
  }
  return Math.max(0, h);
}

/** The raw probability mass of every token not in `shown`. */
export function tailMass(row: ArrayLike<number>, stats: RowStats, shown: ReadonlySet<number>): number {
  let tail = 0;
  for (let i = 0; i < row.length; i++) if (!shown.has(i)) tail += Math.exp(logprobOf(stats, row[i]!));
  return tail;
}

export const NATS_PER_BIT = Math.LN2;
