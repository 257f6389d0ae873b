/**
 * The distribution explorer's numbers for one decoding step: the raw distribution (the chart),
 * its entropy and the mass the chart leaves out; then, for the live controls, what each stage of
 * the chain keeps and the renormalised distribution sampling draws from.
 *
 * Every probability after a stage comes from the sampler chain itself (trace() and
 * distribution(), the code step() runs), so what the explorer shows is what sampling does. Only
 * the raw row's entropy and tail mass are computed here, in log space.
 */
import { createSamplerChain } from '../sampling/chain';
import { stageDefinition } from '../sampling/registry';
import type { TokenVocabulary } from '../sampling/stage';
import type { SamplerSpec, SelectMode, StageType } from '../sampling/types';
import { logprobOf, NATS_PER_BIT, rowStats, tailMass } from './entropy';
import { samplerSpecOf, type ExplorerSettings } from './settings';

export const DEFAULT_SHOWN_TOKENS = 30;

export interface ExplainOptions {
  /** The token the completion picked at this step; marked in the chart and followed through the stages. */
  chosenToken?: number;
  /** How many of the most likely raw tokens to show (default 30). */
  topN?: number;
  /** The model's tokenizer, for stages configured by text (DRY breakers, logit bias strings). */
  vocabulary?: TokenVocabulary;
}

/** One bar of the chart: a token among the `topN` most likely under the raw distribution. */
export interface ShownToken {
  token: number;
  /** 0 for the most likely token (ties: lower id first, as everywhere in the chain). */
  rank: number;
  logit: number;
  /** softmax(logits), as the chain's raw trace gives it. */
  prob: number;
  logprob: number;
  chosen: boolean;
  /** Probability under the final sampling distribution (0 when a stage cut it). */
  finalProb: number;
  /** log finalProb (−∞ when cut). */
  finalLogprob: number;
  /** The label of the first stage that cut the token, e.g. "top_p(0.9)"; undefined if it survives. */
  cutBy?: string;
}

/** What one stage left, for the shown tokens. Entry 0 is the raw logits. */
export interface StageView {
  /** "logits", or the stage's label, e.g. "top_k(40)". */
  name: string;
  type: StageType | 'logits';
  /** Tokens still candidates after the stage (over the whole vocabulary). */
  survivors: number;
  /** survives[i]: is tokens[i] still a candidate after this stage? */
  survives: boolean[];
  /** probs[i]: tokens[i]'s probability renormalised over this stage's survivors (0 if cut). */
  probs: number[];
}

export interface ChosenView {
  token: number;
  rank: number;
  /** Is the chosen token one of the shown bars? */
  shown: boolean;
  rawProb: number;
  rawLogprob: number;
  /** The probability it would have under the current settings (0 if they cut it). */
  finalProb: number;
  finalLogprob: number;
  cutBy?: string;
}

export interface StepExplanation {
  vocabSize: number;
  /** The chart's bars, most likely first. */
  tokens: ShownToken[];
  /** Entropy of the raw distribution softmax(logits). */
  entropyNats: number;
  entropyBits: number;
  /** Raw probability mass of the tokens not shown, summed directly (stable when tiny). */
  tailMass: number;
  chosen?: ChosenView;
  /** The chain the settings build, printed, e.g. "logits -> temperature(0.8) -> top_p(0.9) -> dist". */
  chain: string;
  spec: SamplerSpec;
  stages: StageView[];
  final: {
    select: SelectMode;
    /** How many tokens sampling chooses among (1 for greedy). */
    surviving: number;
    /** Final probability mass on the shown tokens. */
    shownMass: number;
  };
}

/** The explorer for one step under the live controls' settings. */
export function explainStep(
  logits: Float32Array,
  history: ArrayLike<number>,
  settings: ExplorerSettings,
  options: ExplainOptions = {},
): StepExplanation {
  return explainStepWithSpec(logits, history, samplerSpecOf(settings), options);
}

/** The same, for any sampler spec (a card's own strategy, repetition penalty included). */
export function explainStepWithSpec(
  logits: Float32Array,
  history: ArrayLike<number>,
  spec: SamplerSpec,
  options: ExplainOptions = {},
): StepExplanation {
  const topN = options.topN ?? DEFAULT_SHOWN_TOKENS;
  if (!Number.isInteger(topN) || topN < 1) throw new RangeError(`topN must be an integer ≥ 1 (got ${topN}).`);
  const vocabSize = logits.length;
  const chosenToken = options.chosenToken;
  if (chosenToken !== undefined && (!Number.isInteger(chosenToken) || chosenToken < 0 || chosenToken >= vocabSize)) {
    throw new RangeError(`chosenToken must be a token id in [0, ${vocabSize}) (got ${chosenToken}).`);
  }
  const chain = createSamplerChain(spec, vocabSize, undefined, options.vocabulary);
  const trace = chain.trace(logits, history, topN);
  const lastStage = trace.stages[trace.stages.length - 1]!;
  const surviving = trace.final.select === 'greedy' ? 1 : lastStage.survivors;
  // Stages that keep the most likely tokens in raw order (temperature, top-k, top-p, min-p, …)
  // leave every shown token that survived in the final distribution's top `topN`, at its raw
  // rank. A penalty, typical-p or XTC can reorder or skip the top (the registry's keepsTop): then
  // the whole final distribution and whole-vocabulary stage lists are read instead (slower, exact).
  const reorders = spec.stages.some((s) => !stageDefinition(s.type).keepsTop);
  const final = reorders ? chain.distribution(logits, history) : trace.final;
  const finalById = new Map<number, number>();
  final.tokens.forEach((token, i) => finalById.set(token, i));
  const finalProbOf = (token: number) => {
    const i = finalById.get(token);
    return i === undefined ? { prob: 0, logprob: -Infinity } : { prob: final.probs[i]!, logprob: final.logprobs[i]! };
  };

  const stats = rowStats(logits);
  const raw = trace.stages[0]!;
  const shownIds = raw.top.map((t) => t.token);

  // Likewise a stage's top `topN` survivors are exactly the shown tokens it kept.
  const fullTrace = reorders ? chain.trace(logits, history, vocabSize) : undefined;
  const stages: StageView[] = trace.stages.map((stage, s) => {
    const listed = new Map<number, number>();
    for (const t of (fullTrace?.stages[s] ?? stage).top) listed.set(t.token, t.prob);
    return {
      name: stage.name,
      type: stage.type,
      survivors: stage.survivors,
      survives: shownIds.map((id) => listed.has(id)),
      probs: shownIds.map((id) => listed.get(id) ?? 0),
    };
  });
  /** The first stage (after the raw logits) that left a token out; undefined if none did. */
  const cutByOf = (survivesAt: (s: number) => boolean): string | undefined => {
    for (let s = 1; s < stages.length; s++) if (!survivesAt(s)) return stages[s]!.name;
    return undefined;
  };

  const tokens: ShownToken[] = raw.top.map((t, rank) => {
    const f = finalProbOf(t.token);
    // Greedy selection then keeps one token of what the stages left.
    const cutBy = cutByOf((s) => stages[s]!.survives[rank]!) ?? (f.prob === 0 ? 'greedy' : undefined);
    return {
      token: t.token,
      rank,
      logit: t.logit,
      prob: t.prob,
      logprob: logprobOf(stats, t.logit),
      chosen: t.token === chosenToken,
      finalProb: f.prob,
      finalLogprob: f.logprob,
      ...(cutBy !== undefined && { cutBy }),
    };
  });

  let chosen: ChosenView | undefined;
  if (chosenToken !== undefined) {
    const rawLogprob = logprobOf(stats, logits[chosenToken]!);
    const rank = rankOf(logits, chosenToken);
    let f = finalProbOf(chosenToken);
    if (f.prob === 0 && !reorders && trace.final.select === 'sample' && rank < surviving) {
      // Kept, but below the final top `topN`: its final rank is its raw rank.
      const deeper = chain.distribution(logits, history, rank + 1);
      const at = deeper.tokens.indexOf(chosenToken);
      if (at >= 0) f = { prob: deeper.probs[at]!, logprob: deeper.logprobs[at]! };
    }
    const shownAt = shownIds.indexOf(chosenToken);
    let cutBy: string | undefined;
    if (shownAt >= 0) cutBy = tokens[shownAt]!.cutBy;
    else if (f.prob === 0) {
      // Not among the shown bars: the first stage that left it out. Without reordering, a stage
      // keeps the raw top `survivors`, so rank alone decides.
      const kept = fullTrace
        ? (s: number) => fullTrace.stages[s]!.top.some((t) => t.token === chosenToken)
        : (s: number) => rank < stages[s]!.survivors;
      cutBy = cutByOf(kept) ?? 'greedy';
    }
    chosen = {
      token: chosenToken,
      rank,
      shown: shownAt >= 0,
      rawProb: Math.exp(rawLogprob),
      rawLogprob,
      finalProb: f.prob,
      finalLogprob: f.logprob,
      ...(cutBy !== undefined && { cutBy }),
    };
  }

  return {
    vocabSize,
    tokens,
    entropyNats: stats.entropyNats,
    entropyBits: stats.entropyNats / NATS_PER_BIT,
    tailMass: tailMass(logits, stats, new Set(shownIds)),
    chosen,
    chain: trace.chain,
    spec: chain.spec,
    stages,
    final: {
      select: trace.final.select,
      surviving,
      shownMass: tokens.reduce((m, t) => m + t.finalProb, 0),
    },
  };
}

/** 0-based rank of `token` under the raw distribution (ties: lower id first). */
export function rankOf(logits: ArrayLike<number>, token: number): number {
  const x = logits[token]!;
  let rank = 0;
  for (let i = 0; i < logits.length; i++) {
    const y = logits[i]!;
    if (y > x || (y === x && i < token)) rank++;
  }
  return rank;
}
