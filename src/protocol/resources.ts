/**
 * The model worker's fetches of webview resource URLs (the bundled model, a hub cache's files,
 * the ONNX Runtime .wasm), made by the panel's document instead.
 *
 * Why: in VS Code for the Web (code-server) every webview has one origin and so one service
 * worker, and that service worker answers a Web Worker's fetch for whichever webview registered
 * it last, not for the worker's own (service-worker.js, getWebviewIdForClient). Once another
 * webview had opened and closed, each file the model worker fetched came back 404 and the load
 * failed with "Cannot read properties of undefined (reading 'tokenizer_class')". A document's
 * fetch names its own webview, so the panel fetches and hands the worker the body as a stream
 * (transferred, not copied: the worker still sees the bytes arrive, for its load progress).
 *
 * These travel beside the main protocol under their own `resource` key, like the explorer's.
 */

export interface ResourceRequest {
  resource: 'fetch';
  id: number;
  url: string;
}

export interface ResourceReply {
  resource: 'reply';
  id: number;
  /** The HTTP status; 0 when the fetch itself failed (`error` says why). */
  status: number;
  /** Content-Length when the server sent one, else 0. */
  size: number;
  body: ByteStream | null;
  error?: string;
}

/** A ReadableStream of bytes (this realm has no DOM types; the panel and the worker pass the real one). */
export interface ByteStream {
  getReader(): unknown;
  cancel(reason?: unknown): Promise<void>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function isResourceRequest(v: unknown): v is ResourceRequest {
  return isRecord(v) && v.resource === 'fetch' && Number.isSafeInteger(v.id) && typeof v.url === 'string';
}

export function isResourceReply(v: unknown): v is ResourceReply {
  return (
    isRecord(v) &&
    v.resource === 'reply' &&
    Number.isSafeInteger(v.id) &&
    Number.isSafeInteger(v.status) &&
    Number.isSafeInteger(v.size) &&
    (v.body === null || (isRecord(v.body) && typeof v.body.getReader === 'function' && typeof v.body.cancel === 'function')) &&
    (v.error === undefined || typeof v.error === 'string')
  );
}
