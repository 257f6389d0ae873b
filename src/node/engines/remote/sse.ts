/**
 * Server-sent events as the WHATWG HTML spec frames them (§9.2 "Parsing an event stream"): lines
 * end in CRLF, LF or CR; `data:` lines join with "\n"; a blank line dispatches; `:` lines are
 * comments (keep-alives); a leading U+FEFF is dropped. Network chunks split anywhere, even
 * inside a CRLF or a multi-byte character, so the parser keeps the unfinished tail. An event cut
 * off by the end of the stream is discarded, as the spec says: a dropped connection never
 * passes for a whole chunk.
 */

export interface SseEvent {
  /** `event:`, or "message". */
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventName = '';
  private started = false;
  private readonly decoder = new TextDecoder('utf-8');

  /** Feeds bytes (or text) as they arrive; returns the events completed by them. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (c === 13 && i === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, i), events);
      if (c === 13 && this.buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The stream ended: a final CR ends its line; an event without its blank line is dropped. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    if (rest.endsWith('\r')) this.line(rest.slice(0, -1), events);
    this.data = [];
    this.eventName = '';
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push({ event: this.eventName || 'message', data: this.data.join('\n') });
      this.data = [];
      this.eventName = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventName = value;
    // id and retry are for EventSource reconnection, which a completion stream never does.
  }
}
