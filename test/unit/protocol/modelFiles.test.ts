/**
 * The worker's model files (webview-ui/worker/modelFiles.ts) when the panel cannot read one:
 * code-server's webview service worker answers 408 when the editor takes over 30 s to hand over a
 * resource (a 389 MB graph, even on an idle machine: `npm run bench -- memory`), and transformers.js read
 * the bodyless reply as the file, failing with "Cannot read properties of null (reading 'getReader')".
 */
import * as assert from 'node:assert/strict';
import type { ModelSpec } from '../../../src/protocol/messages';
import { MODEL_PREFIX, ModelFiles } from '../../../webview-ui/worker/modelFiles';
import { PendingReplies } from '../../../webview-ui/worker/pendingReplies';

function filesAnswering(status: number): { files: ModelFiles; misses: string[] } {
  const misses: string[] = [];
  const files = new ModelFiles(
    new PendingReplies(),
    () => assert.fail('a resource-URL model never asks the host'),
    (path, s) => misses.push(`${path} ${s}`),
    async () => new Response(status === 200 ? 'bytes' : null, { status }),
  );
  const spec: ModelSpec = { id: 'm', name: 'm', via: 'fetch', baseUrl: 'https://r/' };
  files.use(spec);
  return { files, misses };
}

describe('model files the panel cannot read', () => {
  it('a 408 from the webview resource loader is thrown, naming the file, the 30 s limit and the fix, and kept for the load to report', async () => {
    const { files, misses } = filesAnswering(408);
    await assert.rejects(files.fetch(`${MODEL_PREFIX}m/onnx/model.onnx`), /onnx\/model\.onnx.*30 s.*HTTP 408.*samplingLab\.dtype/s);
    assert.deepEqual(misses, ['onnx/model.onnx 408']);
    assert.match(files.takeFailure()?.message ?? '', /onnx\/model\.onnx/);
    assert.equal(files.takeFailure(), undefined, 'taken once');
  });

  it('a 404 stays an absent optional file (transformers.js asks for files a model may lack), and nothing is kept', async () => {
    const { files } = filesAnswering(404);
    const response = await files.fetch(`${MODEL_PREFIX}m/generation_config.json`);
    assert.equal(response.status, 404);
    assert.equal(files.takeFailure(), undefined);
  });

  it('any other failure names the file and the status', async () => {
    const { files } = filesAnswering(500);
    await assert.rejects(files.fetch(`${MODEL_PREFIX}m/tokenizer.json`), /tokenizer\.json.*HTTP 500/);
    const ok = filesAnswering(200);
    assert.equal(await (await ok.files.fetch(`${MODEL_PREFIX}m/config.json`)).text(), 'bytes');
  });
});
