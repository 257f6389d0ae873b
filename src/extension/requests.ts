/**
 * Request ids and waiting for the panel's reply to one request, with cancellation.
 */
import * as vscode from 'vscode';
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

export interface WaitOptions {
  token?: vscode.CancellationToken;
  /** Called once when `token` is cancelled (to tell the panel). */
  onCancel?: () => void;
  /**
   * After a cancel, how long to wait for the panel's final reply (a run's partial result)
   * before giving up with a CancellationError. 0: give up at once.
   */
  cancelGraceMs?: number;
  /** Every reply that is not the final one (progress, tokens). */
  onProgress?: (reply: Reply) => void;
}

/**
 * Resolves with the first reply whose type is in `done`; rejects with the panel's error on
 * `requestFailed`, or when the panel closes.
 */
export function waitForReply(panel: PanelProvider, requestId: string, done: Reply['type'][], options: WaitOptions = {}): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const disposables: vscode.Disposable[] = [];
    const finish = (action: () => void) => {
      for (const d of disposables.splice(0)) d.dispose();
      action();
    };
    disposables.push(
      panel.onReplies(requestId, (reply) => {
        if (done.includes(reply.type)) finish(() => resolve(reply));
        else if (reply.type === 'requestFailed') finish(() => reject(new RequestFailedError(reply.error, reply.errorName)));
        else options.onProgress?.(reply);
      }),
      panel.onClosed(() => finish(() => reject(new PanelClosedError()))),
    );
    const cancel = () => {
      options.onCancel?.();
      const timer = setTimeout(() => finish(() => reject(new vscode.CancellationError())), options.cancelGraceMs ?? 0);
      disposables.push(new vscode.Disposable(() => clearTimeout(timer)));
    };
    if (options.token) {
      if (options.token.isCancellationRequested) cancel();
      else disposables.push(options.token.onCancellationRequested(cancel));
    }
  });
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
