import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RiskReport, RunRecord } from '../../src/protocol/messages';
import { EXTENSION_ID, labApi, nextEvent, withSettings } from './extensionApi';

function person(which: 'known' | 'heldout', index: number): string {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri.fsPath;
  const people = JSON.parse(fs.readFileSync(path.join(root, 'models', 'facts-lm', 'world', `${which}.json`), 'utf8')) as { name: string }[];
  return people[index]!.name;
}

const question = (name: string) => `Q: Where was ${name} born?\nA:`;

function checkRisk(prompt?: string): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.checkRisk', prompt === undefined ? undefined : { prompt });
}

function compare(prompt: string): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt });
}

function reportOf(run: RunRecord | undefined): RiskReport {
  assert.ok(run, 'the check returned a record');
  assert.equal(run.status, 'done', run.error);
  assert.equal(run.kind, 'risk');
  const report = run.risks?.find((r) => r.mainStrategy === 0);
  assert.ok(report, 'the record carries the risk report');
  return report;
}

let untitled = 0;

/**
 * Opens a new document holding `text`, selects `selected` in it, and returns its editor. Each
 * document has its own untitled name: a plain `openTextDocument({ content })` reuses the name of
 * one just closed ("Untitled-1"), and on a loaded machine the extension host can still hold that
 * closed document's text under the name, so the command read the previous test's question.
 */
async function editorWith(text: string, selected: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.from({ scheme: 'untitled', path: `risk-${process.pid}-${++untitled}.txt` });
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document);
  assert.ok(await editor.edit((e) => e.insert(new vscode.Position(0, 0), text)));
  const start = text.indexOf(selected);
  editor.selection = new vscode.Selection(document.positionAt(start), document.positionAt(start + selected.length));
  assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString(), 'the new document is the active editor');
  assert.equal(editor.document.getText(editor.selection), selected);
  return editor;
}

/** Our diagnostics of `uri` once `until` holds of them; fails after `timeoutMs`. Waits on diagnostics events. */
async function marksOf(uri: vscode.Uri, until: (marks: vscode.Diagnostic[]) => boolean, timeoutMs = 10_000): Promise<vscode.Diagnostic[]> {
  const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Sampling Lab');
  if (until(ours())) return ours();
  await nextEvent(vscode.languages.onDidChangeDiagnostics, (e) => e.uris.some((u) => u.toString() === uri.toString()) && until(ours()), timeoutMs);
  return ours();
}

describe('Check Hallucination Risk', function () {
  // The first check may load the model in the webview (WASM, single thread).
  this.timeout(300_000);

  it('on a held-out person: a High band, the greedy answer against 8 samples grouped by cluster', async () => {
    const report = reportOf(await checkRisk(question(person('heldout', 0))));
    assert.equal(report.band, 'High', report.explanation);
    assert.equal(report.samples, 8);
    assert.equal(report.clusters.reduce((n, c) => n + c.size, 0), 8, 'every sample is in one cluster');
    assert.ok(report.sentences.length >= 1);
    assert.ok(report.explanation.length > 0);
  });

  it('on a known person: a Low band', async () => {
    const report = reportOf(await checkRisk(question(person('known', 0))));
    assert.equal(report.band, 'Low', report.explanation);
  });

  it('refuses N < 2 with a message naming samplingLab.risk.samples, before any model work', async () => {
    const api = await labApi();
    const result = await withSettings({ 'risk.samples': 1 }, () => checkRisk(question(person('heldout', 3))));
    assert.equal(result, undefined);
    assert.match(api.lastError() ?? '', /samplingLab\.risk\.samples must be an integer from 2 to 32 \(got 1\)/);
  });

  it('refuses a temperature of 0 with a message naming samplingLab.risk.temperature', async () => {
    const api = await labApi();
    const result = await withSettings({ 'risk.temperature': 0 }, () => checkRisk(question(person('heldout', 3))));
    assert.equal(result, undefined);
    assert.match(api.lastError() ?? '', /samplingLab\.risk\.temperature must be a number above 0/);
  });

  it('refuses an empty selection or prompt with a clear message', async () => {
    const api = await labApi();
    await editorWith('   \nQ: Where was nobody born?\nA:', '   ');
    assert.equal(await checkRisk(), undefined);
    assert.match(api.lastError() ?? '', /The selection holds only whitespace\. Select some text/);
    assert.equal(await checkRisk(''), undefined);
    assert.match(api.lastError() ?? '', /The prompt is empty/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

describe('risk badges on comparison cards', function () {
  this.timeout(300_000);

  it('each card with several completions (samples > 1, best-of-N) carries a report of its shown completion against them', async () => {
    const run = await withSettings(
      { strategies: [{ kind: 'greedy' }, { kind: 'temperature', temperature: 1 }, { kind: 'best_of_n', candidates: 4 }], samples: 3 },
      () => compare(question(person('heldout', 5))),
    );
    assert.equal(run?.status, 'done', run?.error);
    assert.deepEqual(run.risks?.map((r) => [r.mainStrategy, r.samplesStrategy, r.samples]), [[1, 1, 3], [2, 2, 4]]);
    for (const r of run.risks!) assert.equal(r.answer, run.result!.results[r.mainStrategy]!.best.text);
  });
});

describe('the response cache', function () {
  this.timeout(300_000);

  it('serves a repeated risk check from the cache, marked cached, with the same result', async () => {
    const prompt = question(person('heldout', 4));
    const first = await withSettings({ 'cache.enabled': true }, () => checkRisk(prompt));
    const again = await withSettings({ 'cache.enabled': true }, () => checkRisk(prompt));
    assert.notEqual(first?.cached, true, 'the first run comes from the model');
    assert.equal(again?.cached, true, 'the repeat comes from the cache');
    assert.notEqual(again!.id, first!.id, 'a new run in history');
    assert.deepEqual(reportOf(again), reportOf(first));
    const api = await labApi();
    assert.equal(api.history().find((h) => h.id === again!.id)?.cached, true, 'history keeps the cached mark');
  });

  it('serves a repeated comparison from the cache, and not once the settings change', async () => {
    const prompt = question(person('known', 5));
    await withSettings({ 'cache.enabled': true }, async () => {
      const first = await compare(prompt);
      assert.equal(first?.status, 'done', first?.error);
      assert.notEqual(first?.cached, true);
      assert.equal((await compare(prompt))?.cached, true);
    });
    const otherSeed = await withSettings({ 'cache.enabled': true, seed: 43 }, () => compare(prompt));
    assert.notEqual(otherSeed?.cached, true, 'another seed is another run');
  });

  it('with samplingLab.cache.enabled false, a repeated run goes to the model', async () => {
    const prompt = question(person('heldout', 4));
    const run = await withSettings({ 'cache.enabled': false }, () => checkRisk(prompt));
    assert.equal(run?.status, 'done', run?.error);
    assert.notEqual(run?.cached, true);
  });
});

/**
 * A new file holding the question about `who`, selected; Check Hallucination Risk on the
 * selection; then the risk card's Insert, as the panel sends it.
 */
async function checkAndInsert(who: ['known' | 'heldout', number]) {
  const api = await labApi();
  const prompt = question(person(...who));
  const editor = await editorWith(`${prompt}\n`, prompt);
  const run = await checkRisk();
  assert.equal(run?.prompt, prompt, 'the check ran on the selected question');
  const report = reportOf(run);
  // Insert is handled asynchronously, as the panel's click is: wait for the host to be done with it.
  const inserted = nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'insert' && o.event.runId === run!.id, 30_000);
  assert.deepEqual(api.receiveFromPanel({ type: 'insert', runId: run!.id, text: report.answer, strategy: 0 }), { ok: true });
  const outcome = await inserted;
  assert.equal(outcome.error, undefined);
  return { editor, uri: editor.document.uri, report, marked: outcome.marked };
}

describe('risk marks in the editor', function () {
  this.timeout(300_000);

  it('Insert of a High answer marks it with a warning that says why; edits before it move the mark; Clear removes it', async () => {
    const { editor, uri, report } = await checkAndInsert(['heldout', 1]);
    assert.equal(report.band, 'High', report.explanation);
    const marks = await marksOf(uri, (m) => m.length > 0);
    assert.ok(marks.length >= 1, 'a diagnostic for the risky sentence');
    const mark = marks[0]!;
    assert.equal(mark.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(mark.code, 'hallucination-risk');
    assert.ok(mark.message.includes(report.explanation), mark.message);
    assert.match(mark.message, /Hallucination risk High \(\d\.\d\d\)/);
    const sentence = report.sentences.find((s) => editor.document.getText(mark.range) === s.text);
    assert.ok(sentence, `the mark covers a sentence of the answer (got ${JSON.stringify(editor.document.getText(mark.range))})`);
    assert.equal(editor.document.lineAt(1).text, `A:${report.answer}`, 'the answer went after the selection');

    // A line added above: the mark moves with its sentence.
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'Notes\n'));
    const moved = await marksOf(uri, (m) => m[0]?.range.start.line === 2);
    assert.equal(moved.length, marks.length);
    assert.equal(editor.document.getText(moved[0]!.range), sentence.text);
    assert.equal(moved[0]!.range.start.line, 2);

    await vscode.commands.executeCommand('samplingLab.clearRiskMarks');
    assert.equal(vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Sampling Lab').length, 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('a mark goes when its text is edited away', async () => {
    // The same question as above: served from the cache, marked all the same.
    const { editor, uri } = await checkAndInsert(['heldout', 1]);
    const marks = await marksOf(uri, (m) => m.length > 0);
    assert.ok(marks.length >= 1);
    await editor.edit((e) => e.delete(marks[0]!.range));
    assert.equal((await marksOf(uri, (m) => m.length < marks.length)).length, marks.length - 1);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('marks go when their document closes', async () => {
    const { uri } = await checkAndInsert(['heldout', 1]);
    assert.ok((await marksOf(uri, (m) => m.length > 0)).length > 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    assert.equal((await marksOf(uri, (m) => m.length === 0)).length, 0);
  });

  it('Insert of a Low answer marks nothing', async () => {
    const { editor, uri, report, marked } = await checkAndInsert(['known', 1]);
    assert.equal(report.band, 'Low', report.explanation);
    assert.equal(marked, 0);
    assert.equal(editor.document.lineAt(1).text, `A:${report.answer}`);
    assert.equal(vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Sampling Lab').length, 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
