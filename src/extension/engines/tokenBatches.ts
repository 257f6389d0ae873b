/**
 * Tokens an engine in the host streams, handed on in batches: a server can send hundreds of
 * tokens a second, and one panel message per token kept the webview busy repainting.
 */
import type { TokenEvent } from '../../core/decode/types';

/** Batches go out this far apart, never one message per token. */
const TOKEN_BATCH_MS = 30;

export class TokenBatches {
  private pending: TokenEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Tokens handed on so far. */
  streamed = 0;

  constructor(private readonly send: (events: TokenEvent[]) => void) {}

  push(event: TokenEvent): void {
    this.pending.push(event);
    this.timer ??= setTimeout(() => this.flush(), TOKEN_BATCH_MS);
  }

  /** Hands on what is pending now (before a run's final record, which must come after its tokens). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.streamed += events.length;
    this.send(events);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
