/**
 * Coalesces token events into one message per ~30 ms, never one per token: a model or a server
 * can produce hundreds of tokens a second, and one panel message each kept the webview busy
 * repainting. The worker batches what it posts to the panel, the host what a host engine streams.
 */
import type { TokenEvent } from './types';

export const TOKEN_FLUSH_MS = 30;

/**
 * The realm's timer, handed in: core names no host API (its lib is bare ES2022). Pass functions
 * that call setTimeout themselves: a browser's setTimeout called as a method of another object
 * throws "Illegal invocation".
 */
export interface Timers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export class TokenBatcher {
  private pending: TokenEvent[] = [];
  private timer: unknown;
  /** Tokens handed on so far. */
  streamed = 0;

  constructor(
    private readonly post: (events: TokenEvent[]) => void,
    private readonly timers: Timers,
    private readonly intervalMs = TOKEN_FLUSH_MS,
  ) {}

  push(event: TokenEvent): void {
    this.pending.push(event);
    this.timer ??= this.timers.set(() => this.flush(), this.intervalMs);
  }

  /** Hands on what is pending now (before a run's final message, which must come after its tokens). */
  flush(): void {
    this.dispose();
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.streamed += events.length;
    this.post(events);
  }

  /** Stops the timer; what is pending is not handed on. */
  dispose(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }
}
