/**
 * Starts the model worker. `new Worker(<webview resource URL>)` is refused as cross-origin,
 * so the script is fetched and started from a blob: URL (CSP: worker-src blob:).
 */
import type { WorkerEvent, WorkerRequest } from '../../src/protocol/messages';
import { isExplorerMessage } from '../../src/protocol/explorer';
import { isResourceRequest, type ResourceReply, type ResourceRequest } from '../../src/protocol/resources';
import { validateWorkerEvent } from '../../src/protocol/validate';

export interface WorkerClient {
  send(request: WorkerRequest): void;
  terminate(): void;
}

export interface WorkerHandlers {
  onEvent(event: WorkerEvent): void;
  /** The worker failed to start or crashed: every request it held is lost. */
  onCrash(error: string): void;
  onInvalid(error: string): void;
  /** The distribution explorer's replies (validated by the explorer). */
  onExplorer?(data: unknown): void;
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
  const backlog: WorkerRequest[] = [];

  const ready = (async () => {
    const response = await fetch(scriptUrl);
    if (!response.ok) throw new Error(`fetching the model worker failed: HTTP ${response.status}`);
    blobUrl = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
    if (terminated) return;
    worker = new Worker(blobUrl, { type: 'module', name: 'sampling-lab-model' });
    worker.onmessage = (e: MessageEvent) => {
      if (isResourceRequest(e.data)) return void fetchFor(worker, e.data);
      if (isExplorerMessage(e.data)) return handlers.onExplorer?.(e.data);
      const checked = validateWorkerEvent(e.data);
      if (checked.ok) handlers.onEvent(checked.message);
      else handlers.onInvalid(checked.error);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      handlers.onCrash(`model worker error: ${e.message || 'script failed to load'}`);
    };
    for (const request of backlog.splice(0)) worker.postMessage(request);
  })();
  ready.catch((e) => handlers.onCrash(e instanceof Error ? e.message : String(e)));

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
    send(request) {
      if (worker) worker.postMessage(request);
      else backlog.push(request);
    },
    terminate() {
      terminated = true;
      worker?.terminate();
      worker = undefined;
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    },
  };
}
