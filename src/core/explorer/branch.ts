/**
 * "Branch from here" and the logits behind a finished completion's steps. A branch forces an
 * alternative token at step k, then decodes on with the decode loop (decodeBatch) and a strategy,
 * so the new card's text starts with that token and its later tokens carry the usual numbers.
 */
import { completionOf } from '../decode/compare';
import { decodeBatch } from '../decode/decodeBatch';
import type { Completion, FinishReason, Strategy, TokenInfo } from '../decode/types';
import type { CausalLM } from '../model/types';
import { createSamplerChain, type SamplerChain } from '../sampling/chain';
import type { TokenVocabulary } from '../sampling/stage';
import { createRng } from '../sampling/rng';
import { explainStepWithSpec } from './explainStep';

/** The ids the model has seen before step k: the prompt, then the first k generated tokens. */
export function stepHistory(promptIds: readonly number[], generatedIds: readonly number[], k: number): number[] {
  checkStep(generatedIds, k, 'stepHistory');
  return [...promptIds, ...generatedIds.slice(0, k)];
}

/** The ids to continue from after replacing step k's token with `altToken`. */
export function branchIds(promptIds: readonly number[], generatedIds: readonly number[], k: number, altToken: number): number[] {
  return [...stepHistory(promptIds, generatedIds, k), altToken];
}

function checkStep(generatedIds: readonly number[], k: number, where: string): void {
  if (!Number.isInteger(k) || k < 0 || k >= Math.max(1, generatedIds.length)) {
    throw new RangeError(`${where}: step must be an integer in [0, ${generatedIds.length}) (got ${k}).`);
  }
}

/** Every step's logits of one finished completion, from one full forward pass. Cache one per completion. */
export interface CompletionLogits {
  readonly steps: number;
  readonly vocabSize: number;
  /** The logits row the decode loop saw at step k (a view; do not write). */
  at(k: number): Float32Array;
}

/**
 * One forwardFull over prompt + generated: the row at position promptLength − 1 + k predicts
 * generated token k. The last generated token needs no row after it, so it is not fed.
 */
export async function completionLogits(model: CausalLM, promptIds: readonly number[], generatedIds: readonly number[]): Promise<CompletionLogits> {
  if (promptIds.length === 0) throw new RangeError('completionLogits: the prompt has no tokens.');
  const steps = generatedIds.length;
  const ids = [...promptIds, ...generatedIds.slice(0, Math.max(0, steps - 1))];
  const all = await model.forwardFull(ids);
  const V = model.vocabSize;
  const first = promptIds.length - 1;
  return {
    steps,
    vocabSize: V,
    at(k: number) {
      checkStep(generatedIds, k, 'CompletionLogits.at');
      const pos = first + k;
      return all.subarray(pos * V, (pos + 1) * V);
    },
  };
}

/** The logits at step k of a finished completion (a fresh array). For many steps, use completionLogits. */
export async function stepLogits(model: CausalLM, promptIds: readonly number[], generatedIds: readonly number[], k: number): Promise<Float32Array> {
  const ids = stepHistory(promptIds, generatedIds, k);
  if (ids.length === 0) throw new RangeError('stepLogits: the prompt has no tokens.');
  const all = await model.forwardFull(ids);
  const V = model.vocabSize;
  return all.slice((ids.length - 1) * V, ids.length * V);
}

export interface ContinueOptions {
  /** New tokens in the branch, the forced one included. */
  maxNewTokens: number;
  seed: number;
  stopStrings?: string[];
  signal?: AbortSignal;
  topAlternatives?: number;
  /** Streams the branch's tokens (step 0 is the forced token). */
  onToken?: (step: number, token: TokenInfo) => void;
}

export interface BranchResult {
  /** The branch as a card shows it: text and tokens start with the forced token. */
  completion: Completion;
  /** The ids decoding started from: prompt + the parent's first `step` tokens. */
  contextIds: number[];
  /** The parent's step that was replaced. */
  step: number;
  token: number;
}

/**
 * Continues from prompt + prefix with `altToken` forced as the first new token, then decodes on
 * with `strategy` (best-of-N draws one sequence here). The forced token's numbers are the
 * strategy's own: logprobSampling is −∞ when the strategy would have cut the token.
 */
export async function continueFrom(
  model: CausalLM,
  promptIds: readonly number[],
  prefixIds: readonly number[],
  altToken: number,
  strategy: Strategy,
  options: ContinueOptions,
): Promise<BranchResult> {
  if (!Number.isInteger(altToken) || altToken < 0 || altToken >= model.vocabSize) {
    throw new RangeError(`The branch token must be a token id in [0, ${model.vocabSize}) (got ${altToken}).`);
  }
  const contextIds = [...promptIds, ...prefixIds];
  const chain = forceFirstToken(createSamplerChain(strategy.sampler, model.vocabSize, undefined, model), altToken, model);
  const { sequences } = await decodeBatch(model, contextIds, [{ chain, rng: createRng(options.seed), tag: { strategy: 0, sample: 0 } }], {
    maxNewTokens: options.maxNewTokens,
    stopStrings: options.stopStrings,
    signal: options.signal,
    topAlternatives: options.topAlternatives,
    onToken: options.onToken && ((_tag, step, token) => options.onToken!(step, token)),
  });
  const seq = sequences[0]!;
  return { completion: completionOf(seq.tokens, seq.text, seq.finishReason, options.seed), contextIds, step: prefixIds.length, token: altToken };
}

/**
 * A chain whose first step returns `token` instead of drawing, reporting the numbers the chain
 * gives that token (raw log-prob, sampling log-prob, raw alternatives); later steps are the chain's.
 */
export function forceFirstToken(chain: SamplerChain, token: number, vocabulary?: TokenVocabulary): SamplerChain {
  let forced = false;
  return {
    name: chain.name,
    spec: chain.spec,
    vocabSize: chain.vocabSize,
    stages: chain.stages,
    describe: () => chain.describe(),
    trace: (logits, history, topN) => chain.trace(logits, history, topN),
    distribution: (logits, history, limit) => chain.distribution(logits, history, limit),
    step(logits, history, rng, topAlternatives = 5) {
      if (forced) return chain.step(logits, history, rng, topAlternatives);
      forced = true;
      const view = explainStepWithSpec(logits, history, chain.spec, { chosenToken: token, topN: Math.max(1, topAlternatives), vocabulary });
      const chosen = view.chosen!;
      return {
        token,
        logprobRaw: chosen.rawLogprob,
        logprobSampling: chosen.finalLogprob,
        // As step() reports alternatives: prob = exp(logprob).
        alternatives: view.tokens.slice(0, topAlternatives).map((t) => ({ token: t.token, prob: Math.exp(t.logprob), logprob: t.logprob })),
        candidates: view.final.surviving,
      };
    },
  };
}

