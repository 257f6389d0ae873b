/**
 * The candidate set every stage works on, and the few operations stages share: probabilities
 * of the live set, ordering, and the partial selection behind top-p and typical-p.
 *
 * Tie rule, everywhere (top-k, top-p, typical-p, greedy, alternatives): when two tokens have the
 * same logit (or key), the lower token id ranks first. So top-k keeps exactly k tokens, and the
 * same logits always give the same set.
 */
import { EmptyCandidatesError, NaNLogitError } from './errors';
import type { CandidateSet } from './types';

/** Positions per block of `blockSums`: a draw scans blocks, then one block. */
export const SAMPLE_BLOCK = 256;

/**
 * Logits arrive as float32, whose rounding moves a probability by about 1e-7 of itself. A mass
 * or ratio within this much of its boundary counts as reaching it, so top-p 0.8 over
 * probabilities 0.5, 0.3, 0.2 keeps two tokens, not three.
 */
export const BOUNDARY_TOLERANCE = 1e-6;

/*
 * Every scan over the whole set lives in a small function of its own (maxOf, fillExps, sumBlocks,
 * compactAbove, …) that takes arrays and numbers. V8 then optimises the scan whole after a call or
 * two. A scan written as a loop inside a larger function runs as on-stack-replacement code instead,
 * and that code bailed out on every call at the first statement after the loop that had no type
 * feedback yet, so the rest of the call ran interpreted: top-n-σ's second scan took as long as
 * the whole log-sum-exp.
 */

/** A sum of exps below this is recomputed against the live max (exp underflows below ~1e-308). */
const UNDERFLOW_GUARD = 1e-200;

/** Sets at most this big are sorted outright; larger ones use the bucketed partial selection. */
const SORT_OUTRIGHT_MAX = 1024;
/** Buckets of 1 / PER_NAT nats span 32 nats below the best score; the rest share a tail bucket. */
const BUCKETS = 4096;
const PER_NAT = 128;

export function createCandidateSet(vocabSize: number): CandidateSet {
  const identityIds = new Int32Array(vocabSize);
  for (let i = 0; i < vocabSize; i++) identityIds[i] = i;
  return {
    vocabSize,
    ids: new Int32Array(vocabSize),
    logits: new Float32Array(vocabSize),
    scale: 1,
    exps: new Float64Array(vocabSize),
    size: 0,
    sorted: false,
    identity: false,
    max: NaN,
    expsValid: false,
    expRef: 0,
    expSum: NaN,
    blocksValid: false,
    blockSums: new Float64Array(Math.ceil(vocabSize / SAMPLE_BLOCK) + 1),
    spareIds: new Int32Array(vocabSize),
    spareLogits: new Float32Array(vocabSize),
    spareExps: new Float64Array(vocabSize),
    order: new Int32Array(vocabSize),
    keys: new Float64Array(vocabSize),
    marks: new Int32Array(vocabSize),
    stamp: 0,
    bucketMass: new Float64Array(BUCKETS + 1),
    identityIds,
  };
}

// Chains run their steps synchronously and keep nothing in the set between steps, so every chain
// of one vocabulary size can share one set: at Qwen3's 151,936 tokens a set is ~9 MB, so 24
// chains (6 strategies × 4 samples) cost 9 MB, not 220 MB. The WeakRef lets the buffers go once no chain holds them.
const shared = new Map<number, WeakRef<CandidateSet>>();

export function sharedCandidateSet(vocabSize: number): CandidateSet {
  const existing = shared.get(vocabSize)?.deref();
  if (existing) return existing;
  const created = createCandidateSet(vocabSize);
  shared.set(vocabSize, new WeakRef(created));
  return created;
}

/**
 * Resets the set to the whole vocabulary holding `logits` (copied; the row is never written).
 * Refuses a NaN logit (NaNLogitError naming the token): no stage can rank it, no draw may pick it.
 * The chain checks NaN in its own pass over the row and calls copyLogits instead.
 */
export function loadLogits(c: CandidateSet, logits: Float32Array): void {
  const nan = firstNaN(logits);
  if (nan >= 0) throw NaNLogitError.forToken(nan);
  copyLogits(c, logits);
}

/** loadLogits without the NaN check, for a caller that has checked the row itself. */
export function copyLogits(c: CandidateSet, logits: Float32Array): void {
  c.logits.set(logits);
  resetToVocabulary(c);
}

/** The first position holding NaN, or -1. */
export function firstNaN(row: ArrayLike<number>): number {
  for (let i = 0; i < row.length; i++) if (row[i] !== row[i]) return i;
  return -1;
}

/** Marks the set as the whole vocabulary in id order; the caller has written c.logits. */
export function resetToVocabulary(c: CandidateSet): void {
  c.ids.set(c.identityIds);
  c.scale = 1;
  c.size = c.vocabSize;
  c.sorted = false;
  c.identity = true;
  c.max = NaN;
  c.expsValid = false;
  c.expSum = NaN;
  c.blocksValid = false;
}

/** Marks that a stage changed logit values or the scale: everything derived from them is stale. */
export function logitsChanged(c: CandidateSet): void {
  c.expsValid = false;
  c.expSum = NaN;
  c.blocksValid = false;
}

/**
 * Marks that a stage dropped positions (values unchanged): exps stay valid (they are relative to
 * expRef, whatever survived), but the max, the sums and the identity are stale. The max must go
 * too: a stage may drop the top token (typical-p, XTC), and a later min-p or exp pass measured
 * against a removed maximum keeps nothing, or underflows every exp to 0.
 */
export function setShrunk(c: CandidateSet, size: number): void {
  if (size === c.size) return;
  c.size = size;
  c.identity = false;
  c.max = NaN;
  c.expSum = NaN;
  c.blocksValid = false;
}

export function ensureMax(c: CandidateSet): number {
  if (!Number.isNaN(c.max)) return c.max;
  const logits = c.logits;
  const n = c.size;
  const m = c.sorted ? (n > 0 ? logits[0] : -Infinity) : maxOf(logits, n);
  c.max = m;
  return m;
}

/** The largest of the first n logits (-∞ for none). */
function maxOf(logits: Float32Array, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > m) m = logits[i];
  return m;
}

/**
 * Makes exps[i] = exp((logits[i] - max) × scale) for the live set, with their sum and block sums.
 * Subtracting the max first keeps every exponent ≤ 0, so logits like 1e4 cannot overflow, and
 * neither can a tiny temperature's huge scale.
 */
export function ensureExps(c: CandidateSet): void {
  if (c.expsValid) {
    if (Number.isNaN(c.expSum)) ensureSums(c);
    // Still relative to a reference far above every survivor (the top tokens were dropped): the
    // exps have underflowed, or are about to. Recompute them against the survivors' own max.
    if (!(c.expSum >= UNDERFLOW_GUARD) && c.size > 0) c.expsValid = false;
    else return;
  }
  const max = ensureMax(c);
  const scale = c.scale;
  const logits = c.logits;
  const exps = c.exps;
  const blocks = c.blockSums;
  const n = c.size;
  if (max === Infinity || max === -Infinity) {
    // Limits: +∞ logits share all the mass; if every logit is -∞, all tokens are equally unlikely.
    for (let i = 0; i < n; i++) exps[i] = logits[i] === max ? 1 : 0;
    c.expsValid = true;
    c.expRef = max;
    ensureSums(c);
    return;
  }
  c.expsValid = true;
  c.expRef = max;
  c.expSum = fillExps(logits, exps, blocks, n, max, scale);
  c.blocksValid = true;
}

/** exps[i] = exp((logits[i] - ref) × scale) for i < n, with their block sums; returns their sum. */
function fillExps(logits: Float32Array, exps: Float64Array, blocks: Float64Array, n: number, ref: number, scale: number): number {
  let total = 0;
  for (let start = 0, b = 0; start < n; start += SAMPLE_BLOCK, b++) {
    const end = start + SAMPLE_BLOCK < n ? start + SAMPLE_BLOCK : n;
    let s = 0;
    for (let i = start; i < end; i++) {
      const e = Math.exp((logits[i] - ref) * scale);
      exps[i] = e;
      s += e;
    }
    blocks[b] = s;
    total += s;
  }
  return total;
}

/**
 * Shannon entropy (nats) of the survivors' renormalised distribution (eta cut, dynamic temperature).
 * With q = e / S and log q = (logit − expRef) × scale − log S, H = −Σ q log q is
 * log S − (scale / S) · Σ e × (logit − expRef): no log per token, only a multiply-add, and no
 * cancellation (every term of the sum is ≤ 0).
 */
export function candidateEntropy(c: CandidateSet): number {
  ensureExps(c);
  const n = c.size;
  const exps = c.exps;
  const total = c.expSum;
  const ref = c.expRef;
  if (!Number.isFinite(ref)) {
    // ±∞ limits: the exps are 1 for the tokens sharing the mass and 0 elsewhere.
    let entropy = 0;
    for (let i = 0; i < n; i++) {
      const q = exps[i] / total;
      if (q > 0) entropy -= q * Math.log(q);
    }
    return entropy;
  }
  return Math.log(total) - (c.scale * weightedGaps(exps, c.logits, n, ref)) / total;
}

/** Σ exps[i] × (logits[i] − ref) over i < n; e = 0 is skipped, as a -∞ logit would give NaN. */
function weightedGaps(exps: Float64Array, logits: Float32Array, n: number, ref: number): number {
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    const e = exps[i];
    if (e > 0) weighted += e * (logits[i] - ref);
  }
  return weighted;
}

/** Recomputes the sum and block sums of valid exps (after a compaction), without any exp. */
function ensureSums(c: CandidateSet): void {
  c.expSum = sumBlocks(c.exps, c.blockSums, c.size);
  c.blocksValid = true;
}

/** The block sums of exps[0..n) into `blocks`; returns their total. */
function sumBlocks(exps: Float64Array, blocks: Float64Array, n: number): number {
  let total = 0;
  for (let start = 0, b = 0; start < n; start += SAMPLE_BLOCK, b++) {
    const end = start + SAMPLE_BLOCK < n ? start + SAMPLE_BLOCK : n;
    let s = 0;
    for (let i = start; i < end; i++) s += exps[i];
    blocks[b] = s;
    total += s;
  }
  return total;
}

/** A fresh stamp for `marks`: a mark equal to it is current, older marks are stale. */
export function nextStamp(c: CandidateSet): number {
  if (c.stamp >= 0x7ffffffe) {
    c.marks.fill(0);
    c.stamp = 0;
  }
  return ++c.stamp;
}

/**
 * After a stage rewrote the logit at position `pos` (a penalty or bias on one of a few tokens):
 * recomputes that position's exp, so the exps of the rest of the set stay usable instead of
 * costing an exp pass over the vocabulary. The new exp uses the same formula as ensureExps, so
 * it is what a full pass against the same expRef would give. A logit raised above expRef (or an
 * infinite reference) could overflow or break the limits' 0/1 exps: the exps are dropped instead.
 * The caller ends with logitsRewritten(c).
 */
export function patchExp(c: CandidateSet, pos: number): void {
  if (!c.expsValid) return;
  const x = c.logits[pos];
  const ref = c.expRef;
  if (!(x <= ref) || !Number.isFinite(ref)) {
    c.expsValid = false;
    return;
  }
  c.exps[pos] = Math.exp((x - ref) * c.scale);
}

/**
 * Marks that a stage rewrote a few logits, each followed by patchExp: the max, the order and the
 * sums are stale, the exps (if still valid) are current, and ensureExps re-adds them.
 */
export function logitsRewritten(c: CandidateSet): void {
  c.max = NaN;
  c.sorted = false;
  c.expSum = NaN;
  c.blocksValid = false;
}

/**
 * Adds deltas[j] (a working-logit change; -Infinity bans) to token tokens[j]'s logit, for j <
 * count, where the token is still a candidate. A penalty stage's few tokens: by index while the
 * set is the whole vocabulary, else one pass over the set. Patches the exps of what it changed.
 */
export function addToTokens(c: CandidateSet, tokens: ArrayLike<number>, deltas: ArrayLike<number>, count: number): void {
  if (count === 0) return;
  const logits = c.logits;
  const inv = 1 / c.scale;
  if (c.identity) {
    for (let j = 0; j < count; j++) {
      const t = tokens[j]!;
      logits[t] += deltas[j]! * inv;
      patchExp(c, t);
    }
  } else {
    const stamp = nextStamp(c);
    const marks = c.marks;
    const keys = c.keys;
    for (let j = 0; j < count; j++) {
      const t = tokens[j]!;
      // The same token twice: the deltas add up, as they would by index.
      keys[t] = marks[t] === stamp ? keys[t]! + deltas[j]! : deltas[j]!;
      marks[t] = stamp;
    }
    const ids = c.ids;
    for (let i = 0; i < c.size; i++) {
      if (marks[ids[i]!] !== stamp) continue;
      logits[i] += keys[ids[i]!]! * inv;
      patchExp(c, i);
    }
  }
  logitsRewritten(c);
}

/**
 * Keeps the candidates whose stored logit reaches `threshold` (min-p, top-n-σ, eta, epsilon,
 * mirostat: all "p ≥ something" rules are a logit threshold), but never fewer than `minKeep`:
 * then the `minKeep` most likely, which include every token that passed.
 */
export function keepAbove(c: CandidateSet, threshold: number, minKeep: number): void {
  const n = c.size;
  const logits = c.logits;
  if (minKeep <= 1 && !(ensureMax(c) >= threshold)) {
    // Nothing passes (mirostat's μ below every surprise): the best token stays.
    keepTopByLogit(c, 1);
    return;
  }
  if (minKeep > 1) {
    if (countAbove(logits, n, threshold) < minKeep) {
      keepTopByLogit(c, Math.min(minKeep, n));
      return;
    }
  }
  if (c.sorted) {
    let keep = n;
    for (let i = 0; i < n; i++) {
      if (!(logits[i] >= threshold)) {
        keep = i;
        break;
      }
    }
    setShrunk(c, Math.max(keep, 1));
    return;
  }
  setShrunk(c, c.expsValid ? compactAboveWithExps(c.ids, logits, c.exps, n, threshold) : compactAbove(c.ids, logits, n, threshold));
}

// The compactions are functions of their own (as is every scan that runs once per call over the
// vocabulary): V8 optimises them whole. A loop inside a larger function gets on-stack-replacement
// code, which bailed out on every call at the first code after the loop that had no type
// feedback yet, leaving the rest of the call interpreted.

/**
 * Moves the positions whose logit reaches `threshold` to the front, in order; returns how many.
 * Branch-free: every position is written at `kept`, which advances only for a keeper; a branch
 * would be mispredicted every other time when about half the tokens survive.
 */
function compactAbove(ids: Int32Array, logits: Float32Array, n: number, threshold: number): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const x = logits[i];
    ids[kept] = ids[i];
    logits[kept] = x;
    kept += +(x >= threshold);
  }
  return kept;
}

/** How many of the first n logits reach `threshold`. */
function countAbove(logits: Float32Array, n: number, threshold: number): number {
  let passing = 0;
  for (let i = 0; i < n; i++) passing += +(logits[i] >= threshold);
  return passing;
}

/** compactAbove carrying the exps along. */
function compactAboveWithExps(ids: Int32Array, logits: Float32Array, exps: Float64Array, n: number, threshold: number): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const x = logits[i];
    ids[kept] = ids[i];
    logits[kept] = x;
    exps[kept] = exps[i];
    kept += +(x >= threshold);
  }
  return kept;
}

/** Keeps the k highest logits (ties: lower id), sorted: top-k's heap, shared with min_keep. */
export function keepTopByLogit(c: CandidateSet, k: number): void {
  const n = c.size;
  if (k >= n) return;
  if (c.sorted) {
    setShrunk(c, k);
    return;
  }
  const logits = c.logits;
  const ids = c.ids;
  const heap = c.order;
  heapOfBest(heap, k, n, logits, ids);
  heap.subarray(0, k).sort((a, b) => compareDescending(logits[a], logits[b], ids[a], ids[b]));
  gatherInOrder(c, k);
  c.sorted = true;
}

/** heap[0..k) = the positions of the k best of the first n (a heap, worst at the root). */
function heapOfBest(heap: Int32Array, k: number, n: number, logits: Float32Array, ids: Int32Array): void {
  for (let i = 0; i < k; i++) heap[i] = i;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(heap, k, i, logits, ids);
  let worstLogit = logits[heap[0]];
  let worstId = ids[heap[0]];
  for (let i = k; i < n; i++) {
    const x = logits[i];
    if (x < worstLogit) continue;
    if (x > worstLogit || ids[i] < worstId) {
      heap[0] = i;
      siftDown(heap, k, 0, logits, ids);
      worstLogit = logits[heap[0]];
      worstId = ids[heap[0]];
    }
  }
}

/** Heap order: the worst kept position (lowest logit, then highest id) at the root. */
function worse(a: number, b: number, logits: Float32Array, ids: Int32Array): boolean {
  const la = logits[a];
  const lb = logits[b];
  return la < lb || (la === lb && ids[a] > ids[b]);
}

function siftDown(heap: Int32Array, size: number, from: number, logits: Float32Array, ids: Int32Array): void {
  let i = from;
  const item = heap[i];
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && worse(heap[right], heap[left], logits, ids) ? right : left;
    if (!worse(heap[child], item, logits, ids)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = item;
}

/**
 * The working log-partition log Σ exp(logit × scale) of the live set, and with it every
 * probability as a stored-logit threshold: p ≥ q ⇔ stored ≥ expRef + (logSum + ln q) / scale.
 */
export function probabilityThreshold(c: CandidateSet, q: number): number {
  ensureExps(c);
  if (!Number.isFinite(c.expRef)) return q > 0 ? c.expRef : -Infinity;
  return c.expRef + (Math.log(c.expSum) + Math.log(q)) / c.scale;
}

/** The position of the largest logit (ties: lower id). */
export function bestPosition(c: CandidateSet): number {
  if (c.size === 0) throw EmptyCandidatesError.after('the chain');
  if (c.sorted || c.size === 1) return 0;
  const logits = c.logits;
  const ids = c.ids;
  let best = 0;
  let bestLogit = logits[0];
  for (let i = 1; i < c.size; i++) {
    const x = logits[i];
    if (x > bestLogit || (x === bestLogit && ids[i] < ids[best]) || (bestLogit !== bestLogit && x === x)) {
      best = i;
      bestLogit = x;
    }
  }
  return best;
}

/** Keeps only position `pos`, as the set's single token. */
export function keepOnly(c: CandidateSet, pos: number): void {
  const x = c.logits[pos];
  c.ids[0] = c.ids[pos];
  c.logits[0] = x;
  c.exps[0] = 1;
  c.size = 1;
  c.sorted = true;
  c.identity = false;
  c.max = x;
  c.expsValid = true;
  c.expRef = x;
  c.expSum = 1;
  c.blockSums[0] = 1;
  c.blocksValid = true;
}

/**
 * Moves positions `order[0..count)` to the front, in that order, through the spare buffers.
 * Carries exps (and their new sum) when they are valid.
 */
export function gatherInOrder(c: CandidateSet, count: number): void {
  const { order, ids, logits, exps, spareIds, spareLogits, spareExps } = c;
  const withExps = c.expsValid;
  let sum = 0;
  if (withExps) {
    for (let j = 0; j < count; j++) {
      const p = order[j];
      const e = exps[p];
      spareIds[j] = ids[p];
      spareLogits[j] = logits[p];
      spareExps[j] = e;
      sum += e;
    }
  } else {
    for (let j = 0; j < count; j++) {
      const p = order[j];
      spareIds[j] = ids[p];
      spareLogits[j] = logits[p];
    }
  }
  c.ids = spareIds;
  c.spareIds = ids;
  c.logits = spareLogits;
  c.spareLogits = logits;
  if (withExps) {
    c.exps = spareExps;
    c.spareExps = exps;
  }
  setShrunk(c, count);
  c.identity = false;
  c.blocksValid = false;
  // The sum in the new position order: what ensureExps would compute.
  if (withExps) c.expSum = sum;
}

/** Sorts the live set by descending logit, ties by lower id. Only for small sets. */
export function sortSet(c: CandidateSet): void {
  if (c.sorted) return;
  const n = c.size;
  const logits = c.logits;
  const ids = c.ids;
  const order = c.order;
  for (let i = 0; i < n; i++) order[i] = i;
  order.subarray(0, n).sort((a, b) => compareDescending(logits[a], logits[b], ids[a], ids[b]));
  gatherInOrder(c, n);
  c.sorted = true;
}

/** Orders by descending key, then ascending id; NaN keys go last. */
export function compareDescending(ka: number, kb: number, ia: number, ib: number): number {
  if (ka > kb) return -1;
  if (ka < kb) return 1;
  if (ka === kb) return ia - ib;
  if (ka !== ka && kb !== kb) return ia - ib;
  return ka !== ka ? 1 : -1;
}

/**
 * Keeps the smallest prefix of the live set, ordered by descending `score` (ties: lower id),
 * whose probability mass reaches `p` (within BOUNDARY_TOLERANCE). Shared by top-p (score =
 * logit) and typical-p (score = minus the distance from the entropy). `best` is the largest
 * score in the set.
 *
 * Large sets are never sorted whole. One pass drops every position into a bucket by how far its
 * score lies below `best` (BUCKETS buckets of 1 / PER_NAT nats, plus a tail bucket) and sums
 * each bucket's mass.
 * Walking the buckets from the top finds the one where the running mass reaches p: every bucket
 * above it is kept as is, and only that bucket (a few hundred tokens even for a flat
 * distribution) is sorted to find the exact cut. A second pass compacts the kept positions.
 */
export function keepPrefixByMass(c: CandidateSet, score: Float32Array | Float64Array, best: number, p: number, minKeep = 1): void {
  if (p >= 1 || c.size <= 1 || minKeep >= c.size) return;
  const n = c.size;
  const ids = c.ids;
  const byLogit = score === c.logits;

  if (c.sorted && byLogit) {
    ensureExps(c);
    const exps = c.exps;
    const target = (p - BOUNDARY_TOLERANCE) * c.expSum;
    let cum = 0;
    let keep = n;
    for (let i = 0; i < n; i++) {
      cum += exps[i];
      if (cum >= target) {
        keep = i + 1;
        break;
      }
    }
    setShrunk(c, Math.max(keep, minKeep));
    return;
  }

  if (n <= SORT_OUTRIGHT_MAX) {
    sortAndCut(c, score, p, minKeep);
    return;
  }

  // Pass 1: bucket masses. For top-p the exps are usually not known yet (a temperature ran
  // before): computing them in the same loop saves a pass over memory.
  if (!Number.isFinite(best)) {
    // An infinite best score: no distances to bucket by. Sort the lot (correct, slow, rare).
    sortAndCut(c, score, p, minKeep);
    return;
  }
  const mass = c.bucketMass;
  mass.fill(0);
  // Buckets are 1 / PER_NAT nats of the working logit: stored logits are multiplied by the scale.
  const perNat = byLogit ? PER_NAT * c.scale : PER_NAT;
  if (byLogit && !c.expsValid) {
    // exps exactly as ensureExps computes them: exp((logit - max) × scale), best being the max.
    c.expSum = bucketExps(c.logits, c.exps, mass, n, best, c.scale, perNat);
    c.expsValid = true;
    c.expRef = best;
    c.blocksValid = false;
  } else {
    ensureExps(c);
    bucketMasses(score, c.exps, mass, n, best, perNat);
  }
  const exps = c.exps;
  const target = (p - BOUNDARY_TOLERANCE) * c.expSum;
  let cut = BUCKETS;
  let before = 0;
  for (let b = 0; b < BUCKETS; b++) {
    if (before + mass[b] >= target) {
      cut = b;
      break;
    }
    before += mass[b];
  }

  // Pass 2: list the positions to keep. Branch-free: every position is written at `kept`, which
  // only advances for a keeper; when about half the positions survive (a flat distribution) a
  // branch would be mispredicted every other time. The cut bucket's positions (few, so their
  // branch is predictable) are listed from the far end of `order`: kept + aside ≤ n, so the two
  // lists never meet. Only positions move here; the values are gathered once, at the end.
  // Same arithmetic as pass 1, so each position lands in the same bucket: min(q, BUCKETS) | 0
  // is below the cut exactly when q < cut, and equals it exactly when cut ≤ q < cut + 1 (or
  // q ≥ BUCKETS, for the tail).
  const order = c.order;
  const kept = cut < BUCKETS ? listBelowCut(score, order, n, best, perNat, cut) : listBelowTail(score, order, n, best, perNat);
  const aside = listed[0];
  const asideStart = n - aside;
  order
    .subarray(asideStart, n)
    .sort((a, b) => compareDescending(score[a], score[b], ids[a], ids[b]));
  let cum = before;
  let taken = 0;
  while (taken < aside) {
    cum += exps[order[asideStart + taken]];
    taken++;
    if (cum >= target) break;
  }
  if (kept + taken < minKeep) {
    // min_keep asks for more than the mass gives: the exact order of the first minKeep is needed.
    sortAndCut(c, score, p, minKeep);
    return;
  }
  // copyWithin copies as if through a temporary, so the overlap (kept + taken may pass
  // asideStart) is safe.
  order.copyWithin(kept, asideStart, asideStart + taken);
  gatherInOrder(c, kept + taken);
  c.sorted = false;
}

/**
 * keepPrefixByMass's pass 1 for top-p without exps: exps[i] = exp((logits[i] − best) × scale),
 * each added to its bucket's mass; returns their sum. The adds into `mass` depend on each other
 * only through memory, so two positions per iteration let two be in flight. Math.min before | 0
 * keeps the bucket index in range, infinite distances included.
 */
function bucketExps(logits: Float32Array, exps: Float64Array, mass: Float64Array, n: number, best: number, scale: number, perNat: number): number {
  let total = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const x0 = logits[i];
    const x1 = logits[i + 1];
    const e0 = Math.exp((x0 - best) * scale);
    const e1 = Math.exp((x1 - best) * scale);
    exps[i] = e0;
    exps[i + 1] = e1;
    total += e0;
    total += e1;
    mass[Math.min((best - x0) * perNat, BUCKETS) | 0] += e0;
    mass[Math.min((best - x1) * perNat, BUCKETS) | 0] += e1;
  }
  if (i < n) {
    const e = Math.exp((logits[i] - best) * scale);
    exps[i] = e;
    total += e;
    mass[Math.min((best - logits[i]) * perNat, BUCKETS) | 0] += e;
  }
  return total;
}

/** Pass 1 with the exps known: each position's exp added to its score's bucket. */
function bucketMasses(score: Float32Array | Float64Array, exps: Float64Array, mass: Float64Array, n: number, best: number, perNat: number): void {
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const a = Math.min((best - score[i]) * perNat, BUCKETS) | 0;
    const b = Math.min((best - score[i + 1]) * perNat, BUCKETS) | 0;
    mass[a] += exps[i];
    mass[b] += exps[i + 1];
  }
  if (i < n) mass[Math.min((best - score[i]) * perNat, BUCKETS) | 0] += exps[i];
}

/** How many positions pass 2 set aside (listed from the far end of `order`). */
const listed = new Int32Array(1);

/**
 * Pass 2 for a cut bucket: lists the positions in buckets above it at the front of `order`
 * (returns how many) and the cut bucket's positions at its far end (their count in listed[0]).
 * Math.floor(q) === cut is one comparison that is rarely true, so its branch is predictable,
 * where `q >= cut && q < cut + 1` would branch on a coin flip for a flat distribution.
 */
function listBelowCut(score: Float32Array | Float64Array, order: Int32Array, n: number, best: number, perNat: number, cut: number): number {
  let kept = 0;
  let aside = 0;
  for (let i = 0; i < n; i++) {
    const q = (best - score[i]) * perNat;
    order[kept] = i;
    kept += +(q < cut);
    if (Math.floor(q) === cut) order[n - 1 - aside++] = i;
  }
  listed[0] = aside;
  return kept;
}

/** Pass 2 when the cut falls in the tail bucket: every tail position is set aside. */
function listBelowTail(score: Float32Array | Float64Array, order: Int32Array, n: number, best: number, perNat: number): number {
  const cut = BUCKETS;
  let kept = 0;
  let aside = 0;
  for (let i = 0; i < n; i++) {
    const q = (best - score[i]) * perNat;
    order[kept] = i;
    kept += +(q < cut);
    if (!(q < cut)) order[n - 1 - aside++] = i;
  }
  listed[0] = aside;
  return kept;
}

/** Sorts the whole live set by score and keeps the prefix whose mass reaches p: for small sets. */
function sortAndCut(c: CandidateSet, score: Float32Array | Float64Array, p: number, minKeep: number): void {
  ensureExps(c);
  const n = c.size;
  const ids = c.ids;
  const exps = c.exps;
  const target = (p - BOUNDARY_TOLERANCE) * c.expSum;
  const order = c.order;
  for (let i = 0; i < n; i++) order[i] = i;
  order.subarray(0, n).sort((a, b) => compareDescending(score[a], score[b], ids[a], ids[b]));
  let cum = 0;
  let keep = n;
  for (let j = 0; j < n; j++) {
    cum += exps[order[j]];
    if (cum >= target) {
      keep = j + 1;
      break;
    }
  }
  const byLogit = score === c.logits;
  gatherInOrder(c, Math.max(keep, Math.min(minKeep, n)));
  c.sorted = byLogit;
}

/**
 * Draws a position with probability exps[i] / expSum, using u in [0, 1). With block sums (kept
 * by the exp pass) it skips whole blocks; without (after a compaction) it scans linearly, which
 * costs less than recomputing them.
 */
export function drawPosition(c: CandidateSet, u: number): number {
  if (c.size === 0) throw EmptyCandidatesError.after('the chain');
  ensureExps(c);
  const exps = c.exps;
  const n = c.size;
  const threshold = u * c.expSum;
  let cum = 0;
  let start = 0;
  let end = n;
  if (c.blocksValid) {
    const blocks = c.blockSums;
    for (let b = 0; start < n; start += SAMPLE_BLOCK, b++) {
      if (cum + blocks[b] > threshold) break;
      cum += blocks[b];
    }
    end = start + SAMPLE_BLOCK < n ? start + SAMPLE_BLOCK : n;
  }
  for (let i = start; i < end; i++) {
    cum += exps[i];
    if (cum > threshold) return i;
  }
  // Rounding put the threshold past the last token: take the last one with any mass.
  for (let i = n - 1; i > 0; i--) if (exps[i] > 0) return i;
  return 0;
}
