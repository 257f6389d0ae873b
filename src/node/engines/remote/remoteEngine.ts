/**
 * The remote engine: an OpenAI-compatible server (vLLM, llama.cpp server, Ollama, LM Studio,
 * OpenAI) samples, and we read its tokens and top log-probs over SSE. Each strategy becomes one
 * request per n the server allows (more samples than its largest n take more requests, each with
 * its own sequence seed); what it cannot honour is refused by name; best-of-N is picked here by
 * mean log-prob. Stop keeps every token that arrived, marked aborted.
 */
import { argmaxMeanLogprob, checkPromptText, completionOf, sequencesFor } from '../../../core/decode/compare';
import type { CompareResult, Completion, RefusedStrategy, Strategy, StrategyResult, TokenInfo } from '../../../core/decode/types';
import type { Continuation, ContinuationRequest, Engine, EngineCapabilities, EngineCompareOptions, ServerSamplingParam } from '../../../core/engine/types';
import { sequenceSeed } from '../../../core/sampling/rng';
import { DIALECTS, detectDialect, normalizeBaseUrl, serverLabel, type Dialect, type DialectChoice } from './dialects';
import { DEFAULT_HTTP_OPTIONS, getJson, Limiter, postStream, RemoteAbortedError, RemoteError, type HttpOptions } from './http';
import { applyChoice, jsonSchemaRefusal, requestBody, samplingParams, WireFormatError, type ChoiceState, type SamplingParams } from './wire';

export interface RemoteEngineOptions {
  /** The base URL, with or without /v1. */
  endpoint: string;
  /** The server's model id. */
  model: string;
  dialect?: DialectChoice;
  apiKey?: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  http?: Partial<HttpOptions>;
}

export class RemoteEngine implements Engine {
  readonly kind = 'remote';
  readonly baseUrl: URL;
  private readonly http: HttpOptions;
  private readonly limiter: Limiter;
  private dialect: Dialect | undefined;

  constructor(private readonly options: RemoteEngineOptions) {
    this.baseUrl = normalizeBaseUrl(options.endpoint);
    this.http = { ...DEFAULT_HTTP_OPTIONS, ...options.http, apiKey: options.apiKey };
    this.limiter = new Limiter(options.concurrency ?? 4);
    if (options.dialect && options.dialect !== 'auto') this.dialect = DIALECTS[options.dialect];
  }

  get model(): string {
    return this.options.model;
  }

  get where(): string {
    return `${this.dialect?.id ?? this.options.dialect ?? 'auto'} at ${this.baseUrl.href}`;
  }

  /** The dialect, asking the server (GET /v1/models) when it is `auto`. */
  async resolveDialect(signal?: AbortSignal): Promise<Dialect> {
    if (this.dialect) return this.dialect;
    let models: unknown;
    try {
      models = await getJson(new URL(`${this.baseUrl.href}/models`), this.http, this.baseUrl.host, signal);
    } catch (e) {
      if (e instanceof RemoteAbortedError) throw e;
      models = undefined; // A server without /v1/models gets the OpenAI subset.
    }
    this.dialect = DIALECTS[detectDialect(this.baseUrl, models)];
    return this.dialect;
  }

  /** The server's model ids (GET /v1/models). */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const body = (await getJson(new URL(`${this.baseUrl.href}/models`), this.http, this.baseUrl.host, signal)) as { data?: Array<{ id?: unknown }> };
    return (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  }

  get capabilities(): EngineCapabilities {
    return capabilitiesOf(this.dialect ?? DIALECTS.openai);
  }

  get label(): string {
    return serverLabel(this.dialect ?? DIALECTS.openai, this.baseUrl);
  }

  /** What `compare` would refuse, by the dialect `create` resolved (the OpenAI subset before that). */
  refusals(strategies: readonly Strategy[], options: Pick<EngineCompareOptions, 'format' | 'jsonSchema'> = {}): RefusedStrategy[] {
    const dialect = this.dialect ?? DIALECTS.openai;
    const label = serverLabel(dialect, this.baseUrl);
    return strategies.flatMap((strategy) => {
      const mapped = mappedStrategy(strategy, dialect, label, options);
      return mapped.ok ? [] : [{ strategy, reason: mapped.reason }];
    });
  }

  async compare(prompt: string, strategies: readonly Strategy[], options: EngineCompareOptions): Promise<CompareResult> {
    checkPromptText(prompt);
    const started = performance.now();
    const dialect = await this.resolveDialect(options.signal);
    const label = serverLabel(dialect, this.baseUrl);
    const { chat, route, maxTop } = routeOf(dialect, options.format);
    const topLogprobs = maxTop === 0 ? 0 : Math.max(1, Math.min(options.topAlternatives ?? 5, maxTop));
    if (dialect.maxStop !== undefined && (options.stopStrings?.length ?? 0) > dialect.maxStop) {
      throw new RemoteError(`${label} takes at most ${dialect.maxStop} stop strings (got ${options.stopStrings!.length}).`);
    }
    const samples = options.samples ?? 1;
    const firstSample = options.firstSample ?? 0;
    const url = new URL(`${this.baseUrl.href}/${chat ? 'chat/completions' : 'completions'}`);
    let promptTokens = 0;

    const refused: RefusedStrategy[] = [];
    const runs: Array<Promise<StrategyResult>> = [];
    // One failure stops the rest: their partial tokens would be an incomplete comparison shown as whole.
    const failure = new AbortController();
    const signal = anySignal([options.signal, failure.signal]);
    strategies.forEach((strategy, s) => {
      const mapped = mappedStrategy(strategy, dialect, label, options);
      if (!mapped.ok) {
        refused.push({ strategy, reason: mapped.reason });
        return;
      }
      const count = sequencesFor(strategy, samples);
      const perRequest = Math.max(1, Math.min(count, dialect.maxN));
      const requests: Array<{ first: number; n: number }> = [];
      for (let i = 0; i < count; i += perRequest) requests.push({ first: i, n: Math.min(perRequest, count - i) });
      const states: ChoiceState[] = Array.from({ length: count }, () => ({ text: '', tokens: [] }));
      const seeds = states.map((_, i) => sequenceSeed(options.seed, prompt, firstSample + i));
      const finishedAt: number[] = states.map(() => 0);
      runs.push(
        (async () => {
          await Promise.all(
            requests.map(({ first, n }) =>
              this.limiter.run(async () => {
                // A request of n shares one seed: sequence `first`'s (the server derives the rest).
                for (let i = first; i < first + n; i++) seeds[i] = seeds[first]!;
                const body = requestBody({ route, model: this.options.model, prompt, system: options.format?.system, n, seed: seeds[first], maxTokens: options.maxNewTokens, stop: options.stopStrings ?? [], topLogprobs, params: mapped.params, jsonSchema: options.jsonSchema }, dialect);
                try {
                  const usage = await this.stream(url, body, states.slice(first, first + n), label, signal, (index, added) => {
                    const state = states[first + index]!;
                    added.forEach((token, j) => options.onToken?.({ strategy: s, sample: first + index, step: state.tokens.length - added.length + j, token }));
                    if (state.finishReason) finishedAt[first + index] = performance.now() - started;
                  });
                  if (usage !== undefined) promptTokens = usage;
                } catch (e) {
                  if (e instanceof RemoteAbortedError && options.signal?.aborted) return;
                  if (!(e instanceof RemoteAbortedError)) failure.abort();
                  throw e;
                }
              }),
            ),
          );
          const completions: Completion[] = states.map((st, i) => completionOf(st.tokens, st.text, st.finishReason ?? 'aborted', seeds[i]!));
          const bestIndex = strategy.kind === 'best_of_n' ? argmaxMeanLogprob(completions) : 0;
          const elapsedMs = Math.max(...finishedAt, 0) || performance.now() - started;
          const tokens = completions.reduce((k, c) => k + c.tokens.length, 0);
          return { strategy, best: completions[bestIndex]!, completions, bestIndex, elapsedMs, tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0 };
        })(),
      );
    });
    const settled = await Promise.allSettled(runs);
    const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof RemoteAbortedError));
    if (rejected) throw rejected.reason;
    const results = settled.filter((r): r is PromiseFulfilledResult<StrategyResult> => r.status === 'fulfilled').map((r) => r.value);
    const elapsedMs = performance.now() - started;
    const totalTokens = results.reduce((k: number, r: StrategyResult) => k + r.completions.reduce((m: number, c: Completion) => m + c.tokens.length, 0), 0);
    return {
      prompt,
      promptTokens,
      promptFormat: chat ? 'chat' : 'raw',
      model: this.options.model,
      device: `${dialect.id} at ${this.baseUrl.href}`,
      results,
      prefillMs: 0,
      elapsedMs,
      tokensPerSecond: elapsedMs > 0 ? (totalTokens * 1000) / elapsedMs : 0,
      sampledBy: `the server (${label})`,
      refused,
    };
  }

  /**
   * Branching by continuation: `prompt + prefix` as raw text to /v1/completions, sampled with the
   * card's strategy and seed, streamed. Stop keeps the tokens that arrived (finish reason
   * 'aborted'); a server error, a dropped stream or a timeout rejects with what happened.
   */
  async continueText(request: ContinuationRequest): Promise<Continuation> {
    checkPromptText(request.prompt);
    const dialect = await this.resolveDialect(request.signal);
    const label = serverLabel(dialect, this.baseUrl);
    if (!dialect.completions) throw new RemoteError(`${label} has no /v1/completions endpoint: branching by continuation needs one.`);
    const mapped = samplingParams(request.strategy, dialect, label, dialect.maxTopLogprobs.completions > 0);
    if (!mapped.ok) throw new RemoteError(`Not continued: ${mapped.reason}.`);
    const maxTop = dialect.maxTopLogprobs.completions;
    const topLogprobs = maxTop === 0 ? 0 : Math.max(1, Math.min(request.topAlternatives ?? maxTop, maxTop));
    const body = requestBody(
      { route: 'completions', model: this.options.model, prompt: request.prompt + request.prefix, n: 1, seed: request.seed, maxTokens: request.maxNewTokens, stop: request.stopStrings ?? [], topLogprobs, params: mapped.params },
      dialect,
    );
    const state: ChoiceState = { text: '', tokens: [] };
    let promptTokens: number | undefined;
    try {
      promptTokens = await this.limiter.run(() =>
        this.stream(new URL(`${this.baseUrl.href}/completions`), body, [state], label, request.signal, (_, added) => {
          added.forEach((token, j) => request.onToken?.(state.tokens.length - added.length + j, token));
        }),
      );
    } catch (e) {
      if (!(e instanceof RemoteAbortedError)) throw e;
    }
    return { completion: completionOf(state.tokens, state.text, state.finishReason ?? 'aborted', request.seed), ...(promptTokens !== undefined ? { promptTokens } : {}) };
  }

  /**
   * One streamed request whose choices fill `states` (choice i → states[i]); `onAdded` hears each
   * choice's new tokens. Resolves with the usage's prompt_tokens when the server sent it; rejects
   * when the stream ends before every choice finished and [DONE] came.
   */
  private async stream(url: URL, body: Record<string, unknown>, states: ChoiceState[], label: string, signal: AbortSignal | undefined, onAdded: (index: number, added: TokenInfo[]) => void): Promise<number | undefined> {
    let done = false;
    let promptTokens: number | undefined;
    await postStream(url, body, this.http, label, (data) => {
      if (data === '[DONE]') {
        done = true;
        return;
      }
      const chunk = parseChunk(data, label);
      const usage = chunk.usage as { prompt_tokens?: unknown } | undefined;
      if (typeof usage?.prompt_tokens === 'number') promptTokens = usage.prompt_tokens;
      for (const choice of (chunk.choices as Array<Record<string, unknown>> | undefined) ?? []) {
        const index = typeof choice.index === 'number' ? choice.index : 0;
        const state = states[index];
        if (!state) throw new RemoteError(`${label} sent choice ${index} for a request of n = ${states.length}.`);
        let added;
        try {
          added = applyChoice(state, choice);
        } catch (e) {
          if (e instanceof WireFormatError) throw new RemoteError(`${label} sent a chunk Sampling Lab cannot read: ${e.message}`);
          throw e;
        }
        onAdded(index, added);
      }
    }, signal);
    if (!done || states.some((st) => !st.finishReason)) {
      const got = states.reduce((k, st) => k + st.tokens.length, 0);
      throw new RemoteError(`${label}: the stream ended before the completion finished (${done ? 'no finish_reason' : 'no [DONE]'} after ${got} token${got === 1 ? '' : 's'}): the server or a proxy dropped the connection. Run again.`);
    }
    return promptTokens;
  }

  async dispose(): Promise<void> {
    // Nothing held between requests: fetch's connection pool closes idle sockets itself.
  }
}

/** The strategy as request parameters, or why not: a parameter the server lacks, or a schema the route cannot carry. */
function mappedStrategy(strategy: Strategy, dialect: Dialect, label: string, options: Pick<EngineCompareOptions, 'format' | 'jsonSchema'>): SamplingParams {
  const { route, maxTop } = routeOf(dialect, options.format);
  const mapped = samplingParams(strategy, dialect, label, maxTop > 0);
  const schemaRefusal = options.jsonSchema ? jsonSchemaRefusal(dialect, route, label) : undefined;
  if (!schemaRefusal) return mapped;
  return { ok: false, reason: mapped.ok ? schemaRefusal : `${schemaRefusal}; ${mapped.reason}` };
}

/** Chat or raw completions (a server without /v1/completions always chats), and the alternatives that route returns. */
function routeOf(dialect: Dialect, format: EngineCompareOptions['format']): { chat: boolean; route: 'chat' | 'completions'; maxTop: number } {
  const chat = format?.chat === true || !dialect.completions;
  return { chat, route: chat ? 'chat' : 'completions', maxTop: chat ? dialect.maxTopLogprobs.chat : dialect.maxTopLogprobs.completions };
}

function parseChunk(data: string, label: string): Record<string, unknown> {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw new RemoteError(`${label} sent a malformed stream chunk (not JSON): ${JSON.stringify(data.slice(0, 120))}. The stream was stopped.`);
  }
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) throw new RemoteError(`${label} sent a stream chunk that is not a JSON object: ${JSON.stringify(data.slice(0, 120))}.`);
  const error = (chunk as { error?: unknown }).error;
  if (error !== undefined) {
    const message = typeof error === 'string' ? error : ((error as { message?: unknown })?.message ?? JSON.stringify(error));
    throw new RemoteError(`${label} reported an error mid-stream: ${String(message)}`);
  }
  return chunk as Record<string, unknown>;
}

/**
 * An AbortSignal that fires when any of `signals` does. AbortSignal.any, not listeners of our own:
 * a caller's signal outlives many comparisons (a prompt test run, a calibration), and a listener
 * added per comparison and never removed piled up on it (MaxListenersExceededWarning).
 */
function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

export function capabilitiesOf(dialect: Dialect): EngineCapabilities {
  const maxTop = Math.max(dialect.maxTopLogprobs.chat, dialect.maxTopLogprobs.completions);
  return {
    distribution: maxTop > 0 ? 'top-logprobs' : 'none',
    maxTopLogprobs: maxTop,
    kvCache: false,
    branching: dialect.completions ? 'continuation' : 'none',
    sampling: 'server',
    serverParams: Object.keys(dialect.params) as ServerSamplingParam[],
    constrained: dialect.jsonSchema.chat || dialect.jsonSchema.completions ? 'json_schema' : 'none',
    constrainedBy: dialect.jsonSchemaEngine,
    constrainedNeedsChat: dialect.jsonSchema.chat !== undefined && dialect.jsonSchema.completions === undefined,
    seeds: dialect.seeds,
    maxN: dialect.maxN,
  };
}
