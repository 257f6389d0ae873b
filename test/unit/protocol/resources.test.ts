/**
 * The model worker's resource fetches through the panel's document (src/protocol/resources.ts):
 * the guards each side runs before it trusts a message, the worker's PanelFetch, and the panel's
 * rule that it fetches only its own resources.
 */
import * as assert from 'node:assert/strict';
import { isResourceReply, isResourceRequest, type ResourceRequest } from '../../../src/protocol/resources';
import { sameResourceOrigin } from '../../../webview-ui/panel/workerClient';
import { PanelFetch } from '../../../webview-ui/worker/panelFetch';
import { PendingReplies } from '../../../webview-ui/worker/pendingReplies';
import { ModelFiles, MODEL_PREFIX } from '../../../webview-ui/worker/modelFiles';
import type { ReadFileRequest } from '../../../src/protocol/messages';

const BASE = 'https://vscode-remote+127-002e0-002e0-002e1-003a44147.vscode-resource.vscode-cdn.net/ext/dist/worker.js';

function stream(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
}

describe('resource fetches through the panel', () => {
  it('tells its messages apart from the protocol and refuses malformed ones', () => {
    assert.ok(isResourceRequest({ resource: 'fetch', id: 1, url: 'https://x/y' }));
    assert.ok(!isResourceRequest({ type: 'readFile', requestId: 'r', path: 'x' }));
    assert.ok(!isResourceRequest({ resource: 'fetch', id: 1.5, url: 'https://x/y' }));
    assert.ok(!isResourceRequest({ resource: 'fetch', id: 1 }));
    assert.ok(isResourceReply({ resource: 'reply', id: 1, status: 200, size: 3, body: stream('abc') }));
    assert.ok(isResourceReply({ resource: 'reply', id: 1, status: 0, size: 0, body: null, error: 'offline' }));
    assert.ok(!isResourceReply({ resource: 'reply', id: 1, status: 200, size: 3, body: 'abc' }), 'a body that is not a stream');
    assert.ok(!isResourceReply({ resource: 'reply', id: 1, status: 200, size: 3, body: null, error: 7 }));
    assert.ok(!isResourceReply(null));
  });

  it('hands the worker the body as a Response with its length, so its load progress still counts bytes', async () => {
    const sent: ResourceRequest[] = [];
    const panel = new PanelFetch((r) => sent.push(r), new PendingReplies());
    const pending = panel.fetch('https://r/model.onnx');
    assert.deepEqual(sent, [{ resource: 'fetch', id: 1, url: 'https://r/model.onnx' }]);
    panel.reply({ resource: 'reply', id: 1, status: 200, size: 5, body: stream('bytes') });
    const response = await pending;
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '5');
    assert.equal(await response.text(), 'bytes');
  });

  it('passes a 404 on (transformers.js reads it as an absent optional file) and rejects a failed fetch with its reason', async () => {
    const panel = new PanelFetch(() => undefined, new PendingReplies());
    const missing = panel.fetch('https://r/chat_template.jinja');
    panel.reply({ resource: 'reply', id: 1, status: 404, size: 0, body: null });
    assert.equal((await missing).status, 404);
    const failed = panel.fetch('https://r/model.onnx');
    panel.reply({ resource: 'reply', id: 2, status: 0, size: 0, body: null, error: 'fetching https://r/model.onnx failed: network down' });
    await assert.rejects(failed, /network down/);
  });

  it('a cancelled load does not wait for files that will never arrive, and a late reply is dropped with its stream cancelled', async () => {
    const files = new PendingReplies();
    const panel = new PanelFetch(() => undefined, files);
    const pending = panel.fetch('https://r/model.onnx');
    files.cancelAll();
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
    let cancelled = false;
    const late = new ReadableStream({ cancel: () => void (cancelled = true) });
    panel.reply({ resource: 'reply', id: 1, status: 200, size: 0, body: late });
    assert.ok(cancelled);
  });

  it('one cancel rejects every model file the worker waits for: those the panel fetches and those the host reads', async () => {
    const files = new PendingReplies();
    const asked: ReadFileRequest[] = [];
    const panel = new PanelFetch(() => undefined, files);
    const host = new ModelFiles(files, (r) => asked.push(r), () => undefined, panel.fetch);
    host.use({ name: 'picked', id: 'picked', via: 'host', baseUrl: '' });
    const fromHost = host.fetch(`${MODEL_PREFIX}picked/onnx/model.onnx`);
    const fromPanel = panel.fetch('https://r/tokenizer.json');
    assert.deepEqual(asked, [{ type: 'readFile', requestId: 'file-1', path: 'onnx/model.onnx' }]);
    files.cancelAll();
    await assert.rejects(fromHost, (e: Error) => e.name === 'AbortError');
    await assert.rejects(fromPanel, (e: Error) => e.name === 'AbortError');
  });

  it('the panel fetches only its own resources: the origin its worker script came from, over https', () => {
    assert.ok(sameResourceOrigin(BASE.replace('dist/worker.js', 'models/facts-lm/tokenizer.json'), BASE));
    assert.ok(!sameResourceOrigin('https://evil.example/x', BASE));
    assert.ok(!sameResourceOrigin(BASE.replace('https:', 'http:'), BASE.replace('https:', 'http:')), 'not plain http');
    assert.ok(!sameResourceOrigin('not a url', BASE));
  });
});
