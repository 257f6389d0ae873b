/**
 * Export and history: a run exported as Markdown (a table of settings, completion, log-probs) and
 * as JSON (the CLI's `compare --json` shape), all runs at once, deleting a run from the command
 * and from the panel's button, clearing history, and `samplingLab.history.maxRuns`.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { compareResultJson } from '../../src/core/export/runExport';
import type { ExportedRuns } from '../../src/extension/commands/historyCommands';
import type { RunRecord } from '../../src/protocol/messages';
import { labApi, nextEvent, until, useSettingsInSuite, withSettings } from './extensionApi';

async function compare(prompt: string): Promise<RunRecord> {
  const api = await labApi();
  const run = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt });
  assert.ok(run, `the run returned a record (last error: ${api.lastError()})`);
  assert.equal(run.status, 'done', run.error);
  return run;
}

const exported = (command: string, args: object) => vscode.commands.executeCommand<ExportedRuns | undefined>(command, args);

describe('export and history', function () {
  this.timeout(300_000);
  useSettingsInSuite({ strategies: [{ kind: 'greedy' }, { kind: 'top_k', topK: 5 }], maxNewTokens: 4 });
  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('exports a run as Markdown: a table with each strategy, its chain, completion and token log-probs', async () => {
    const run = await compare('Q: Where was Kawe Steiga born?\nA:');
    const out = await exported('samplingLab.exportRun', { runId: run.id, format: 'markdown' });
    assert.ok(out, `exported (last error: ${(await labApi()).lastError()})`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), out.uri, 'the export is open in an editor');
    assert.equal(vscode.window.activeTextEditor?.document.getText(), out.text);
    assert.match(out.text, /\| strategy \| settings \| completion \| mean log-prob \| tokens \| tokens\/s \| seed \| finish \| token log-probs \|/);
    const stored = (await labApi()).history().find((r) => r.id === run.id)!;
    for (const [i, view] of stored.strategies.entries()) {
      const r = stored.result!.results[i]!;
      const row = out.text.split('\n').find((l) => l.startsWith(`| ${view.strategy.name} |`));
      assert.ok(row, `a row for ${view.strategy.name}`);
      assert.ok(row.includes(view.chain), `${view.strategy.name}'s chain ${view.chain}`);
      assert.ok(row.includes(r.best.meanLogprob.toFixed(3)), 'its mean log-prob');
      assert.ok(row.includes(`${JSON.stringify(r.best.tokens[0]!.text).replace(/\|/g, '\\|')} ${r.best.tokens[0]!.logprobRaw.toFixed(2)}`), 'its first token with its log-prob');
    }
    assert.ok(out.text.includes('Q: Where was Kawe Steiga born?\nA:'), 'the prompt, whole, in a fence');
  });

  it("exports a run as JSON in the CLI's --json shape, and all runs as an array of them", async () => {
    const api = await labApi();
    const run = await compare('Q: Where was Ada Lovelace born?\nA:');
    const stored = api.history().find((r) => r.id === run.id)!;
    const one = await exported('samplingLab.exportRun', { runId: run.id, format: 'json' });
    assert.ok(one, `exported (last error: ${api.lastError()})`);
    assert.deepEqual(JSON.parse(one.text), JSON.parse(compareResultJson(stored.result!)));
    assert.equal(JSON.parse(one.text).results[0].best.tokens[0].text, stored.result!.results[0]!.best.tokens[0]!.text, 'per-token detail is there');

    const all = await exported('samplingLab.exportHistory', { format: 'json' });
    // A side-by-side of models (compareModels) gives an object per model that has a result.
    const withResults = api
      .history()
      .filter((r) => r.kind !== 'json')
      .flatMap((r) => r.models ?? [r])
      .filter((r) => r.result);
    assert.ok(all);
    const parsed = JSON.parse(all.text) as { prompt: string }[];
    assert.equal(parsed.length, withResults.length);
    assert.deepEqual(parsed.map((p) => p.prompt), withResults.map((r) => r.result!.prompt), 'newest first, every run');
  });

  it('deletes a run by command and by the panel button, and clears the history', async () => {
    const api = await labApi();
    const a = await compare('Q: Where was Alan Turing born?\nA:');
    const b = await compare('Q: Where was Grace Hopper born?\nA:');
    assert.equal(await vscode.commands.executeCommand('samplingLab.deleteRun', { runId: a.id }), true);
    assert.ok(!api.history().some((r) => r.id === a.id), 'the deleted run is gone');
    assert.ok(api.history().some((r) => r.id === b.id), 'the other run stays');

    const handled = nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'runAction', 30_000);
    assert.deepEqual(api.receiveFromPanel({ type: 'runAction', runId: b.id, action: 'delete' }), { ok: true });
    assert.equal((await handled).error, undefined);
    assert.ok(!api.history().some((r) => r.id === b.id), "the panel's Delete removed it");
    assert.equal(api.receiveFromPanel({ type: 'runAction', runId: b.id, action: 'rename' }).ok, false, 'an unknown action is rejected');

    await compare('Q: Where was Kawe Steiga born?\nA:');
    const cleared = await vscode.commands.executeCommand<number>('samplingLab.clearHistory', { confirmed: true });
    assert.ok(cleared && cleared >= 1, `cleared ${cleared}`);
    assert.deepEqual(api.history(), []);
  });

  it('keeps at most samplingLab.history.maxRuns runs, and lowering it drops the oldest at once', async () => {
    const api = await labApi();
    await withSettings({ 'history.maxRuns': 3 }, async () => {
      const runs: RunRecord[] = [];
      // Repeats come from the response cache: new runs in history without decoding again.
      for (let i = 0; i < 4; i++) runs.push(await compare('Q: Where was Kawe Steiga born?\nA:'));
      assert.deepEqual(api.history().map((r) => r.id), runs.slice(1).reverse().map((r) => r.id), 'the newest three');
      await vscode.workspace.getConfiguration('samplingLab').update('history.maxRuns', 1, vscode.ConfigurationTarget.Global);
      await until(() => api.history().map((r) => r.id), (ids) => ids.length === 1, 'history trimmed to 1');
      assert.equal(api.history()[0]!.id, runs[3]!.id, 'the newest stays');
    });
  });

  it('refuses to export a run that is gone, naming why', async () => {
    const api = await labApi();
    assert.equal(await exported('samplingLab.exportRun', { runId: 'run-gone', format: 'markdown' }), undefined);
    assert.match(api.lastError() ?? '', /no longer in the history/);
  });
});
