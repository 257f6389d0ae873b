/**
 * The worker's side of src/protocol/resources.ts: fetches a webview resource URL through the
 * panel's document, which code-server's service worker routes to the right webview.
 */
import type { ResourceReply, ResourceRequest } from '../../src/protocol/resources';

interface Pending {
  resolve: (response: Response) => void;
  reject: (error: Error) => void;
}

export class PanelFetch {
  private next = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly post: (request: ResourceRequest) => void) {}

  readonly fetch = (url: string): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const id = ++this.next;
      this.pending.set(id, { resolve, reject });
      this.post({ resource: 'fetch', id, url });
    });

  reply(message: ResourceReply): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) {
      void message.body?.cancel();
      return;
    }
    this.pending.delete(message.id);
    if (message.status === 0) return waiter.reject(new Error(message.error ?? 'the panel could not fetch a model file'));
    const headers: Record<string, string> = message.size > 0 ? { 'content-length': String(message.size) } : {};
    waiter.resolve(new Response(message.body as ReadableStream<Uint8Array> | null, { status: message.status, statusText: message.error ?? '', headers }));
  }

  /** A cancelled load must not hang on files that will never arrive. */
  cancelAll(): void {
    for (const waiter of this.pending.values()) waiter.reject(new DOMException('model load cancelled', 'AbortError'));
    this.pending.clear();
  }
}
