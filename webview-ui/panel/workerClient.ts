/**
 * Starts the model worker. `new Worker(<webview resource URL>)` is refused as cross-origin,
 * so the script is fetched and started from a blob: URL (CSP: worker-src blob:). The panel's own
 * requests to it (the explorer's) go through the protocol's one request/reply pairing.
 */
import type { WorkerEvent, WorkerRequest } from '../../src/protocol/messages';
import { EXPLORER_REPLIES, isExplorerMessage, validateExplorerReply, type ExplorerReplies, type ExplorerReply, type ExplorerRequest, type PanelToWorker } from '../../src/protocol/explorer';
import { requester, type ReplyOf, type Unsent } from '../../src/protocol/requests';
import { isResourceRequest, type ResourceReply, type ResourceRequest } from '../../src/protocol/resources';
import { validateWorkerEvent } from '../../src/protocol/validate';

/** An explorer request, answered with the reply the protocol names for it; rejected with the worker's error or its crash. */
export type ExplorerRequester = <M extends Unsent<ExplorerRequest>>(message: M) => Promise<ReplyOf<ExplorerReplies, M['type']>>;

export interface WorkerClient {
  send(request: WorkerRequest): void;
  request: ExplorerRequester;
  terminate(): void;
}

export interface WorkerHandlers {
  onEvent(event: WorkerEvent): void;
  /** The worker failed to start or crashed: every request it held is lost. */
  onCrash(error: string): void;
  onInvalid(error: string): void;
}

/** Whether the panel may fetch `url` for the worker: only its own resources (the origin its worker script came from). */
export function sameResourceOrigin(url: string, resourceUrl: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.origin === new URL(resourceUrl).origin;
  } catch {
    return false;
  }
}

export function startWorker(scriptUrl: string, handlers: WorkerHandlers): WorkerClient {
  let worker: Worker | undefined;
  let blobUrl: string | undefined;
  let terminated = false;
  const backlog: PanelToWorker[] = [];
  const explorerReplies = new Map<string, (reply: ExplorerReply) => void>();
  const onGone = new Set<() => void>();
  let goneError = 'the model worker stopped';
  const gone = (error: string) => {
    goneError = error;
    for (const listener of [...onGone]) listener();
  };
  let ids = 0;
  const post = (message: PanelToWorker) => {
    if (worker) worker.postMessage(message);
    else backlog.push(message);
  };

  const ready = (async () => {
    const response = await fetch(scriptUrl);
    if (!response.ok) throw new Error(`fetching the model worker failed: HTTP ${response.status}`);
    blobUrl = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
    if (terminated) return;
    worker = new Worker(blobUrl, { type: 'module', name: 'sampling-lab-model' });
    worker.onmessage = (e: MessageEvent) => {
      if (isResourceRequest(e.data)) return void fetchFor(worker, e.data);
      if (isExplorerMessage(e.data)) return explorerReply(e.data);
      const checked = validateWorkerEvent(e.data);
      if (checked.ok) handlers.onEvent(checked.message);
      else handlers.onInvalid(checked.error);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const error = `model worker error: ${e.message || 'script failed to load'}`;
      gone(error);
      handlers.onCrash(error);
    };
    for (const request of backlog.splice(0)) worker.postMessage(request);
  })();
  ready.catch((e) => {
    const error = e instanceof Error ? e.message : String(e);
    gone(error);
    handlers.onCrash(error);
  });

  /** A malformed reply fails the request it names, saying why, rather than leaving it pending. */
  function explorerReply(data: unknown): void {
    const reply = validateExplorerReply(data);
    if (typeof reply !== 'string') return explorerReplies.get(reply.requestId)?.(reply);
    handlers.onInvalid(`panel rejected an explorer reply: ${reply}`);
    const requestId = typeof data === 'object' && data !== null && 'requestId' in data ? data.requestId : undefined;
    if (typeof requestId === 'string') explorerReplies.get(requestId)?.({ type: 'explorerFailed', requestId, error: `Explorer: ${reply}` });
  }

  const request = requester<ExplorerRequest, ExplorerReply, ExplorerReplies>(
    {
      post,
      onReplies: (requestId, handler) => {
        explorerReplies.set(requestId, handler);
        return { dispose: () => explorerReplies.delete(requestId) };
      },
      onClosed: (listener) => {
        onGone.add(listener);
        return { dispose: () => onGone.delete(listener) };
      },
      failure: (reply) => (reply.type === 'explorerFailed' ? new Error(reply.error) : undefined),
      closedError: () => new Error(goneError),
      newId: (type) => `${type}-${++ids}`,
    },
    EXPLORER_REPLIES,
  );

  /** The worker's resource fetch, made by this document (src/protocol/resources.ts says why); only the panel's own resources. */
  async function fetchFor(target: Worker | undefined, request: ResourceRequest): Promise<void> {
    const reply = (r: Omit<ResourceReply, 'resource' | 'id'>, transfer: Transferable[] = []) => target?.postMessage({ resource: 'reply', id: request.id, ...r }, transfer);
    if (!sameResourceOrigin(request.url, new URL(scriptUrl, location.href).href)) {
      return reply({ status: 403, size: 0, body: null, error: `the panel fetches only its own resources, not ${request.url}` });
    }
    try {
      const response = await fetch(request.url);
      const size = Number(response.headers.get('content-length') ?? 0);
      const body = response.ok ? response.body : null;
      if (!response.ok) void response.body?.cancel();
      reply({ status: response.status, size: Number.isSafeInteger(size) ? size : 0, body }, body ? [body as unknown as Transferable] : []);
    } catch (e) {
      reply({ status: 0, size: 0, body: null, error: `fetching ${request.url} failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  return {
    send: post,
    request,
    terminate() {
      terminated = true;
      gone('the model worker was stopped');
      worker?.terminate();
      worker = undefined;
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    },
  };
}
