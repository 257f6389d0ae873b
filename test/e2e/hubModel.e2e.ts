/**
 * A hub model end to end (code-server + Chromium, WASM), against the hub test server: Select
 * Model → "Enter a model id…" picks the Qwen3-shaped random model, the download shows a progress
 * notification with bytes while the server holds the graph back, the run's card header shows the
 * prompt rendered through Qwen3's chat template, and with the server stopped and the window
 * reloaded the model loads from the Hugging Face cache. The same model is then picked with
 * WebGPU on SwiftShader (Chromium's CPU implementation of WebGPU) and runs there, the card naming
 * the backend and the weights the picker chose for it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { openLab, type Lab } from './support/lab';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { openFile, runCommand, selectLines, waitForWorkbench } from './support/workbench';
import { startHubServer, type HubServer } from '../support/hubServer';
import { qwen3RandomFiles } from '../support/qwen3Model';

const QWEN = 'sampling-lab/qwen3-random';
const GRAPH = 'onnx/model_quantized.onnx';

/** Select Model → "Enter a model id…" → `id`, as a user picks a hub model. */
async function enterModelId(page: Page, id: string): Promise<void> {
  await runCommand(page, 'Sampling Lab: Select Model…');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Enter a model id' }).first().click();
  await input.waitFor({ state: 'visible' });
  await input.fill(id);
  await page.keyboard.press('Enter');
}

describe('a hub model, end to end', function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  let server: HubServer;
  let workspace: string;
  let cacheDir: string;

  before(async () => {
    server = await startHubServer();
    server.addRepo({ id: QWEN, files: qwen3RandomFiles() });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-hub-ws-'));
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-hub-cache-'));
    fs.writeFileSync(path.join(workspace, 'prompt.txt'), 'Where is Paris?\n');
  });
  after(async () => {
    await lab?.close();
    await server.close().catch(() => undefined);
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('downloads with a progress notification, shows the chat-templated prompt, and loads from the cache with the hub gone', async () => {
    let release!: () => void;
    server.inject({ kind: 'stall', path: GRAPH, afterBytes: 1_000_000, release: new Promise<void>((r) => (release = r)) });
    lab = await openLab(workspace, {
      settings: {
        'samplingLab.hub.endpoint': server.endpoint,
        'samplingLab.hub.cacheDir': cacheDir,
        'samplingLab.strategies': [{ kind: 'greedy' }],
        'samplingLab.maxNewTokens': 3,
        'samplingLab.cache.enabled': false,
      },
    });
    const { page } = lab;

    await enterModelId(page, QWEN);

    // The server holds the graph after 1 MB: the notification shows the bytes so far and the speed.
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `Sampling Lab: ${QWEN}` }).first();
    await toast.waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('.notifications-toasts .notification-toast', { hasText: /MB of [\d.]+ MB · .*\/s · onnx\/model_quantized\.onnx/ }).first().waitFor({ state: 'visible', timeout: 120_000 });
    release();

    await openFile(page, 'prompt.txt');
    await selectLines(page, 1, 1);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    await waitForFinishedCards(panel, 1, 600_000);
    const run = panel.locator('.run').first();
    assert.match((await run.locator('.run-meta').textContent()) ?? '', new RegExp(`^${QWEN} · WASM · q8`));
    const rendered = run.locator('.rendered-prompt');
    assert.match((await rendered.locator('summary').textContent()) ?? '', /^Prompt through the chat template · \d+ tokens$/);
    assert.equal(await rendered.locator('.rendered-prompt-text').textContent(), '<|im_start|>user\nWhere is Paris?<|im_end|>\n<|im_start|>assistant\n');

    // No hub any more: a reload loads the model from the cache.
    await server.close();
    await page.reload();
    await waitForWorkbench(page);
    await openFile(page, 'prompt.txt');
    await selectLines(page, 1, 1);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const again = await panelFrame(page);
    await waitForFinishedCards(again, 1, 600_000);
    assert.match((await again.locator('.run').first().locator('.run-meta').textContent()) ?? '', new RegExp(`^${QWEN} · WASM · q8`));
  });
  it('with WebGPU on SwiftShader: the same hub model downloads and runs on WebGPU, chat-templated', async () => {
    await lab?.close();
    lab = undefined;
    const webgpuCache = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-hub-cache-'));
    const webgpuServer = await startHubServer();
    webgpuServer.addRepo({ id: QWEN, files: qwen3RandomFiles() });
    try {
      lab = await openLab(workspace, {
        gpu: 'swiftshader',
        settings: {
          'samplingLab.device': 'webgpu',
          'samplingLab.hub.endpoint': webgpuServer.endpoint,
          'samplingLab.hub.cacheDir': webgpuCache,
          'samplingLab.strategies': [{ kind: 'greedy' }],
          'samplingLab.maxNewTokens': 3,
          'samplingLab.cache.enabled': false,
        },
      });
      const { page } = lab;
      await enterModelId(page, QWEN);
      // Select Model downloads, then loads the model in the panel: the status bar names it on WebGPU.
      await page.locator('.statusbar-item', { hasText: new RegExp(`${QWEN}.* · WebGPU`) }).first().waitFor({ state: 'visible', timeout: 600_000 });

      await openFile(page, 'prompt.txt');
      await selectLines(page, 1, 1);
      await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
      const panel = await panelFrame(page);
      await waitForFinishedCards(panel, 1, 600_000);
      const run = panel.locator('.run').first();
      const meta = (await run.locator('.run-meta').textContent()) ?? '';
      // The repository has fp32 and q8 only: WebGPU without fp16 weights to choose gets one of those, named.
      assert.match(meta, new RegExp(`^${QWEN} · WEBGPU · (fp32|q8)`), meta);
      assert.equal(await run.locator('.rendered-prompt .rendered-prompt-text').textContent(), '<|im_start|>user\nWhere is Paris?<|im_end|>\n<|im_start|>assistant\n');
    } finally {
      await lab?.close();
      lab = undefined;
      await webgpuServer.close().catch(() => undefined);
      fs.rmSync(webgpuCache, { recursive: true, force: true });
    }
  });
});
