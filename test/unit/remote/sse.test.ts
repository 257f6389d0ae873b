/** The SSE framing the remote engine reads, with the quirks real servers and proxies produce (WHATWG HTML §9.2). */
import * as assert from 'node:assert/strict';
import { SseParser } from '../../../src/node/engines/remote/sse';

function feed(pieces: Array<string | Uint8Array>): string[] {
  const p = new SseParser();
  const out: string[] = [];
  for (const piece of pieces) out.push(...p.push(piece).map((e) => e.data));
  out.push(...p.end().map((e) => e.data));
  return out;
}

describe('SSE parser', () => {
  const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';

  it('gives the same events however the stream is split, at every byte', () => {
    const whole = feed([stream]);
    assert.deepEqual(whole, ['{"a":1}', '{"b":2}', '[DONE]']);
    for (let cut = 1; cut < stream.length; cut++) assert.deepEqual(feed([stream.slice(0, cut), stream.slice(cut)]), whole, `split at ${cut}`);
  });

  it('reads CRLF and CR line ends, even with a CRLF split across chunks', () => {
    assert.deepEqual(feed(['data: x\r', '\n\r\ndata: y\r\r']), ['x', 'y']);
  });

  it('keeps a multi-byte character split across chunks whole', () => {
    const bytes = new TextEncoder().encode('data: Zürich ✓\n\n');
    for (let cut = 1; cut < bytes.length; cut++) assert.deepEqual(feed([bytes.slice(0, cut), bytes.slice(cut)]), ['Zürich ✓']);
  });

  it('joins multi-line data, skips comments (keep-alives) and a leading BOM, reads "data:" without a space', () => {
    assert.deepEqual(feed(['\ufeff: keep-alive\n\ndata:one\ndata: two\nevent: x\n\n']), ['one\ntwo']);
  });

  it('drops an event the stream cut off before its blank line, so a dropped connection is not a whole chunk', () => {
    assert.deepEqual(feed(['data: {"a":1}\n\ndata: {"choices":[{"text":"Par']), ['{"a":1}']);
  });
});
