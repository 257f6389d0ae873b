/**
 * A first run that is stopped while the model loads still leaves its run, saying so: before,
 * Stop during the first load left no card and no message.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/protocol/messages';
import { labApi, until, useSettingsInSuite } from './extensionApi';

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
