/**
 * Coalesces token events so the worker posts one message per ~30 ms, never one per token.
 */
import type { TokenEvent } from '../../src/core/decode/types';

export const TOKEN_FLUSH_MS = 30;

export class TokenBatcher {
  private pending: TokenEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly post: (events: TokenEvent[]) => void,
    private readonly intervalMs = TOKEN_FLUSH_MS,
  ) {}

  push(event: TokenEvent): void {
    this.pending.push(event);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Posts what is pending now (before the run's final message, so nothing arrives after it). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.post(events);
  }
}
