/**
 * Runs several strategies on one prompt, side by side: every sequence of every strategy shares
 * the prompt's prefill and decodes in one batch. Best-of-N keeps the candidate with the highest
 * mean log-prob (AI Engineering, ch. 2) and still returns all N with their scores.
 */
import type { CausalLM } from '../model/types';
import { PromptError } from '../model/errors';
import { createSamplerChain } from '../sampling/chain';
import { createRng, sequenceSeed } from '../sampling/rng';
import { decodeBatch, type DecodedSequence, type SequenceSpec } from './decodeBatch';
import { validateDecodeOptions } from './validateOptions';
import type { CompareResult, Completion, DecodeOptions, Strategy, StrategyResult } from './types';

export interface PreparedPrompt {
  ids: number[];
  truncatedNotice?: string;
}

/** Refuses an empty prompt before any model work. */
export function checkPromptText(prompt: string): void {
  if (prompt.trim().length === 0) {
    throw new PromptError('The prompt is empty. Select some text (or pass a prompt) and run again.');
  }
}

/** Encodes a prompt, refusing an empty one and cutting one too long for the context from the left. */
export function preparePrompt(model: CausalLM, prompt: string, maxNewTokens: number): PreparedPrompt {
  checkPromptText(prompt);
  const ids = model.encodePrompt(prompt);
  // Keep room to generate: at least a quarter of the context, or maxNewTokens if smaller.
  const room = Math.min(maxNewTokens, Math.floor(model.maxContext / 4));
  const limit = model.maxContext - Math.max(1, room);
  if (ids.length <= limit) return { ids };
  const kept = ids.slice(ids.length - limit);
  return {
    ids: kept,
    truncatedNotice:
      `The prompt has ${ids.length} tokens but ${model.name} reads at most ${model.maxContext}; ` +
      `kept the last ${limit} tokens so ${room} can be generated. Shorten the prompt to use all of it.`,
  };
}

export async function compareStrategies(
  model: CausalLM,
  prompt: string,
  strategies: readonly Strategy[],
  options: DecodeOptions,
): Promise<CompareResult> {
  const samples = options.samples ?? 1;
  const firstSample = options.firstSample ?? 0;
  validateDecodeOptions({ ...options, samples }, strategies.length);
  const started = performance.now();
  const prepared = preparePrompt(model, prompt, options.maxNewTokens);

  const specs: SequenceSpec[] = [];
  const seeds: number[] = [];
  strategies.forEach((strategy, s) => {
    const count = sequencesFor(strategy, samples);
    for (let i = 0; i < count; i++) {
      const seed = sequenceSeed(options.seed, prompt, firstSample + i);
      specs.push({
        chain: createSamplerChain(strategy.sampler, model.vocabSize),
        rng: createRng(seed),
        tag: { strategy: s, sample: i },
      });
      seeds.push(seed);
    }
  });

  const decodeOptions = {
    maxNewTokens: options.maxNewTokens,
    stopStrings: options.stopStrings,
    signal: options.signal,
    topAlternatives: options.topAlternatives,
    onToken: options.onToken && ((tag: SequenceSpec['tag'], step: number, token: Completion['tokens'][number]) =>
      options.onToken!({ strategy: tag.strategy, sample: tag.sample, step, token })),
  };

  let decoded: DecodedSequence[];
  let prefillMs: number;
  if (options.batch === false) {
    decoded = [];
    prefillMs = 0;
    for (const spec of specs) {
      const t0 = performance.now() - started;
      const one = await decodeBatch(model, prepared.ids, [spec], decodeOptions);
      prefillMs += one.prefillMs;
      // Finish times count from the start of the whole comparison, as in the batched case.
      decoded.push(...one.sequences.map((seq) => ({ ...seq, finishedAtMs: seq.finishedAtMs + t0 })));
    }
  } else {
    const all = await decodeBatch(model, prepared.ids, specs, decodeOptions);
    decoded = all.sequences;
    prefillMs = all.prefillMs;
  }

  const results: StrategyResult[] = [];
  let cursor = 0;
  let totalTokens = 0;
  for (const strategy of strategies) {
    const count = sequencesFor(strategy, samples);
    const completions = decoded.slice(cursor, cursor + count).map((seq, i) => toCompletion(seq, seeds[cursor + i]!));
    cursor += count;
    const bestIndex = strategy.kind === 'best_of_n' ? argmaxMeanLogprob(completions) : 0;
    const elapsedMs = Math.max(...decoded.slice(cursor - count, cursor).map((d) => d.finishedAtMs));
    const tokens = completions.reduce((n, c) => n + c.tokens.length, 0);
    totalTokens += tokens;
    results.push({
      strategy,
      best: completions[bestIndex]!,
      completions,
      bestIndex,
      elapsedMs,
      tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
    });
  }
  const elapsedMs = performance.now() - started;
  return {
    prompt,
    promptTokens: prepared.ids.length,
    renderedPrompt: model.renderPrompt?.(prompt),
    promptFormat: model.promptFormat ?? 'raw',
    truncatedNotice: prepared.truncatedNotice,
    model: model.name,
    device: model.device,
    results,
    prefillMs,
    elapsedMs,
    tokensPerSecond: elapsedMs > 0 ? (totalTokens * 1000) / elapsedMs : 0,
  };
}

/** Greedy is deterministic, so one sequence says all; best-of-N draws its N candidates. */
export function sequencesFor(strategy: Strategy, samples: number): number {
  if (strategy.sampler.select === 'greedy' && strategy.kind !== 'best_of_n') return 1;
  if (strategy.kind === 'best_of_n') return strategy.candidates ?? 4;
  return samples;
}

function toCompletion(seq: DecodedSequence, seed: number): Completion {
  return completionOf(seq.tokens, seq.text, seq.finishReason, seed);
}

/** A completion with its sum and mean log-prob (the best-of-N score). */
export function completionOf(tokens: Completion['tokens'], text: string, finishReason: Completion['finishReason'], seed: number): Completion {
  const sumLogprob = tokens.reduce((sum, t) => sum + t.logprobRaw, 0);
  return { text, tokens, seed, finishReason, sumLogprob, meanLogprob: tokens.length > 0 ? sumLogprob / tokens.length : 0 };
}

/** Best-of-N's pick: the highest mean log-prob; ties go to the earlier candidate. */
export function argmaxMeanLogprob(completions: readonly Completion[]): number {
  let best = 0;
  completions.forEach((c, i) => {
    if (c.meanLogprob > completions[best]!.meanLogprob) best = i;
  });
  return best;
}
