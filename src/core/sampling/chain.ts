/**
 * The sampler chain (after llama.cpp's): an ordered list of stages over one candidate set, then
 * a final selection. The chain is data, so describe() prints exactly the order that runs, and
 * step(), trace() and distribution() all go through the same runStages(): what the distribution
 * explorer shows is what the sampler draws from.
 */
import { bestPosition, copyLogits, drawPosition, ensureExps, sharedCandidateSet } from './candidates';
import { EmptyCandidatesError, NaNLogitError } from './errors';
import { minP, minPLabel } from './minP';
import { DEFAULT_PENALTY_LAST_N, repetitionPenalty, repetitionPenaltyLabel } from './repetitionPenalty';
import type { Rng } from './rng';
import { temperature, temperatureLabel } from './temperature';
import { topK, topKLabel } from './topK';
import { topP, topPLabel } from './topP';
import { typicalP, typicalPLabel } from './typicalP';
import type {
  CandidateSet,
  ChainTrace,
  FinalDistribution,
  SamplerSpec,
  StageConfig,
  StageTrace,
  StageType,
  StepResult,
  TokenAlternative,
  TracedToken,
} from './types';
import { SamplingConfigError, validateSamplerSpec } from './validate';

/** One configured stage, ready to run. */
export interface Stage {
  readonly type: StageType;
  /** As describe() prints it, e.g. "top_k(40)". */
  readonly label: string;
  apply(c: CandidateSet, history: ArrayLike<number>): void;
}

export interface SamplerChain {
  /** The printed order, e.g. "logits -> top_k(40) -> temperature(0.8) -> dist". */
  readonly name: string;
  readonly spec: SamplerSpec;
  readonly vocabSize: number;
  readonly stages: readonly Stage[];
  describe(): string;
  /**
   * Picks the next token. `logits` is one row of length vocabSize and is never written (the
   * caller reuses it); `history` is every token so far, prompt included.
   */
  step(logits: Float32Array, history: ArrayLike<number>, rng: Rng, topAlternatives?: number): StepResult;
  /**
   * For the distribution explorer: what each stage left (its `topN` most probable survivors,
   * renormalised), then the final distribution's `topN` tokens. Same code path as step().
   */
  trace(logits: Float32Array, history: ArrayLike<number>, topN?: number): ChainTrace;
  /**
   * The final distribution step() draws from, most probable first: all of it, or its `limit`
   * most probable tokens (ordering a whole 150k vocabulary takes ~200 ms; the explorer wants a limit).
   */
  distribution(logits: Float32Array, history: ArrayLike<number>, limit?: number): FinalDistribution;
}

export function createStage(config: StageConfig): Stage {
  switch (config.type) {
    case 'repetition_penalty': {
      const lastN = config.lastN ?? DEFAULT_PENALTY_LAST_N;
      return {
        type: config.type,
        label: repetitionPenaltyLabel(config.penalty, lastN),
        apply: (c, history) => repetitionPenalty(c, history, config.penalty, lastN),
      };
    }
    case 'temperature':
      return { type: config.type, label: temperatureLabel(config.t), apply: (c) => temperature(c, config.t) };
    case 'top_k':
      return { type: config.type, label: topKLabel(config.k), apply: (c) => topK(c, config.k) };
    case 'top_p':
      return { type: config.type, label: topPLabel(config.p), apply: (c) => topP(c, config.p) };
    case 'min_p':
      return { type: config.type, label: minPLabel(config.p), apply: (c) => minP(c, config.p) };
    case 'typical_p':
      return { type: config.type, label: typicalPLabel(config.p), apply: (c) => typicalP(c, config.p) };
  }
}

/** "logits -> repetition_penalty(1.1) -> top_k(40) -> temperature(0.8) -> dist" (or "-> greedy"). */
export function describeSampler(spec: SamplerSpec): string {
  const labels = spec.stages.map((s) => createStage(s).label);
  return ['logits', ...labels, spec.select === 'greedy' ? 'greedy' : 'dist'].join(' -> ');
}

/** Does the stage leave every distribution unchanged, whatever the logits? */
function isNoOp(config: StageConfig, vocabSize: number): boolean {
  switch (config.type) {
    case 'repetition_penalty':
      return config.penalty === 1 || config.lastN === 0;
    case 'temperature':
      return config.t === 1;
    case 'top_k':
      return config.k >= vocabSize;
    case 'top_p':
    case 'typical_p':
      return config.p >= 1;
    case 'min_p':
      return config.p <= 0;
  }
}

/**
 * The raw pass already computes exp(logit - max) for the log-sum-exp. Keep those exps (instead of
 * only their sum) when the first stage that does anything reads probabilities of the raw
 * distribution (top-p, typical-p, or the final draw), so no exp is computed twice.
 */
function rawExpsReusable(spec: SamplerSpec, vocabSize: number): boolean {
  for (const config of spec.stages) {
    if (isNoOp(config, vocabSize)) continue;
    return config.type === 'top_p' || config.type === 'typical_p';
  }
  return spec.select === 'sample';
}

interface RawStats {
  max: number;
  /** Position of the first (lowest-id) max. */
  argmax: number;
  /** log Σ exp(logits): log P_raw(token) = logit - logZ. */
  logZ: number;
  /** How many tokens hold the max, when the max is +∞ (they share all the mass). */
  infiniteCount: number;
}

export function createSamplerChain(input: SamplerSpec, vocabSize: number, candidates?: CandidateSet): SamplerChain {
  validateSamplerSpec(input);
  // A private copy: the stages read their parameters on every step, and a caller editing its spec
  // afterwards must not change (or unvalidate) a chain that was already built.
  const spec: SamplerSpec = { select: input.select, stages: input.stages.map((s) => ({ ...s })) };
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new SamplingConfigError(`vocabSize must be an integer ≥ 1 (got ${vocabSize}).`, 'vocabSize');
  }
  if (candidates && candidates.vocabSize !== vocabSize) {
    throw new SamplingConfigError(`candidates were made for ${candidates.vocabSize} tokens, not ${vocabSize}.`, 'vocabSize');
  }
  const c = candidates ?? sharedCandidateSet(vocabSize);
  const stages = spec.stages.map(createStage);
  const name = describeSampler(spec);
  const reuseRaw = rawExpsReusable(spec, vocabSize);
  // Greedy with nothing to apply needs only the raw argmax: skip copying the row into the set.
  const rawArgmaxIsAnswer = spec.select === 'greedy' && spec.stages.every((s) => isNoOp(s, vocabSize));
  let altIds = new Int32Array(8);
  let altLogits = new Float64Array(8);
  let altCount = 0;

  /**
   * One pass for the max and the top `alternatives` raw logits (a small insertion list: most
   * tokens fail one comparison), one for Σ exp(logit - max). Then the stages, in order.
   */
  const runStages = (
    logits: Float32Array,
    history: ArrayLike<number>,
    alternatives: number,
    onStage?: (stage: Stage | null) => void,
    loadSet = true,
  ): RawStats => {
    if (logits.length !== vocabSize) {
      throw new RangeError(`logits has ${logits.length} entries, but the chain was built for a vocabulary of ${vocabSize}.`);
    }
    if (alternatives > altIds.length) {
      altIds = new Int32Array(alternatives);
      altLogits = new Float64Array(alternatives);
    }
    const n = vocabSize;
    let max = -Infinity;
    let argmax = 0;
    let filled = 0;
    let nan = -1;
    let worst = alternatives > 0 ? -Infinity : Infinity;
    for (let i = 0; i < n; i++) {
      const v = logits[i];
      if (v > max) {
        max = v;
        argmax = i;
      } else if (v !== v && nan < 0) {
        nan = i;
      }
      if (v > worst) {
        // Strictly greater: on a tie the token already listed (the lower id) stays ahead.
        let j = filled < alternatives ? filled++ : alternatives - 1;
        while (j > 0 && altLogits[j - 1] < v) {
          altLogits[j] = altLogits[j - 1];
          altIds[j] = altIds[j - 1];
          j--;
        }
        altLogits[j] = v;
        altIds[j] = i;
        if (filled === alternatives) worst = altLogits[alternatives - 1];
      }
    }
    altCount = filled;
    // A NaN compares false with everything: top-k would never evict it, top-p's cut would be
    // NaN, and the draw would fall through to some token. Refuse the row instead.
    if (nan >= 0) throw NaNLogitError.forToken(nan);
    if (loadSet) {
      copyLogits(c, logits);
      c.max = max;
    }

    let logZ: number;
    let infiniteCount = 0;
    if (max === Infinity || max === -Infinity) {
      for (let i = 0; i < n; i++) if (logits[i] === max) infiniteCount++;
      logZ = max;
    } else if (reuseRaw && loadSet) {
      ensureExps(c);
      logZ = max + Math.log(c.expSum);
    } else {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(logits[i] - max);
      logZ = max + Math.log(sum);
    }
    const raw = { max, argmax, logZ, infiniteCount };
    if (!loadSet) return raw;
    onStage?.(null);
    for (const stage of stages) {
      stage.apply(c, history);
      if (c.size === 0) throw EmptyCandidatesError.after(stage.label);
      onStage?.(stage);
    }
    return raw;
  };

  const rawLogprob = (raw: RawStats, logit: number): number => {
    if (raw.infiniteCount === 0) return logit - raw.logZ;
    // The max is ±∞: the tokens holding it share the mass equally.
    return logit === raw.max ? 0 - Math.log(raw.infiniteCount) : -Infinity;
  };

  /** The final distribution over the set the stages left: the same numbers step() uses. */
  const finalOf = (limit: number): FinalDistribution => {
    if (spec.select === 'greedy') {
      const pos = bestPosition(c);
      return { select: 'greedy', tokens: Int32Array.of(c.ids[pos]), probs: Float64Array.of(1), logprobs: Float64Array.of(0) };
    }
    ensureExps(c);
    const positions = topPositions(c, Math.min(limit, c.size));
    const logSum = Math.log(c.expSum);
    return {
      select: 'sample',
      tokens: Int32Array.from(positions, (p) => c.ids[p]),
      probs: Float64Array.from(positions, (p) => c.exps[p] / c.expSum),
      logprobs: Float64Array.from(positions, (p) => Math.log(c.exps[p]) - logSum),
    };
  };

  const chain: SamplerChain = {
    name,
    spec,
    vocabSize,
    stages,
    describe: () => name,

    step(logits, history, rng, topAlternatives = 5) {
      if (!Number.isInteger(topAlternatives) || topAlternatives < 0) {
        throw new RangeError(`topAlternatives must be an integer ≥ 0 (got ${topAlternatives}).`);
      }
      const raw = runStages(logits, history, topAlternatives, undefined, !rawArgmaxIsAnswer);
      let pos: number;
      let logprobSampling: number;
      let candidates: number;
      if (rawArgmaxIsAnswer) {
        pos = raw.argmax;
        logprobSampling = 0;
        candidates = 1;
      } else if (spec.select === 'greedy') {
        pos = bestPosition(c);
        logprobSampling = 0;
        candidates = 1;
      } else {
        pos = drawPosition(c, rng.next());
        logprobSampling = Math.log(c.exps[pos]) - Math.log(c.expSum);
        candidates = c.size;
      }
      const token = rawArgmaxIsAnswer ? pos : c.ids[pos];
      const alternatives: TokenAlternative[] = [];
      for (let j = 0; j < altCount; j++) {
        const logprob = rawLogprob(raw, altLogits[j]);
        alternatives.push({ token: altIds[j], prob: Math.exp(logprob), logprob });
      }
      return { token, logprobRaw: rawLogprob(raw, logits[token]), logprobSampling, alternatives, candidates };
    },

    trace(logits, history, topN = 10) {
      const traces: StageTrace[] = [];
      runStages(logits, history, 0, (stage) => {
        traces.push({
          name: stage ? stage.label : 'logits',
          type: stage ? stage.type : 'logits',
          survivors: c.size,
          top: peekTop(c, topN),
        });
      });
      return { chain: name, stages: traces, final: finalOf(topN) };
    },

    distribution(logits, history, limit = Infinity) {
      runStages(logits, history, 0);
      return finalOf(limit);
    },
  };
  return chain;
}

/** Runs `spec` once over one row, for the distribution explorer. */
export function traceChain(spec: SamplerSpec, logits: Float32Array, history: ArrayLike<number>, topN = 10): ChainTrace {
  return createSamplerChain(spec, logits.length).trace(logits, history, topN);
}

/** The distribution `spec` samples from for this row: every surviving token, most probable first. */
export function finalDistribution(
  spec: SamplerSpec,
  logits: Float32Array,
  history: ArrayLike<number>,
  limit = Infinity,
): FinalDistribution {
  return createSamplerChain(spec, logits.length).distribution(logits, history, limit);
}

/**
 * Positions of the `count` highest logits in the live set, best first (ties: lower id). Exps are
 * monotone in logits, so this is also probability order. Not on the per-token path.
 */
function topPositions(c: CandidateSet, count: number): number[] {
  const { logits, ids, size } = c;
  if (c.sorted) return Array.from({ length: count }, (_, i) => i);
  const better = (a: number, b: number) => logits[a] > logits[b] || (logits[a] === logits[b] && ids[a] < ids[b]);
  if (count > 64) {
    const all = Array.from({ length: size }, (_, i) => i);
    all.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
    return all.slice(0, count);
  }
  const top: number[] = [];
  for (let i = 0; i < size; i++) {
    if (top.length === count && !better(i, top[count - 1]!)) continue;
    let j = top.length < count ? top.length : count - 1;
    top[j] = i;
    while (j > 0 && better(i, top[j - 1]!)) {
      top[j] = top[j - 1]!;
      top[j - 1] = i;
      j--;
    }
  }
  return top;
}

/** The top tokens of the live set with probabilities renormalised over it; leaves `c` as it is. */
function peekTop(c: CandidateSet, topN: number): TracedToken[] {
  const { logits, ids, size, scale } = c;
  let max = -Infinity;
  for (let i = 0; i < size; i++) if (logits[i] > max) max = logits[i];
  const weight = (x: number) => (Number.isFinite(max) ? Math.exp((x - max) * scale) : x === max ? 1 : 0);
  let sum = 0;
  for (let i = 0; i < size; i++) sum += weight(logits[i]);
  return topPositions(c, Math.min(topN, size)).map((p) => ({ token: ids[p], logit: logits[p] * scale, prob: weight(logits[p]) / sum }));
}
