/**
 * Requests that name their replies, and the one place that pairs a request with them (after
 * hexeditor's `sendRequest` and gitlens's `IpcRequest`). A table says which reply ends each
 * request type and which replies report its progress; `requester` turns a channel into a typed
 * `request(message, options)`, so a call site cannot await the wrong message. The host's model
 * requests (src/extension/requests.ts) and the panel's explorer requests both use it.
 *
 * Timers and cancellation tokens belong to each realm (the protocol has neither): a channel
 * brings its own.
 */
import type {
  CompareDoneEvent,
  LoadProgressEvent,
  ModelLoadedEvent,
  ModelUnloadedEvent,
  RouteDoneEvent,
  StructuredDoneEvent,
  TokensStreamedEvent,
  WorkerRequest,
} from './messages';

/** A request or reply: its kind, and the request it belongs to. */
export interface Addressed {
  type: string;
  requestId: string;
}

/** Per request type: the reply that ends it, and the replies that report progress before that. */
export type ReplyTable = Record<string, { done: Addressed; progress: Addressed }>;

/**
 * The host's requests to the panel's worker. Any of them may instead end with `requestFailed`,
 * or with the panel closing.
 */
export type RequestReplies = {
  loadModel: { done: ModelLoadedEvent; progress: LoadProgressEvent };
  unloadModel: { done: ModelUnloadedEvent; progress: never };
  compare: { done: CompareDoneEvent; progress: TokensStreamedEvent };
  structured: { done: StructuredDoneEvent; progress: RouteDoneEvent | TokensStreamedEvent };
};

/** The table's reply names at run time, checked against its types by the compiler. */
export type ReplyNames<T extends ReplyTable> = { [K in keyof T]: { done: T[K]['done']['type']; progress: readonly T[K]['progress']['type'][] } };

export const REQUEST_REPLIES: ReplyNames<RequestReplies> = {
  loadModel: { done: 'modelLoaded', progress: ['loadProgress'] },
  unloadModel: { done: 'modelUnloaded', progress: [] },
  compare: { done: 'compareDone', progress: ['tokensStreamed'] },
  structured: { done: 'structuredDone', progress: ['routeDone', 'tokensStreamed'] },
};

/** A request as its sender writes it: the id is chosen for it unless named (a run's request id is its run id). */
export type Unsent<M> = M extends unknown ? Omit<M, 'requestId'> & { requestId?: string } : never;
/** The host's worker requests that have a reply. */
export type ModelRequest = Unsent<Extract<WorkerRequest, { type: keyof RequestReplies }>>;
export type ReplyOf<T extends ReplyTable, K extends keyof T> = T[K]['done'];
export type ProgressOf<T extends ReplyTable, K extends keyof T> = T[K]['progress'];

export interface Disposable {
  dispose(): void;
}

/** What a request can be cancelled by: structurally, a vscode.CancellationToken or the panel's own. */
export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): Disposable;
}

export interface RequestOptions<P> {
  token?: CancelSignal;
  /** Every progress reply before the final one. */
  onProgress?: (reply: P) => void;
  /**
   * After a cancel, how long to wait for the final reply (a run's partial result) before giving
   * up with the channel's cancelled error. 0 (the default): give up at once.
   */
  cancelGraceMs?: number;
}

export interface RequestChannel<Req, Rep extends Addressed> {
  post(message: Req): Promise<void> | void;
  /** Routes the replies carrying `requestId` to `handler` until disposed. */
  onReplies(requestId: string, handler: (reply: Rep) => void): Disposable;
  /** The other side went away: every request waiting on it has failed. */
  onClosed(listener: () => void): Disposable;
  /** The request's error when `reply` says it failed (`requestFailed`), else undefined. */
  failure(reply: Rep): Error | undefined;
  closedError(): Error;
  newId(type: string): string;
  /** How a cancel is said to the other side, the error it ends with, and the realm's timer for the grace. */
  cancel?: {
    message(requestId: string): Req;
    error(): Error;
    after(ms: number, action: () => void): Disposable;
  };
}

type Sendable<Req> = Unsent<Req> & Addressed;

/**
 * A typed `request` over `channel`: posts the message (with an id), resolves with the reply
 * `replies` names as its end, passes progress to `onProgress`, rejects with the channel's failure
 * or closed error, and on the token's cancel tells the other side (after the request itself has
 * been posted, or the cancel would arrive first and be dropped) and gives up after the grace. A
 * failed post is the error reported.
 */
export function requester<Req extends Addressed, Rep extends Addressed, T extends ReplyTable>(channel: RequestChannel<Req, Rep>, replies: ReplyNames<T>) {
  return function request<M extends Unsent<Extract<Req, { type: keyof T }>>>(
    message: M,
    options: RequestOptions<ProgressOf<T, M['type']>> = {},
  ): Promise<ReplyOf<T, M['type']>> {
    const requestId = message.requestId ?? channel.newId(message.type);
    const names = replies[message.type]!;
    const outgoing = { ...message, requestId } as Sendable<Req> as unknown as Req;
    return new Promise((resolve, reject) => {
      const disposables: Disposable[] = [];
      let settled = false;
      const finish = (action: () => void) => {
        if (settled) return;
        settled = true;
        for (const d of disposables.splice(0)) d.dispose();
        action();
      };
      const cancelWith = channel.cancel;
      if (options.token?.isCancellationRequested && cancelWith) return reject(cancelWith.error());
      disposables.push(
        channel.onReplies(requestId, (reply) => {
          // The table names the reply's type, so its type is the one the table gives (the compiler cannot follow a runtime name).
          if (reply.type === names.done) return finish(() => resolve(reply as unknown as ReplyOf<T, M['type']>));
          const failed = channel.failure(reply);
          if (failed) return finish(() => reject(failed));
          if ((names.progress as readonly string[]).includes(reply.type)) options.onProgress?.(reply as unknown as ProgressOf<T, M['type']>);
        }),
        channel.onClosed(() => finish(() => reject(channel.closedError()))),
      );
      const posted = Promise.resolve()
        .then(() => channel.post(outgoing))
        .catch((e: unknown) => finish(() => reject(e)));
      if (options.token && cancelWith) {
        const cancel = () => {
          if (settled) return;
          // Said even when the grace has run out first: the other side must stop either way.
          void posted.then(() => channel.post(cancelWith.message(requestId))).catch(() => undefined);
          disposables.push(cancelWith.after(options.cancelGraceMs ?? 0, () => finish(() => reject(cancelWith.error()))));
        };
        disposables.push(options.token.onCancellationRequested(cancel));
      }
    });
  };
}
