/**
 * The first run as a new user meets it. Stopped while the model loads, it still leaves its run,
 * saying so (before, Stop during the first load left no card and no message). Run on the README's
 * first prompt with the default strategies, the cards differ (before, all six were identical). A
 * load names each file and how far it is (before, the panel and the notification named none).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoadStep } from '../../src/core/model/loadProgress';
import { onnxFileFor } from '../../src/core/model/hubModel';
import type { RunRecord } from '../../src/protocol/messages';
import { readmeFirstPrompt } from '../support/readme';
import { bundledModelFolder, labApi, until, useSettingsInSuite, withLinkedModelCopy, withSettings } from './extensionApi';

describe('model loading', function () {
  this.timeout(300_000);
  useSettingsInSuite({ strategies: [{ kind: 'greedy' }], maxNewTokens: 2, 'cache.enabled': false });

  /** The load steps `load` goes through (the state the status bar and the notification show), and the dtype it loaded. */
  async function stepsOf(load: () => Thenable<unknown>): Promise<{ steps: LoadStep[]; onnx: string }> {
    const api = await labApi();
    const steps: LoadStep[] = [];
    const sub = api.onDidChangeModelState((s) => {
      if (s.status === 'loading' && s.progress) steps.push(s.progress);
    });
    try {
      await load();
    } finally {
      sub.dispose();
    }
    const state = api.modelState();
    assert.equal(state.status, 'ready', `loaded (last error: ${api.lastError()})`);
    return { steps, onnx: onnxFileFor(state.status === 'ready' ? (state.dtype ?? 'fp32') : 'fp32') };
  }

  /** Each file is named as it loads, and the weights are counted up to their size on disk. */
  function assertNamesFiles(steps: LoadStep[], onnx: string, folder: string): void {
    const files = [...new Set(steps.map((s) => s.file).filter(Boolean))];
    for (const file of ['config.json', 'tokenizer.json', onnx]) assert.ok(files.includes(file), `${file} is named while it loads: ${JSON.stringify(files)}`);
    const weights = steps.filter((s) => s.file === onnx && s.status === 'progress');
    const size = fs.statSync(path.join(folder, onnx)).size;
    assert.ok(weights.length > 0 && weights.every((s) => s.total === size), `${onnx}'s progress counts to its ${size} bytes: ${JSON.stringify(weights)}`);
    assert.equal(weights.at(-1)!.loaded, size, 'and reaches them');
    assert.ok(steps.some((s) => s.status === 'warmup'), 'compiling for the backend is a step too');
  }

  it('names the file it loads and how far, for the bundled model and for a folder', async () => {
    const api = await labApi();
    const bundled = bundledModelFolder();
    await api.releaseModel();
    const first = await stepsOf(() => vscode.commands.executeCommand('samplingLab.compareSelection', { prompt: 'Q: Where was Kawe Steiga born?\nA:' }));
    assertNamesFiles(first.steps, first.onnx, bundled);

    // A folder with a symlink is served file by file by the host: another way in for the bytes.
    await withLinkedModelCopy(async (folder) => {
      const fromFolder = await stepsOf(() => vscode.commands.executeCommand('samplingLab.selectModel', { model: folder }));
      assertNamesFiles(fromFolder.steps, fromFolder.onnx, folder);
    });
  });
});

describe("the README's first prompt in the panel", function () {
  this.timeout(300_000);

  it('gives different completions under the default strategies', async () => {
    // out/test/extension/ -> the repository root, as index.ts finds it.
    const prompt = readmeFirstPrompt(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8'));
    // Every setting a run reads back to its default (undefined removes the user value).
    const defaults = { strategies: undefined, samples: undefined, seed: undefined, maxNewTokens: undefined, 'cache.enabled': false };
    const run = await withSettings(defaults, () => vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt }));
    assert.equal(run?.status, 'done', run?.error ?? (await labApi()).lastError());
    const texts = run!.result!.results.map((r) => r.best.text);
    assert.equal(texts.length, 6, 'the six default strategies ran');
    assert.ok(new Set(texts).size >= 3, `at least three different cards for ${JSON.stringify(prompt)}: ${JSON.stringify(texts)}`);
  });
});

describe('stopping during the model load', function () {
  this.timeout(300_000);
  useSettingsInSuite({ strategies: [{ kind: 'greedy' }], maxNewTokens: 2, 'cache.enabled': false });

  it('leaves an aborted run that says it was stopped while the model loaded', async () => {
    const api = await labApi();
    await api.releaseModel();
    assert.notEqual(api.modelState().status, 'ready', 'no model is loaded');
    const running = vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt: 'Q: Where was Kawe Steiga born?\nA:' });
    await until(() => api.modelState().status, (s) => s === 'loading', 'the model load to start', 60_000);
    await vscode.commands.executeCommand('samplingLab.stop');
    const run = await running;
    assert.ok(run, `the run returned a record (last error: ${api.lastError()})`);
    assert.equal(run.status, 'aborted');
    assert.match(run.error ?? '', /Stopped while the model was loading/);
    assert.equal(run.result, undefined, 'nothing was generated');
    assert.deepEqual(run.strategies.map((s) => s.strategy.kind), ['greedy'], 'the card of each strategy is there');
    const kept = api.history().find((r) => r.id === run.id);
    assert.equal(kept?.status, 'aborted', 'the stopped run is in history (and so in the panel)');

    const next = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt: 'Q: Where was Kawe Steiga born?\nA:' });
    assert.equal(next?.status, 'done', `the next run loads the model and runs (${next?.error ?? api.lastError()})`);
  });
});
