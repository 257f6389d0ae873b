/**
 * The host's requests to the panel's worker: `request(panel, message, { token, onProgress })`
 * resolves with the reply the protocol names for that request (src/protocol/requests.ts), and
 * says a cancel to the panel. Also request ids, and linked cancellation.
 */
import * as vscode from 'vscode';
import { REQUEST_REPLIES, requester, type ModelRequest, type ProgressOf, type ReplyOf, type RequestOptions, type RequestReplies } from '../protocol/requests';
import type { HostToWebview } from '../protocol/messages';
import type { Reply } from './panelProvider';
import { PanelClosedError, type PanelProvider } from './panelProvider';

let counter = 0;

export function newRequestId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${++counter}`;
}

export class RequestFailedError extends Error {
  constructor(
    message: string,
    override readonly name: string,
  ) {
    super(message);
  }
}

function panelRequester(panel: PanelProvider) {
  return requester<HostToWebview & { requestId: string }, Reply, RequestReplies>(
    {
      post: (message) => panel.post(message),
      onReplies: (requestId, handler) => panel.onReplies(requestId, handler),
      onClosed: (listener) => panel.onClosed(listener),
      failure: (reply) => (reply.type === 'requestFailed' ? new RequestFailedError(reply.error, reply.errorName) : undefined),
      closedError: () => new PanelClosedError(),
      newId: newRequestId,
      cancel: {
        message: (requestId) => ({ type: 'cancel', requestId }),
        error: () => new vscode.CancellationError(),
        after: (ms, action) => {
          const timer = setTimeout(action, ms);
          return new vscode.Disposable(() => clearTimeout(timer));
        },
      },
    },
    REQUEST_REPLIES,
  );
}

/**
 * Posts `message` to the panel's worker and resolves with its final reply; rejects with
 * RequestFailedError on `requestFailed`, PanelClosedError when the panel closes, and
 * vscode.CancellationError when `token` is cancelled and no final reply (a partial result)
 * came within `cancelGraceMs`.
 */
export function request<M extends ModelRequest>(panel: PanelProvider, message: M, options?: RequestOptions<ProgressOf<RequestReplies, M['type']>>): Promise<ReplyOf<RequestReplies, M['type']>> {
  return panelRequester(panel)(message, options);
}

/** A token that is cancelled as soon as any of `tokens` is; dispose it when done. */
export function linkedCancellation(...tokens: (vscode.CancellationToken | undefined)[]): vscode.CancellationTokenSource {
  const source = new vscode.CancellationTokenSource();
  const subscriptions = tokens.filter((t) => t !== undefined).map((t) => t.onCancellationRequested(() => source.cancel()));
  if (tokens.some((t) => t?.isCancellationRequested)) source.cancel();
  const dispose = source.dispose.bind(source);
  source.dispose = () => {
    for (const s of subscriptions) s.dispose();
    dispose();
  };
  return source;
}

/**
 * An AbortSignal that aborts when `token` is cancelled, for what takes signals (engines, fetch);
 * dispose it when done. The one bridge from VS Code's cancellation to the engine seam's.
 */
export function abortSignalOf(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  if (token.isCancellationRequested) abort.abort();
  const listener = token.onCancellationRequested(() => abort.abort());
  return { signal: abort.signal, dispose: () => listener.dispose() };
}

/** A token cancelled when `signal` aborts: the other way round, for requests to the panel. Dispose it when done. */
export function cancellationOf(signal: AbortSignal | undefined): vscode.CancellationTokenSource {
  const source = new vscode.CancellationTokenSource();
  if (!signal) return source;
  const onAbort = () => source.cancel();
  if (signal.aborted) source.cancel();
  else signal.addEventListener('abort', onAbort, { once: true });
  const dispose = source.dispose.bind(source);
  source.dispose = () => {
    signal.removeEventListener('abort', onAbort);
    dispose();
  };
  return source;
}
