import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parsePreferencesJsonl } from '../../src/core/preferences';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import type { RunRecord } from '../../src/protocol/messages';
import { EXTENSION_ID, labApi, withSettings, until, nextEvent } from './extensionApi';

const workspace = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const prefsFile = () => path.join(workspace(), '.sampling-lab', 'preferences.jsonl');
const lines = () => (fs.existsSync(prefsFile()) ? fs.readFileSync(prefsFile(), 'utf8').split('\n').filter(Boolean) : []);

async function compare(prompt: string): Promise<RunRecord> {
  const run = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt });
  assert.equal(run?.status, 'done', run?.error);
  return run!;
}

describe('preference pairs', function () {
  this.timeout(300_000);
  let run: RunRecord;

  before(async () => {
    fs.rmSync(prefsFile(), { force: true });
    run = await compare('Q: Where was Ada Lovelace born?\nA:');
  });
  after(() => fs.rmSync(path.join(workspace(), '.sampling-lab', 'preferences.jsonl'), { force: true }));

  it('has a Preferences view beside the panel, with a welcome that says how to record pairs', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const views = pkg.contributes.views.samplingLab as { id: string; name: string }[];
    assert.deepEqual(views.map((v) => v.id), ['samplingLab.panel', 'samplingLab.preferences']);
    const welcomes = (pkg.contributes.viewsWelcome as { view: string; contents: string; when?: string }[]).filter((w) => w.view === 'samplingLab.preferences');
    assert.match(welcomes.find((w) => w.when === 'isWorkspaceTrusted')!.contents, /press B, then W/);
    // In Restricted Mode the view says why it is empty, with the command that changes it.
    assert.match(welcomes.find((w) => w.when === '!isWorkspaceTrusted')!.contents, /Restricted Mode[\s\S]*\(command:workbench\.trust\.manage\)/);
  });

  it('keeps the Preferences view collapsed while there are no pairs, so the Strategies panel has the side bar', async () => {
    const api = await labApi();
    await vscode.commands.executeCommand('samplingLab.panel.focus');
    assert.deepEqual(api.preferenceItems(), []);
    assert.equal(api.preferencesViewVisible(), false);
  });

  it('marking one card better than another appends one record with dataset field names, from the host’s own run', async () => {
    const api = await labApi();
    assert.deepEqual(api.receiveFromPanel({ type: 'prefer', runId: run.id, chosen: 1, rejected: 0 }), { ok: true });
    const [line] = await waitForLines(1);
    const record = JSON.parse(line!);
    assert.equal(record.prompt, run.prompt);
    assert.equal(record.chosen, run.result!.results[1]!.best.text);
    assert.equal(record.rejected, run.result!.results[0]!.best.text);
    assert.equal(record.chosen_strategy, run.strategies[1]!.strategy.name);
    assert.equal(record.rejected_strategy, run.strategies[0]!.strategy.name);
    assert.equal(record.chosen_seed, run.result!.results[1]!.best.seed);
    assert.equal(record.model, run.model);
    assert.ok(!Number.isNaN(Date.parse(record.time)));
    // The settings rebuild the strategy that ran.
    assert.deepEqual(strategyFromSettings(record.chosen_settings).sampler, run.strategies[1]!.strategy.sampler);
  });

  it('expands the Preferences view once the first pair exists', async () => {
    const api = await labApi();
    assert.ok(lines().length > 0, 'the test before recorded a pair');
    // Without taking the side bar from the user: it happens while the Strategies panel shows.
    await vscode.commands.executeCommand('samplingLab.panel.focus');
    await until(() => api.preferencesViewVisible(), (v) => v, 'the Preferences view to expand', 30_000);
  });

  it('refuses a card preferred to itself, a card that does not exist and an unknown run, and writes nothing', async () => {
    const api = await labApi();
    const before = lines().length;
    for (const [message, error] of [
      [{ type: 'prefer', runId: run.id, chosen: 2, rejected: 2 }, /cannot be preferred to itself/],
      [{ type: 'prefer', runId: run.id, chosen: 0, rejected: 99 }, /rejected card 99 does not exist \(the run has \d+ cards\)/],
      [{ type: 'prefer', runId: 'run-gone', chosen: 0, rejected: 1 }, /no longer in history/],
    ] as const) {
      // This very mark (an earlier one of the same run may still be finishing).
      const handled = nextEvent(
        api.onDidHandlePanelEvent,
        ({ event: e }) => e.type === 'prefer' && e.runId === message.runId && e.chosen === message.chosen && e.rejected === message.rejected,
        30_000,
      );
      api.receiveFromPanel(message);
      assert.match((await handled).error ?? '', error);
      assert.match(api.lastError() ?? '', error);
    }
    const bad = api.receiveFromPanel({ type: 'prefer', runId: run.id, chosen: 'first', rejected: 0 });
    assert.equal(bad.ok, false, 'a malformed message is rejected by the protocol');
    assert.equal(lines().length, before);
  });

  it('the view shows strengths, win rates and the scorer’s loss, and follows the scorer setting', async () => {
    const api = await labApi();
    // Three more pairs: card 1 beats 0 again, 2 beats 0, 1 beats 2.
    for (const [chosen, rejected] of [[1, 0], [2, 0], [1, 2]]) api.receiveFromPanel({ type: 'prefer', runId: run.id, chosen, rejected });
    await waitForLines(4);
    const items = await until(() => api.preferenceItems(), (xs) => xs[0]?.label === '4 pairs', 'the view to show 4 pairs');
    const strategies = items.filter((i) => i.id.startsWith('strategy:'));
    assert.equal(strategies.length, 3);
    assert.equal(strategies[0]!.label, run.strategies[1]!.strategy.name, 'the strategy that won all its pairs ranks first');
    assert.match(strategies[0]!.description, /^strength \+\d\.\d\d · won 3 of 3 \(100%\)$/);
    assert.match(strategies[2]!.description, /won 0 of 3 \(0%\)$/);
    const scorer = items.find((i) => i.id === 'scorer')!;
    assert.equal(scorer.label, 'Scorer: mean log-prob');
    assert.match(scorer.description, /^loss \d\.\d{3} \(chance 0\.693\) · agrees on \d+% of 4$/);
    await withSettings({ 'preferences.scorer': 'sum_logprob' }, async () => {
      const again = await until(() => api.preferenceItems(), (xs) => xs.some((x) => x.label === 'Scorer: sum log-prob'), 'the sum log-prob scorer');
      assert.ok(again.length > 0);
    });
  });

  it('a line that is not a record is skipped and shown; the rest still count', async () => {
    const api = await labApi();
    fs.appendFileSync(prefsFile(), '{"prompt": "only a prompt"}\n');
    const items = await until(() => api.preferenceItems(), (xs) => xs.some((x) => x.id === 'skipped'), 'the skipped line');
    assert.equal(items[0]!.label, '4 pairs');
    assert.match(items.find((x) => x.id === 'skipped')!.description, /line 5: "chosen" is missing or not text/);
  });

  it('exports the pairs as CSV and JSONL', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-export-'));
    try {
      const csv = await vscode.commands.executeCommand<vscode.Uri>('samplingLab.preferences.export', { target: path.join(dir, 'pairs.csv') });
      const rows = fs.readFileSync(csv.fsPath, 'utf8').split('\r\n').filter(Boolean);
      assert.equal(rows.length, 5, 'a header and four records');
      assert.match(rows[0]!, /^prompt,chosen,rejected,chosen_strategy,rejected_strategy,/);
      const jsonl = await vscode.commands.executeCommand<vscode.Uri>('samplingLab.preferences.export', { target: path.join(dir, 'pairs.jsonl') });
      const parsed = parsePreferencesJsonl(fs.readFileSync(jsonl.fsPath, 'utf8'));
      assert.equal(parsed.records.length, 4);
      assert.equal(parsed.skipped.length, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitForLines(n: number): Promise<string[]> {
  return until(lines, (xs) => xs.length >= n, `${n} lines in preferences.jsonl`);
}

