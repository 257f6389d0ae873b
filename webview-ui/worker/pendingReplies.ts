/**
 * The model files the worker has asked for and not yet received, by request id: those the panel
 * fetches (PanelFetch) and those the host reads (ModelFiles) alike, so a cancelled load rejects
 * them all at once instead of leaving transformers.js waiting on files that will never arrive.
 */
interface Waiter {
  resolve: (response: Response) => void;
  reject: (error: Error) => void;
}

export class PendingReplies {
  private readonly waiting = new Map<string, Waiter>();

  /** Registers `id`, then asks for it (`ask` posts the request): the reply may come at once. */
  wait(id: string, ask: () => void): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      ask();
    });
  }

  /** The waiter for `id`, removed: undefined when none waits (cancelled, or a reply twice). */
  take(id: string): Waiter | undefined {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    return waiter;
  }

  cancelAll(): void {
    for (const waiter of this.waiting.values()) waiter.reject(new DOMException('model load cancelled', 'AbortError'));
    this.waiting.clear();
  }
}
