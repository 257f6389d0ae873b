/**
 * The decode loop: prefill the prompt once, fan the KV cache out to every sequence, then decode
 * all sequences in one batch, one token per step, each with its own sampler chain and PRNG.
 * Sequences that finish leave the batch, so the batch only ever carries live rows. Cancellation
 * is checked before every step, between the rows of a step, and before each forward pass.
 */
import type { CausalLM, KvCache } from '../model/types';
import type { SamplerChain } from '../sampling/chain';
import { SamplingStepError } from '../sampling/errors';
import type { Rng } from '../sampling/rng';
import type { FinishReason, TokenInfo } from './types';

export interface SequenceSpec {
  chain: SamplerChain;
  rng: Rng;
  /** Passed back in every token event, so the caller can tell sequences apart. */
  tag: { strategy: number; sample: number };
  /** Constrained decoding: masks this sequence's logits before its chain runs (src/core/structured). */
  constraint?: SequenceConstraint;
}

/** One sequence's grammar state. The loop masks a copy of the row, so the chain sees only allowed tokens. */
export interface SequenceConstraint {
  /** Writes -Infinity into `row` (the loop's copy) at every forbidden token; returns how many stay allowed. */
  mask(row: Float32Array): number | Promise<number>;
  /** Follows the token the chain picked. */
  accept(token: number): void;
  /** The output is complete: the sequence ends here. */
  isComplete(): boolean;
}

export interface DecodedSequence {
  ids: number[];
  tokens: TokenInfo[];
  text: string;
  finishReason: FinishReason;
  /** Milliseconds from the start of decoding until this sequence finished. */
  finishedAtMs: number;
}

export interface DecodeBatchOptions {
  maxNewTokens: number;
  stopStrings?: readonly string[];
  signal?: AbortSignal;
  topAlternatives?: number;
  onToken?: (tag: SequenceSpec['tag'], step: number, token: TokenInfo) => void;
  /** Keep decoding past EOS (benchmarks need a fixed token count). */
  ignoreEos?: boolean;
  /** Defaults to performance.now; tests and benches may pass their own. */
  now?: () => number;
}

export interface DecodeBatchResult {
  sequences: DecodedSequence[];
  prefillMs: number;
}

interface Live {
  index: number;
  spec: SequenceSpec;
  history: number[];
  out: DecodedSequence;
  /** Constrained sequences: the masked copy of this step's row (reused), and how many tokens it allows. */
  masked?: Float32Array;
  allowed?: number;
}

/** Prefill `promptIds` once and decode every sequence in `specs` in one batch. */
export async function decodeBatch(
  model: CausalLM,
  promptIds: readonly number[],
  specs: readonly SequenceSpec[],
  options: DecodeBatchOptions,
): Promise<DecodeBatchResult> {
  const now = options.now ?? (() => performance.now());
  const start = now();
  const vocab = model.vocabSize;
  const topAlternatives = options.topAlternatives ?? 5;
  const stops = options.stopStrings?.filter((s) => s.length > 0) ?? [];
  const contextRoom = model.maxContext - promptIds.length;
  const maxNew = Math.max(0, Math.min(options.maxNewTokens, contextRoom));
  const lengthReason: FinishReason = options.maxNewTokens > contextRoom ? 'context' : 'length';

  const live: Live[] = specs.map((spec, index) => ({
    index,
    spec,
    history: [...promptIds],
    out: { ids: [], tokens: [], text: '', finishReason: 'length', finishedAtMs: 0 },
  }));
  const results = live.map((l) => l.out);
  if (specs.length === 0) return { sequences: results, prefillMs: 0 };

  const finish = (l: Live, reason: FinishReason) => {
    l.out.finishReason = reason;
    l.out.finishedAtMs = now() - start;
    if (reason !== 'stop') l.out.text = model.decode(l.out.ids);
  };

  if (options.signal?.aborted || maxNew === 0) {
    for (const l of live) finish(l, options.signal?.aborted ? 'aborted' : lengthReason);
    return { sequences: results, prefillMs: 0 };
  }

  const prefill = await model.forward([[...promptIds]], null);
  const prefillMs = now() - start;
  let cache: KvCache | null = prefill.cache;
  // Every sequence starts from the same prompt, so all of them read row 0 of the prefill.
  let logits = prefill.logits;
  let rowOf = live.map(() => 0);
  let active = live;

  try {
    for (let step = 0; step < maxNew && active.length > 0; step++) {
      if (options.signal?.aborted) {
        for (const l of active) finish(l, 'aborted');
        active = [];
        break;
      }
      for (let i = 0; i < active.length; i++) {
        const l = active[i]!;
        if (!l.spec.constraint) continue;
        l.masked ??= new Float32Array(vocab);
        l.masked.set(logits.subarray(rowOf[i]! * vocab, (rowOf[i]! + 1) * vocab));
        l.allowed = await l.spec.constraint.mask(l.masked);
      }
      const stillActive: Live[] = [];
      const keepRows: number[] = [];
      active.forEach((l, i) => {
        // Stopped mid-step (a listener of onToken may abort): the rows not reached keep what they have.
        if (options.signal?.aborted) return finish(l, 'aborted');
        const row = rowOf[i]!;
        const logitsRow = l.masked ?? logits.subarray(row * vocab, (row + 1) * vocab);
        let result: ReturnType<SamplerChain['step']>;
        try {
          result = l.spec.chain.step(logitsRow, l.history, l.spec.rng, topAlternatives);
        } catch (e) {
          // The chain cannot know the step; the error names it from here.
          throw e instanceof SamplingStepError ? e.atStep(step) : e;
        }
        const token: TokenInfo = {
          ...result,
          text: model.tokenText(result.token),
          alternatives: result.alternatives.map((a) => ({ ...a, text: model.tokenText(a.token) })),
          ...(l.allowed !== undefined && { allowed: l.allowed }),
        };
        l.spec.constraint?.accept(result.token);
        l.history.push(result.token);
        l.out.ids.push(result.token);
        l.out.tokens.push(token);
        options.onToken?.(l.spec.tag, step, token);

        if (!options.ignoreEos && model.eosTokenIds.includes(result.token)) return finish(l, 'eos');
        if (l.spec.constraint?.isComplete()) return finish(l, 'eos');
        if (stops.length > 0) {
          const text = model.decode(l.out.ids);
          const at = firstStop(text, stops);
          if (at >= 0) {
            l.out.text = text.slice(0, at);
            return finish(l, 'stop');
          }
        }
        if (step + 1 >= maxNew) return finish(l, lengthReason);
        stillActive.push(l);
        keepRows.push(i);
      });
      if (stillActive.length === 0) break;
      // Checked again before the forward pass: a stopped run must not pay for one more step.
      if (options.signal?.aborted) {
        for (const l of stillActive) finish(l, 'aborted');
        break;
      }

      // Fan out the prefill on the first step; afterwards drop the rows that finished.
      const rows = step === 0 ? stillActive.map(() => 0) : keepRows;
      if (step === 0 || keepRows.length !== active.length) {
        const selected: KvCache = await model.selectRows(cache!, rows);
        model.disposeCache(cache!);
        cache = selected;
      }
      active = stillActive;
      const next = await model.forward(active.map((l) => [l.history[l.history.length - 1]!]), cache);
      model.disposeCache(cache!);
      cache = next.cache;
      logits = next.logits;
      rowOf = active.map((_, i) => i);
    }
  } finally {
    if (cache) model.disposeCache(cache);
  }
  return { sequences: results, prefillMs };
}

function firstStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}
