/**
 * An OpenAI-compatible server on 127.0.0.1 for tests, with the bundled model behind it, speaking
 * each dialect's wire format as its project documents it:
 * - OpenAI (openai/openai-openapi): /v1/completions with the legacy logprobs object (tokens,
 *   token_logprobs, top_logprobs as { text: logprob }, text_offset) and /v1/chat/completions
 *   with logprobs.content[{ token, logprob, bytes, top_logprobs }]; streamed as SSE "data: {…}"
 *   events, the chat stream opening with a role-only delta, a last chunk of choices [] carrying
 *   usage when stream_options.include_usage is set, then "data: [DONE]". An unknown argument is
 *   a 400 "Unrecognized request argument supplied: top_k".
 * - vLLM (docs, OpenAI-Compatible Server, Extra Parameters): the OpenAI shapes plus top_k, min_p,
 *   repetition_penalty; /v1/models' owned_by "vllm".
 * - llama.cpp server (tools/server/utils.hpp, server.cpp probs_to_json): logprobs.content with
 *   each token's id on both routes, n ≠ 1 a 500 "Only one completion choice is allowed",
 *   repeat_penalty / typical_p / top_k / min_p passed to the sampler; owned_by "llamacpp".
 * - Ollama (docs/openai.md; logprobs since v0.12.11) and LM Studio (no logprobs): OpenAI shapes.
 * Schema-constrained output, where each server documents it (src/node/engines/remote/dialects.ts
 * cites the sources): response_format { type: 'json_schema', json_schema: { schema } } on chat
 * for every dialect and on vLLM's /v1/completions, llama.cpp's top-level json_schema on
 * /v1/completions. The schema is enforced as a real server does, by masking every token that
 * would break it (our own engines, src/node/constraintEngines.ts). Where the real server has no
 * such field on a route, OpenAI refuses it (400 unknown argument) and the others ignore it, as
 * Ollama and LM Studio do with a field they do not know: the client must never rely on it there.
 * Faults are queued and each taken by one request (the first its `when` accepts, if it has one): an HTTP status (429 with Retry-After, 500), a
 * dropped connection or a stream ended without [DONE] after K tokens, a malformed chunk, and a
 * stall before the first byte. Every request is recorded, and a client that goes away mid-stream
 * is reported on `disconnects`.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compareStrategies } from '../../src/core/decode/compare';
import { decodeBatch } from '../../src/core/decode/decodeBatch';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import type { CompareResult, Strategy, TokenEvent, TokenInfo } from '../../src/core/decode/types';
import type { CausalLM } from '../../src/core/model/types';
import { createSamplerChain } from '../../src/core/sampling/chain';
import { createRng, sequenceSeed } from '../../src/core/sampling/rng';
import type { ConstraintEngines } from '../../src/core/structured/constraint';
import { checkSchema } from '../../src/core/structured/schema';
import { nodeConstraintEngines } from '../../src/node/constraintEngines';
import { DIALECTS, type DialectId } from '../../src/node/engines/remote/dialects';

export type ServerFault = FaultKind & {
  /** Taken only by a request whose body this accepts (default: the next request). */
  when?: (body: Record<string, unknown>) => boolean;
};

type FaultKind =
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  /** Destroy the socket after K tokens. */
  | { kind: 'drop'; afterTokens: number }
  /** End the response cleanly after K tokens, without finish_reason or [DONE]. */
  | { kind: 'truncate'; afterTokens: number }
  /** Send a chunk that is not JSON after K tokens. */
  | { kind: 'malformed'; afterTokens: number }
  /** Send the headers, then nothing until `release` resolves. */
  | { kind: 'stall'; release: Promise<void> }
  /** Send K tokens, then hold the rest of the stream until `release` resolves (a slow server, for Stop). */
  | { kind: 'hold'; afterTokens: number; release: Promise<void> };

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  authorization?: string;
}

/** OpenAI's request fields (openai-openapi CreateCompletionRequest / CreateChatCompletionRequest). */
const OPENAI_FIELDS = new Set(['model', 'prompt', 'messages', 'temperature', 'top_p', 'n', 'seed', 'max_tokens', 'max_completion_tokens', 'stop', 'logprobs', 'top_logprobs', 'stream', 'stream_options', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'user', 'suffix', 'echo', 'best_of', 'response_format']);

export class OpenAiTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults: ServerFault[] = [];
  /** Emits 'disconnect' when a client goes away before its stream finished. */
  readonly disconnects = new EventEmitter();
  /** Emits 'hold' when a 'hold' fault starts holding a stream back (the client is mid-stream). */
  readonly holds = new EventEmitter();
  /** Write every SSE event in two pieces split mid-line (and CRLF line ends), as proxies do. */
  splitWrites = false;
  /** Require `Authorization: Bearer <key>`. */
  apiKey?: string;
  modelId = 'facts-lm';
  /** Completion requests open at once now, and the most ever (the client's concurrency, seen from here). */
  inFlight = 0;
  maxInFlight = 0;
  url = '';
  /** The schemas it enforced, in order (what a constrained request really carried). */
  readonly enforcedSchemas: unknown[] = [];
  private server!: http.Server;
  private engines: ConstraintEngines | undefined;
  /** One model, one decode at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: CausalLM,
    readonly dialect: DialectId,
  ) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.engines?.dispose();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return this.error(res, 400, 'The body is not JSON.');
    }
    this.requests.push({ method: req.method ?? 'GET', path, body, authorization: req.headers.authorization });
    if (this.apiKey && req.headers.authorization !== `Bearer ${this.apiKey}`) return this.error(res, 401, 'Incorrect API key provided.');
    if (req.method === 'GET' && path === '/v1/models') {
      const owner = { openai: 'openai', vllm: 'vllm', llamacpp: 'llamacpp', ollama: 'library', lmstudio: 'organization_owner' }[this.dialect];
      return this.json(res, 200, { object: 'list', data: [{ id: this.modelId, object: 'model', created: 0, owned_by: owner }] });
    }
    if (req.method !== 'POST' || (path !== '/v1/completions' && path !== '/v1/chat/completions')) return this.error(res, 404, `No route ${req.method} ${path}.`);
    const taken = this.faults.findIndex((f) => !f.when || f.when(body));
    const fault = taken < 0 ? undefined : this.faults.splice(taken, 1)[0];
    if (fault?.kind === 'status') {
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', fault.retryAfter);
      return this.error(res, fault.status, fault.message ?? (fault.status === 429 ? 'Rate limit reached.' : 'Internal server error.'));
    }
    const refusal = this.refuse(body);
    if (refusal) return this.error(res, refusal.status, refusal.message);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    const job = this.queue.then(() => this.complete(path === '/v1/chat/completions', body, fault, req, res));
    this.queue = job.catch(() => undefined);
    await job.catch((e: Error) => {
      if (!res.headersSent) this.error(res, 500, e.message);
      else res.destroy();
    });
    this.inFlight--;
  }

  /** What the dialect's real server refuses with an error (the client should never send it). */
  private refuse(body: Record<string, unknown>): { status: number; message: string } | undefined {
    if (this.dialect === 'openai') {
      const unknown = Object.keys(body).find((k) => !OPENAI_FIELDS.has(k));
      if (unknown) return { status: 400, message: `Unrecognized request argument supplied: ${unknown}` };
    }
    if (this.dialect === 'llamacpp' && (body.n ?? 1) !== 1) return { status: 500, message: 'Only one completion choice is allowed' };
    // OpenAI's legacy /v1/completions has no response_format (the client must refuse, not send it).
    if (this.dialect === 'openai' && body.prompt !== undefined && body.response_format !== undefined) return { status: 400, message: 'Unrecognized request argument supplied: response_format' };
    if (body.stream !== true) return { status: 400, message: 'This test server streams only (send "stream": true).' };
    return undefined;
  }

  private async complete(chat: boolean, body: Record<string, unknown>, fault: ServerFault | undefined, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const abort = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (!finished) {
        abort.abort();
        this.disconnects.emit('disconnect');
      }
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (fault?.kind === 'stall') await fault.release;
    if (res.destroyed) return;

    const prompt = chat ? renderMessages(this.model, body.messages) : String(body.prompt ?? '');
    const temperature = typeof body.temperature === 'number' ? body.temperature : 1;
    const settings: Record<string, unknown> = temperature === 0 ? { kind: 'greedy' } : { kind: 'custom', temperature };
    if (temperature !== 0) {
      const map: Record<string, string> = { top_p: 'topP', top_k: 'topK', min_p: 'minP', typical_p: 'typicalP', repetition_penalty: 'repetitionPenalty', repeat_penalty: 'repetitionPenalty', presence_penalty: 'presencePenalty', frequency_penalty: 'frequencyPenalty' };
      for (const [wire, setting] of Object.entries(map)) if (typeof body[wire] === 'number') settings[setting] = body[wire];
    }
    const strategy = strategyFromSettings(settings, 'request');
    const n = typeof body.n === 'number' ? body.n : 1;
    const top = chat ? (body.logprobs === true ? Number(body.top_logprobs ?? 0) : 0) : typeof body.logprobs === 'number' ? body.logprobs : 0;
    const wantsLogprobs = this.dialect !== 'lmstudio' && (chat ? body.logprobs === true : typeof body.logprobs === 'number');
    const legacy = !chat && (this.dialect === 'openai' || this.dialect === 'vllm');
    const withIds = this.dialect === 'llamacpp';
    const id = `cmpl-${this.requests.length}`;
    const base = { id, object: chat ? 'chat.completion.chunk' : 'text_completion', created: 0, model: this.modelId };
    let sent = 0;
    let held: string[] | undefined;
    const send = (data: string) => {
      if (held) return void held.push(data);
      const event = this.splitWrites ? `data: ${data}\r\n\r\n` : `data: ${data}\n\n`;
      if (this.splitWrites) {
        const cut = Math.max(1, Math.floor(event.length / 2));
        res.write(event.slice(0, cut));
        res.write(event.slice(cut));
      } else res.write(event);
    };
    const startHold = (release: Promise<void>) => {
      if (held) return;
      const queue: string[] = (held = []);
      this.holds.emit('hold');
      void release.then(() => {
        held = undefined;
        if (!res.destroyed) for (const d of queue) send(d);
        if (queue.includes('[DONE]')) {
          finished = true;
          res.end();
        }
      });
    };
    if (chat) for (let i = 0; i < n; i++) send(JSON.stringify({ ...base, choices: [{ index: i, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }));

    const schema = this.schemaOf(chat, body);
    const decode = schema === undefined ? compareStrategies : (model: CausalLM, p: string, strategies: Strategy[], options: Parameters<typeof compareStrategies>[3]) => this.constrained(model, p, strategies[0]!, schema, options);
    const result = await decode(this.model, prompt, [strategy], {
      maxNewTokens: typeof body.max_tokens === 'number' ? body.max_tokens : 16,
      seed: typeof body.seed === 'number' ? body.seed : 0,
      samples: n,
      stopStrings: Array.isArray(body.stop) ? (body.stop as string[]) : typeof body.stop === 'string' ? [body.stop] : [],
      topAlternatives: Math.max(top, 1),
      signal: abort.signal,
      onToken: (e) => {
        if (res.destroyed) return;
        if (fault?.kind === 'hold' && sent === fault.afterTokens) startHold(fault.release);
        if (fault && fault.kind !== 'hold' && 'afterTokens' in fault && sent === fault.afterTokens) {
          if (fault.kind === 'drop') res.destroy();
          else if (fault.kind === 'truncate') {
            finished = true;
            res.end();
          } else if (fault.kind === 'malformed') send('{"choices": [{"index": 0, "text": "unterminated');
          sent++;
          return;
        }
        if (fault && fault.kind !== 'hold' && 'afterTokens' in fault && sent > fault.afterTokens) return;
        sent++;
        const logprobs = wantsLogprobs ? wireLogprobs(e.token, top, legacy, withIds) : null;
        const choice = chat ? { index: e.sample, delta: { content: e.token.text }, logprobs, finish_reason: null } : { index: e.sample, text: e.token.text, logprobs, finish_reason: null };
        send(JSON.stringify({ ...base, choices: [choice] }));
      },
    });
    if (res.destroyed || res.writableEnded) return;
    const completions = result.results[0]!.completions;
    // A completion shorter than the hold point is held before its end, so the client is still mid-stream.
    if (fault?.kind === 'hold') startHold(fault.release);
    completions.forEach((c, i) => {
      const reason = c.finishReason === 'length' || c.finishReason === 'context' ? 'length' : 'stop';
      send(JSON.stringify({ ...base, choices: [chat ? { index: i, delta: {}, logprobs: null, finish_reason: reason } : { index: i, text: '', logprobs: null, finish_reason: reason }] }));
    });
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
      const completionTokens = completions.reduce((k, c) => k + c.tokens.length, 0);
      send(JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: result.promptTokens, completion_tokens: completionTokens, total_tokens: result.promptTokens + completionTokens } }));
    }
    send('[DONE]');
    if (held) return;
    finished = true;
    res.end();
  }

  /** The schema a request asks the server to enforce, where this dialect reads one on this route; undefined: none. */
  private schemaOf(chat: boolean, body: Record<string, unknown>): unknown {
    const wire = DIALECTS[this.dialect].jsonSchema[chat ? 'chat' : 'completions'];
    if (wire === 'json_schema') return body.json_schema;
    const format = body.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
    if (wire === 'response_format' && format?.type === 'json_schema') return format.json_schema?.schema ?? {};
    return undefined;
  }

  /** n sequences of `strategy` with every token that would break `schema` masked, as compareStrategies reports them. */
  private async constrained(model: CausalLM, prompt: string, strategy: Strategy, schema: unknown, options: Parameters<typeof compareStrategies>[3]): Promise<CompareResult> {
    this.enforcedSchemas.push(schema);
    this.engines ??= nodeConstraintEngines(model);
    const constraint = await this.engines.compile(checkSchema(schema, 'response_format'));
    const ids = model.encodePrompt(prompt);
    const n = options.samples ?? 1;
    const budget = { maxNewTokens: Math.min(options.maxNewTokens, model.maxContext - ids.length) };
    const matchers = await Promise.all(Array.from({ length: n }, () => constraint.createSequenceConstraint(budget)));
    try {
      const specs = matchers.map((m, i) => ({
        chain: createSamplerChain(strategy.sampler, model.vocabSize),
        rng: createRng(sequenceSeed(options.seed, prompt, i)),
        tag: { strategy: 0, sample: i },
        constraint: m,
      }));
      const { sequences } = await decodeBatch(model, ids, specs, {
        maxNewTokens: options.maxNewTokens,
        stopStrings: options.stopStrings,
        signal: options.signal,
        topAlternatives: options.topAlternatives,
        onToken: (tag, step, token) => options.onToken?.({ strategy: 0, sample: tag.sample, step, token } satisfies TokenEvent),
      });
      const completions = sequences.map((q) => ({ text: q.text, tokens: q.tokens, finishReason: q.finishReason }));
      return { promptTokens: ids.length, results: [{ completions }] } as unknown as CompareResult;
    } finally {
      for (const m of matchers) m.dispose();
      constraint.dispose();
    }
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  /** OpenAI's error body: { error: { message, type, code } }. */
  private error(res: http.ServerResponse, status: number, message: string): void {
    this.json(res, status, { error: { message, type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error', code: status } });
  }
}

function renderMessages(model: CausalLM, messages: unknown): string {
  const list = Array.isArray(messages) ? (messages as Array<{ role: 'system' | 'user' | 'assistant'; content: string }>) : [];
  // The bundled model has no chat template: its "chat" is the turns' text, one per line.
  return model.hasChatTemplate && model.renderChat ? model.renderChat(list) : list.map((m) => m.content).join('\n');
}

function bytesOf(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}

/** One token's log-probs in the legacy completions shape or the chat (content) shape. */
function wireLogprobs(t: TokenInfo, top: number, legacy: boolean, withIds: boolean): unknown {
  const alternatives = t.alternatives.slice(0, top);
  if (legacy) {
    return { tokens: [t.text], token_logprobs: [t.logprobRaw], top_logprobs: [Object.fromEntries(alternatives.map((a) => [a.text, a.logprob]))], text_offset: [0] };
  }
  const entry = (id: number, text: string, logprob: number) => ({ ...(withIds ? { id } : {}), token: text, logprob, bytes: bytesOf(text) });
  return { content: [{ ...entry(t.token, t.text, t.logprobRaw), top_logprobs: alternatives.map((a) => entry(a.token, a.text, a.logprob)) }] };
}
