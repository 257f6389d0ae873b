import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { MAX_BRANCHES } from '../../src/extension/branches';
import type { BranchRecord, RunRecord } from '../../src/protocol/messages';
import { labApi, until, nextEvent } from './extensionApi';

describe('branches kept with their run', function () {
  // The first run may load the model in the webview (WASM, single thread).
  this.timeout(300_000);
  let run: RunRecord;
  const branch = (step: number, strategyIndex = 0): BranchRecord => ({ strategyIndex, step, tokenText: ' Paris', text: ' Paris, France.', firstText: ' Paris' });

  before(async () => {
    run = (await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt: 'Q: Where was Grace Hopper born?\nA:' }))!;
    assert.equal(run?.status, 'done', run?.error);
  });

  it('a branch the panel reports is stored in history with its run', async () => {
    const api = await labApi();
    assert.deepEqual(api.receiveFromPanel({ type: 'branchAdded', runId: run.id, branch: branch(1, 2) }), { ok: true });
    const stored = await until(() => api.history().find((r) => r.id === run.id), (r) => (r?.branches?.length ?? 0) === 1, 'the branch in history');
    assert.deepEqual(stored!.branches, [branch(1, 2)]);
  });

  it('keeps the newest ones only, and refuses a branch of a card or run that does not exist', async () => {
    const api = await labApi();
    for (let step = 2; step < MAX_BRANCHES + 5; step++) api.receiveFromPanel({ type: 'branchAdded', runId: run.id, branch: branch(step) });
    const stored = await until(() => api.history().find((r) => r.id === run.id), (r) => r?.branches?.at(-1)?.step === MAX_BRANCHES + 4, 'the last branch');
    assert.equal(stored!.branches!.length, MAX_BRANCHES);
    assert.equal(stored!.branches![0]!.step, 5, 'the oldest went first');
    const refused = (runId: string) => nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'branchAdded' && o.event.runId === runId, 30_000);
    const badCard = refused(run.id);
    api.receiveFromPanel({ type: 'branchAdded', runId: run.id, branch: branch(99, 42) });
    assert.ok((await badCard).error, 'a branch of a card that does not exist is refused');
    const goneRun = refused('run-gone');
    api.receiveFromPanel({ type: 'branchAdded', runId: 'run-gone', branch: branch(99) });
    assert.ok((await goneRun).error, 'a branch of a run that is gone is refused');
    assert.ok(!api.history().some((r) => r.branches?.some((b) => b.step === 99)));
    const malformed = api.receiveFromPanel({ type: 'branchAdded', runId: run.id, branch: { step: 1 } });
    assert.equal(malformed.ok, false);
  });
});
