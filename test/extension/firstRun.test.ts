/**
 * The first run as a new user meets it. Stopped while the model loads, it still leaves its run,
 * saying so (before, Stop during the first load left no card and no message). Run on the README's
 * first prompt with the default strategies, the cards differ (before, all six were identical).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/protocol/messages';
import { readmeFirstPrompt } from '../support/readme';
import { labApi, until, useSettingsInSuite, withSettings } from './extensionApi';

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
