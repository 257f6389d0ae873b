/**
 * The panel's model worker beside other webviews. In VS Code for the Web (code-server) every
 * webview shares one origin and so one service worker, and that service worker answers a Web
 * Worker's resource fetches for whichever webview registered it last. So after another webview
 * opened and closed, a fetch from the model worker went to a webview that was gone, and every
 * model file came back 404 ("Cannot read properties of undefined (reading 'tokenizer_class')").
 * The panel's own document now fetches for the worker.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LoadedModel } from '../../src/extension/modelSession';
import { labApi, useSettingsInSuite, withSettings } from './extensionApi';

/** Opens a webview of another extension's kind, waits until its script runs (its service worker is registered by then), then closes it. */
async function openAndCloseAnotherWebview(): Promise<void> {
  const other = vscode.window.createWebviewPanel('samplingLabTest.neighbour', 'Neighbour', vscode.ViewColumn.Active, { enableScripts: true });
  const loaded = new Promise<void>((resolve) => other.webview.onDidReceiveMessage(() => resolve()));
  other.webview.html = `<!DOCTYPE html><html><body><script>acquireVsCodeApi().postMessage('loaded');</script></body></html>`;
  await loaded;
  other.dispose();
}

describe('the panel beside other webviews', function () {
  this.timeout(300_000);
  useSettingsInSuite({ model: 'facts-lm', dtype: 'auto', 'cache.enabled': false, strategies: [{ kind: 'greedy' }], maxNewTokens: 3, device: 'wasm' });

  it('loads a model after another webview opened and closed (its files are not fetched for the closed one)', async () => {
    const api = await labApi();
    const first = await vscode.commands.executeCommand<LoadedModel | undefined>('samplingLab.selectModel', { model: 'facts-lm' });
    assert.ok(first, api.lastError());
    await openAndCloseAnotherWebview();
    // Other weights of the same model: files the worker has not read yet.
    await api.releaseModel();
    const loaded = await withSettings({ dtype: first.dtype === 'q8' ? 'fp32' : 'q8' }, () =>
      vscode.commands.executeCommand<LoadedModel | undefined>('samplingLab.selectModel', { model: 'facts-lm' }),
    );
    assert.ok(loaded, api.lastError());
    assert.notEqual(loaded.dtype, first.dtype);
    assert.equal(api.modelState().status, 'ready');
  });
});
