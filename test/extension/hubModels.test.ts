/**
 * Hub models in the real extension host, against the hub test server: Select Model pulls the
 * Qwen3-shaped random model in the host (only its q8 files), the panel's worker reads it from the
 * Hugging Face cache as resource URLs, a run renders the prompt through the model's chat template
 * (with the system prompt setting, or raw on request), and with the server gone it loads from the cache.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { anatomyFromOnnx } from '../../src/core/anatomy/anatomy';
import type { AnatomySummary } from '../../src/extension/commands/showAnatomy';
import { modelPickItems } from '../../src/extension/commands/selectModel';
import type { LoadedModel } from '../../src/extension/modelSession';
import type { RunRecord } from '../../src/protocol/messages';
import { startHubServer, type HubServer } from '../support/hubServer';
import { externalDataRepo } from '../support/externalDataModel';
import { qwen3RandomFiles } from '../support/qwen3Model';
import { labApi, useSettingsInSuite, withSettings } from './extensionApi';

const QWEN = 'sampling-lab/qwen3-random';
/** facts-lm's weights in two external data files (model.onnx_data, model.onnx_data_1), as exports over 2 GB ship. */
const EXTERNAL = 'sampling-lab/facts-external';

describe('hub models in the panel', function () {
  this.timeout(600_000);
  let server: HubServer;
  const qwenFiles = qwen3RandomFiles();
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ext-hub-'));

  before(async () => {
    server = await startHubServer();
    server.addRepo({ id: QWEN, files: qwenFiles });
    server.addRepo({ id: EXTERNAL, files: externalDataRepo({ chunks: 2 }) });
    const config = vscode.workspace.getConfiguration('samplingLab');
    await config.update('hub.endpoint', server.endpoint, vscode.ConfigurationTarget.Global);
  });
  useSettingsInSuite({ model: 'facts-lm', 'hub.cacheDir': undefined, 'cache.enabled': false, strategies: [{ kind: 'greedy' }], maxNewTokens: 3, device: 'wasm' });
  after(async () => {
    const config = vscode.workspace.getConfiguration('samplingLab');
    await config.update('hub.endpoint', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('samplingLab.selectModel', { model: 'facts-lm' });
    await server.close().catch(() => undefined);
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  const compare = (prompt: string) => vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt });

  it('Select Model downloads only the q8 files in the host, and the panel loads them', async () => {
    // The panel runs first with the default cache as its resource root; the new cache is added (the panel reloads).
    await vscode.commands.executeCommand('samplingLab.selectModel', { model: 'facts-lm' });
    await vscode.workspace.getConfiguration('samplingLab').update('hub.cacheDir', cacheDir, vscode.ConfigurationTarget.Global);
    const loaded = await vscode.commands.executeCommand<LoadedModel | undefined>('samplingLab.selectModel', { model: QWEN });
    assert.ok(loaded, 'a model was loaded');
    assert.equal(loaded.name, QWEN);
    assert.equal(loaded.dtype, 'q8', 'auto on WASM is q8');
    assert.equal(loaded?.backend, 'wasm');
    assert.equal(server.requests.filter((r) => r.host === 'cdn').length, 2, 'the q8 graph and tokenizer.json (LFS); not the fp32 graph');
    assert.ok(!server.requests.some((r) => r.url.includes('onnx/model.onnx')));
    assert.ok(fs.existsSync(path.join(cacheDir, 'models--sampling-lab--qwen3-random', 'refs', 'main')), 'in the Hugging Face cache layout');
    assert.equal((await labApi()).modelState().status, 'ready');
  });

  it('Show Model Anatomy reads the hub model from the cache, its q8 graph counting the parameters of the fp32 graph (scales and zero points are not parameters)', async () => {
    const fp32 = qwenFiles['onnx/model.onnx']!;
    const expected = anatomyFromOnnx(new Uint8Array(fp32.buffer, fp32.byteOffset, fp32.byteLength), JSON.parse(qwenFiles['config.json']!.toString('utf8')) as object);
    const cdnBefore = server.requests.filter((r) => r.host === 'cdn').length;
    const summary = await withSettings({ model: QWEN }, () => vscode.commands.executeCommand<AnatomySummary | undefined>('samplingLab.showAnatomy'));
    assert.ok(summary, (await labApi()).lastError());
    assert.equal(summary.model, QWEN);
    assert.equal(summary.totalParameters, expected.totalParameters);
    assert.deepEqual(
      summary.components.map((c) => [c.component, c.parameters]),
      expected.components.map((c) => [c.component, c.parameters]),
    );
    assert.equal(server.requests.filter((r) => r.host === 'cdn').length, cdnBefore, 'read from the cache: nothing downloaded again');
  });

  it('the picker lists the downloaded model with its dtypes and size, the catalog with sizes for the dtype, and the ways to name another', () => {
    const items = modelPickItems('facts-lm', cacheDir, 'auto');
    const labels = items.map((i) => i.label);
    assert.equal(labels[0], '$(package) facts-lm');
    const cached = items.find((i) => i.label === `$(database) ${QWEN}`);
    assert.match(cached?.description ?? '', /^q8 · 1[0-9.]+ MB on disk$/);
    const smol = items.find((i) => i.label === '$(cloud-download) HuggingFaceTB/SmolLM2-135M-Instruct');
    assert.match(smol?.description ?? '', /^135M parameters · ≈140 MB in q8$/);
    assert.match(smol?.detail ?? '', /^Apache-2\.0 · https:\/\/huggingface\.co\/HuggingFaceTB\/SmolLM2-135M-Instruct$/);
    assert.match(modelPickItems('facts-lm', cacheDir, 'q4f16').find((i) => i.label === smol!.label)?.description ?? '', /in q4f16$/);
    assert.deepEqual(labels.slice(-3), ['$(edit) Enter a model id…', '$(folder-opened) Open a folder…', '$(file-binary) Open a GGUF file…']);
  });

  it('a run renders the prompt through the chat template with the system prompt; raw on request', async () => {
    const chat = await withSettings({ systemPrompt: 'Be brief.' }, () => compare('Where is Paris?'));
    assert.equal(chat?.status, 'done', chat?.error);
    assert.equal(chat!.dtype, 'q8');
    assert.equal(chat!.result!.promptFormat, 'chat');
    assert.equal(chat!.result!.renderedPrompt, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhere is Paris?<|im_end|>\n<|im_start|>assistant\n');
    assert.ok(chat!.result!.promptTokens > 10);
    const raw = await withSettings({ promptFormat: 'raw' }, () => compare('Where is Paris?'));
    assert.equal(raw?.status, 'done', raw?.error);
    assert.equal(raw!.result!.promptFormat, 'raw');
    assert.equal(raw!.result!.renderedPrompt, 'Where is Paris?');
    assert.ok(raw!.result!.promptTokens < chat!.result!.promptTokens);
    // Sample with Settings chooses for its run alone: raw here, whatever the setting says.
    const once = await withSettings({ promptFormat: 'chat' }, () =>
      vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.sampleWithSettings', { prompt: 'Where is Paris?', choice: { kind: 'greedy', maxNewTokens: 2, promptFormat: 'raw' } }),
    );
    assert.equal(once?.status, 'done', once?.error);
    assert.equal(once!.result!.promptFormat, 'raw');
    assert.equal(once!.options.chat, false);
  });

  it('a model with its weights in external data files loads in the panel and answers as the same weights inline do', async () => {
    const prompt = 'Q: Where was Kawe Steiga born?\nA:';
    await vscode.commands.executeCommand('samplingLab.selectModel', { model: 'facts-lm' });
    const inline = await compare(prompt);
    assert.equal(inline?.status, 'done', inline?.error);
    server.requests.length = 0;
    const loaded = await vscode.commands.executeCommand<LoadedModel | undefined>('samplingLab.selectModel', { model: EXTERNAL });
    assert.equal(loaded?.name, EXTERNAL);
    assert.equal(loaded?.backend, 'wasm');
    assert.equal(loaded?.hostServedBytes ?? 0, 0, 'the worker read the files as resource URLs of the cache');
    for (const file of ['onnx/model.onnx_data', 'onnx/model.onnx_data_1']) assert.ok(server.fileRequests(file).some((r) => r.host === 'hub'), `${file} was downloaded`);
    const external = await compare(prompt);
    assert.equal(external?.status, 'done', external?.error);
    assert.equal(external!.model, EXTERNAL);
    const text = (run: RunRecord) => run.result!.results[0]!.best.text;
    assert.ok(text(inline!).length > 0);
    assert.equal(text(external!), text(inline!), 'the worker read the weights from the data files');
  });

  it('with the hub gone, the model loads again from the cache', async () => {
    await server.close();
    await vscode.commands.executeCommand('samplingLab.selectModel', { model: 'facts-lm' });
    const again = await vscode.commands.executeCommand<LoadedModel | undefined>('samplingLab.selectModel', { model: QWEN });
    assert.equal(again?.dtype, 'q8');
    const run = await compare('Hello');
    assert.equal(run?.status, 'done', run?.error);
    assert.equal(run!.model, QWEN);
  });
});
