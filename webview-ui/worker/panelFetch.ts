/**
 * The worker's side of src/protocol/resources.ts: fetches a webview resource URL through the
 * panel's document, which code-server's service worker routes to the right webview.
 */
import type { ResourceReply, ResourceRequest } from '../../src/protocol/resources';
import type { PendingReplies } from './pendingReplies';

/** Its ids beside ModelFiles' in the worker's one PendingReplies. */
const key = (id: number) => `resource-${id}`;

export class PanelFetch {
  private next = 0;

  constructor(
    private readonly post: (request: ResourceRequest) => void,
    private readonly pending: PendingReplies,
  ) {}

  readonly fetch = (url: string): Promise<Response> => {
    const id = ++this.next;
    return this.pending.wait(key(id), () => this.post({ resource: 'fetch', id, url }));
  };

  reply(message: ResourceReply): void {
    const waiter = this.pending.take(key(message.id));
    if (!waiter) {
      void message.body?.cancel();
      return;
    }
    if (message.status === 0) return waiter.reject(new Error(message.error ?? 'the panel could not fetch a model file'));
    const headers: Record<string, string> = message.size > 0 ? { 'content-length': String(message.size) } : {};
    waiter.resolve(new Response(message.body as ReadableStream<Uint8Array> | null, { status: message.status, statusText: message.error ?? '', headers }));
  }
}
