/**
 * The sampler chain (after llama.cpp's): an ordered list of stages over one candidate set, then
 * a final selection. The chain is data, so describe() prints exactly the order that runs, and
 * step(), trace() and distribution() all go through the same runStages(): what the distribution
 * explorer shows is what the sampler draws from.
 */
import { bestPosition, copyLogits, drawPosition, ensureExps, sharedCandidateSet } from './candidates';
import { EmptyCandidatesError, NaNLogitError } from './errors';
import { stageDefinition, validateSamplerSpec } from './registry';
import type { Rng } from './rng';
import type { StageContext, TokenVocabulary } from './stage';
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
import { SamplingConfigError } from './checkParam';

/** One configured stage, ready to run. */
export interface Stage {
  readonly type: StageType;
  /** As describe() prints it, e.g. "top_k(40)". */
  readonly label: string;
  apply(c: CandidateSet, ctx: StageContext): void;
  /** After the token is chosen (mirostat's μ). */
  accept?(token: number, logprobSampling: number): void;
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

/** A stage from its config, through its registry definition. */
export function createStage(config: StageConfig, vocabSize: number, vocabulary?: TokenVocabulary): Stage {
  const definition = stageDefinition(config.type);
  const runtime = definition.create(config, { vocabSize, vocabulary });
  return { type: config.type, label: definition.label(config), apply: runtime.apply, accept: runtime.accept };
}

/** "logits -> repetition_penalty(1.1) -> top_k(40) -> temperature(0.8) -> dist" (or "-> greedy"). */
export function describeSampler(spec: SamplerSpec): string {
  const labels = spec.stages.map((s) => stageDefinition(s.type).label(s));
  const minKeep = spec.minKeep !== undefined && spec.minKeep > 1 ? [`min_keep(${spec.minKeep})`] : [];
  return ['logits', ...labels, ...minKeep, spec.select === 'greedy' ? 'greedy' : 'dist'].join(' -> ');
}

/** Does the stage leave every distribution unchanged, whatever the logits? */
function isNoOp(config: StageConfig, vocabSize: number): boolean {
  return stageDefinition(config.type).isNoOp(config, vocabSize);
}

/**
 * The raw pass already computes exp(logit - max) for the log-sum-exp. Keep those exps (instead of
 * only their sum) when the first stage that does anything reads probabilities of the raw
 * distribution (top-p, typical-p, dynamic temperature's entropy, or the final draw), so no exp
 * is computed twice. Penalties and biases before it rewrite a few logits and patch their exps,
 * so they do not stand in the way.
 */
function rawExpsReusable(spec: SamplerSpec, vocabSize: number): boolean {
  for (const config of spec.stages) {
    if (isNoOp(config, vocabSize)) continue;
    const definition = stageDefinition(config.type);
    if (definition.rewritesFewLogits) continue;
    return definition.readsProbabilities(config);
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

/**
 * A chain for one sequence (stages may keep state across its steps: mirostat's μ). `vocabulary`
 * (the model's tokenizer) resolves stages configured by text: DRY's breakers, logit bias strings.
 */
export function createSamplerChain(input: SamplerSpec, vocabSize: number, candidates?: CandidateSet, vocabulary?: TokenVocabulary): SamplerChain {
  validateSamplerSpec(input);
  // A private copy: the stages read their parameters on every step, and a caller editing its spec
  // afterwards must not change (or unvalidate) a chain that was already built.
  // A JSON copy: validated configs hold only finite numbers, strings, lists and bias maps.
  const spec: SamplerSpec = JSON.parse(JSON.stringify({ select: input.select, stages: input.stages, minKeep: input.minKeep })) as SamplerSpec;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new SamplingConfigError(`vocabSize must be an integer ≥ 1 (got ${vocabSize}).`, 'vocabSize');
  }
  if (candidates && candidates.vocabSize !== vocabSize) {
    throw new SamplingConfigError(`candidates were made for ${candidates.vocabSize} tokens, not ${vocabSize}.`, 'vocabSize');
  }
  const c = candidates ?? sharedCandidateSet(vocabSize);
  const stages = spec.stages.map((s) => createStage(s, vocabSize, vocabulary));
  const ctx: StageContext = { history: [], minKeep: Math.max(1, spec.minKeep ?? 1), rng: undefined };
  const name = describeSampler(spec);
  const reuseRaw = rawExpsReusable(spec, vocabSize);
  // Greedy with nothing to apply needs only the raw argmax: skip copying the row into the set.
  const rawArgmaxIsAnswer = spec.select === 'greedy' && spec.stages.every((s) => isNoOp(s, vocabSize));
  let altIds = new Int32Array(8);
  let altLogits = new Float64Array(8);
  let altCount = 0;
  const rowScan = new Float64Array(3);

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
    rng?: Rng,
  ): RawStats => {
    if (logits.length !== vocabSize) {
      throw new RangeError(`logits has ${logits.length} entries, but the chain was built for a vocabulary of ${vocabSize}.`);
    }
    if (alternatives > altIds.length) {
      altIds = new Int32Array(alternatives);
      altLogits = new Float64Array(alternatives);
    }
    const n = vocabSize;
    altCount = scanRow(logits, alternatives, altIds, altLogits, rowScan);
    const max = rowScan[0];
    const argmax = rowScan[1];
    // A NaN compares false with everything: top-k would never evict it, top-p's cut would be
    // NaN, and the draw would fall through to some token. Refuse the row instead.
    if (rowScan[2] >= 0) throw NaNLogitError.forToken(rowScan[2]);
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
      logZ = max + Math.log(sumExp(logits, max));
    }
    const raw = { max, argmax, logZ, infiniteCount };
    if (!loadSet) return raw;
    onStage?.(null);
    ctx.history = history;
    ctx.rng = rng;
    for (const stage of stages) {
      stage.apply(c, ctx);
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
      const raw = runStages(logits, history, topAlternatives, undefined, !rawArgmaxIsAnswer, rng);
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
      for (const stage of stages) stage.accept?.(token, logprobSampling);
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

/*
 * The scans over the raw row are functions of their own, taking arrays and numbers: V8 optimises
 * them whole. As loops inside runStages they ran as on-stack-replacement code that bailed out on
 * every call at the first statement after the loop, leaving the rest of the step interpreted.
 */

/**
 * One pass over the raw row: out = [max, position of the first max, first NaN position or -1],
 * and the `alternatives` highest logits into altIds / altLogits, best first (a small insertion
 * list: most tokens fail one comparison). Returns how many alternatives were listed.
 */
function scanRow(logits: Float32Array, alternatives: number, altIds: Int32Array, altLogits: Float64Array, out: Float64Array): number {
  const n = logits.length;
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
  out[0] = max;
  out[1] = argmax;
  out[2] = nan;
  return filled;
}

/** Σ exp(logits[i] − max): the raw log-partition's sum when its exps are not kept. */
function sumExp(logits: Float32Array, max: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return sum;
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
