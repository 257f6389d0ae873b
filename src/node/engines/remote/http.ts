/**
 * HTTP for the remote engine: one streamed POST with a connect (headers) and a first-byte
 * timeout, retries with exponential backoff on 429 and 5xx that honour Retry-After, and a bound
 * on requests in flight. A retry happens only before any of the body arrived, so nothing already
 * shown is ever sent twice. The API key goes in the Authorization header and nowhere else: no
 * message, error or log line carries it.
 */
import { SseParser } from './sse';

export interface HttpOptions {
  apiKey?: string;
  /** Until the response's headers arrive. */
  connectTimeoutMs: number;
  /** From the headers until the first byte of the body. */
  firstByteTimeoutMs: number;
  /** Retries after the first try, on 429 and 5xx. */
  maxRetries: number;
  /** Backoff before retry i (without Retry-After): base × 2^i. */
  retryBaseMs: number;
  /** The longest wait honoured, Retry-After included. */
  maxRetryDelayMs: number;
  /** Told before each retry, with the wait it will take. */
  onRetry?: (info: { status: number; attempt: number; delayMs: number; retryAfter: boolean }) => void;
}

export const DEFAULT_HTTP_OPTIONS: HttpOptions = {
  connectTimeoutMs: 30_000,
  firstByteTimeoutMs: 120_000,
  maxRetries: 3,
  retryBaseMs: 500,
  maxRetryDelayMs: 60_000,
};

export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    message: string,
    /** The HTTP status, when the server answered with one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Stop pressed: the caller keeps what arrived. */
export class RemoteAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('The request was cancelled.');
  }
}

/** Waits for a free slot: at most `limit` callers hold one at a time, the rest queue in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be an integer ≥ 1 (got ${limit}).`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** The message a server put in its error body: OpenAI's { error: { message } }, Ollama's { error: "…" }, or the text. */
export function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown };
    const e = parsed.error;
    if (typeof e === 'string') return e;
    if (e && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // Not JSON: the text itself, cut short.
  }
  return body.trim().slice(0, 300);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RemoteAbortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RemoteAbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function headers(options: HttpOptions, json: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: json ? 'application/json' : 'text/event-stream' };
  if (json) h['content-type'] = 'application/json';
  if (options.apiKey) h.authorization = `Bearer ${options.apiKey}`;
  return h;
}

/** GETs JSON (GET /v1/models), with the connect timeout and no retries. */
export async function getJson(url: URL, options: HttpOptions, label: string, signal?: AbortSignal): Promise<unknown> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), options.connectTimeoutMs);
  const onAbort = () => ctrl.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetch(url, { headers: headers(options, true), signal: ctrl.signal });
    const text = await res.text();
    if (!res.ok) throw new RemoteError(`${label}: GET ${url.pathname} answered ${res.status}: ${serverMessage(text)}`, res.status);
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof RemoteError) throw e;
    if (signal?.aborted) throw new RemoteAbortedError();
    throw connectError(e, url, label, ctrl.signal.aborted ? options.connectTimeoutMs : undefined);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function connectError(e: unknown, url: URL, label: string, timedOutMs: number | undefined): RemoteError {
  if (timedOutMs !== undefined) return new RemoteError(`${label}: no response from ${url.origin} within ${timedOutMs} ms (connect timeout). Check the server is up, or raise the timeout.`);
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return new RemoteError(`${label}: cannot reach ${url.origin} (${cause?.code ?? cause?.message ?? (e as Error).message}). Check --endpoint and that the server is running.`);
}

/**
 * POSTs `body` and feeds each SSE event's data to `onData` as it arrives. Resolves when the
 * stream ends (the caller checks it saw [DONE]); rejects with RemoteAbortedError on cancel and
 * RemoteError on everything else, each saying what happened and what to do.
 */
export async function postStream(url: URL, body: unknown, options: HttpOptions, label: string, onData: (data: string) => void, signal?: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new RemoteAbortedError();
    const ctrl = new AbortController();
    let timedOut: 'connect' | 'first byte' | undefined;
    let cancelBody: (() => void) | undefined;
    const onAbort = () => ctrl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(() => {
      timedOut = 'connect';
      ctrl.abort();
    }, options.connectTimeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: headers(options, false), body: JSON.stringify(body), signal: ctrl.signal });
      } catch (e) {
        if (signal?.aborted) throw new RemoteAbortedError();
        throw connectError(e, url, label, timedOut ? options.connectTimeoutMs : undefined);
      }
      clearTimeout(timer);
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        if (retryable(res.status) && attempt < options.maxRetries) {
          const after = retryAfterMs(res.headers.get('retry-after'));
          const delayMs = Math.min(after ?? options.retryBaseMs * 2 ** attempt, options.maxRetryDelayMs);
          options.onRetry?.({ status: res.status, attempt: attempt + 1, delayMs, retryAfter: after !== undefined });
          await sleep(delayMs, signal);
          continue;
        }
        const tries = attempt > 0 ? ` after ${attempt + 1} tries` : '';
        const hint = res.status === 401 || res.status === 403 ? ' Check the API key (OPENAI_API_KEY or --api-key-env VAR).' : res.status === 429 ? ' The server is rate-limiting: lower --concurrency or try later.' : '';
        throw new RemoteError(`${label}: ${url.pathname} answered HTTP ${res.status}${tries}: ${serverMessage(text).replace(/\.$/, '')}.${hint}`, res.status);
      }
      if (!res.body) throw new RemoteError(`${label}: ${url.pathname} answered without a body.`);
      timer = setTimeout(() => {
        timedOut = 'first byte';
        ctrl.abort();
      }, options.firstByteTimeoutMs);
      const parser = new SseParser();
      const reader = res.body.getReader();
      // A read already pending, or begun after an abort fired mid-chunk, is not always rejected
      // by fetch's own abort: race every read against the abort, and cancel the body on the way out.
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(new Error('aborted'));
        if (ctrl.signal.aborted) fail();
        else ctrl.signal.addEventListener('abort', fail, { once: true });
      });
      aborted.catch(() => undefined);
      cancelBody = () => void reader.cancel().catch(() => undefined);
      let first = true;
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await Promise.race([reader.read(), aborted]);
        } catch (e) {
          if (signal?.aborted) throw new RemoteAbortedError();
          if (timedOut === 'first byte') throw new RemoteError(`${label}: the server sent headers but no data within ${options.firstByteTimeoutMs} ms (first-byte timeout). It may be overloaded or still loading the model.`);
          throw new RemoteError(`${label}: the connection dropped mid-stream (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}).`);
        }
        if (first) {
          clearTimeout(timer);
          first = false;
        }
        if (chunk.done) break;
        for (const event of parser.push(chunk.value)) onData(event.data);
      }
      for (const event of parser.end()) onData(event.data);
      return;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (ctrl.signal.aborted) cancelBody?.();
    }
  }
}
