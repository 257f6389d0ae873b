import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { evaluateCase, parseSuite, type CaseGeneration } from '../../src/core/prompttest';
import { failureMessages } from '../../src/extension/promptTests/testMessages';
import { EXTENSION_ID, labApi, nextEvent, until } from './extensionApi';

const workspace = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const examples = () => path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri.fsPath, 'examples', 'prompts');


describe('prompt tests in the Test Explorer', function () {
  // The first run may load the model in the webview (WASM, single thread).
  this.timeout(300_000);
  const suiteDir = () => path.join(workspace(), 'prompts');

  before(() => {
    fs.cpSync(examples(), suiteDir(), { recursive: true });
  });
  after(() => {
    fs.rmSync(suiteDir(), { recursive: true, force: true });
    fs.rmSync(path.join(workspace(), '.sampling-lab', 'cache'), { recursive: true, force: true });
  });

  it('contributes a YAML schema for *.prompttest.yaml, and activates on a workspace that has suites', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const yaml = pkg.contributes.yamlValidation as { fileMatch: string[]; url: string }[];
    assert.deepEqual(yaml[0]!.fileMatch, ['*.prompttest.yaml', '*.prompttest.yml']);
    const schemaFile = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri.fsPath, yaml[0]!.url);
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    assert.ok(schema.properties.cases, 'the schema describes cases');
    assert.ok((pkg.activationEvents as string[]).includes('workspaceContains:**/*.prompttest.yaml'));
  });

  it('lists each suite with its cases, placed at their name lines', async () => {
    const api = await labApi();
    const files = await api.promptTests.discover();
    const known = files.find((f) => f.uri.endsWith('/prompts/known-people.prompttest.yaml'));
    assert.ok(known, `found ${files.map((f) => f.label).join(', ')}`);
    assert.equal(known.label, 'prompts/known-people.prompttest.yaml');
    assert.equal(known.error, undefined);
    const text = fs.readFileSync(path.join(suiteDir(), 'known-people.prompttest.yaml'), 'utf8').split('\n');
    assert.equal(known.cases.length, 5);
    for (const c of known.cases) assert.match(text[c.line]!, new RegExp(`- name: ${c.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), `case "${c.label}" at line ${c.line + 1}`);
  });

  it('puts a mistake in a suite file in Problems at its line, and on the file in the Test Explorer', async () => {
    const api = await labApi();
    const file = path.join(suiteDir(), 'broken.prompttest.yaml');
    fs.writeFileSync(file, 'cases:\n  - name: typo\n    prompt: "Q: x\\nA:"\n    assert:\n      - type: contians\n        value: x\n');
    try {
      const uri = vscode.Uri.file(file);
      const snapshot = (await api.promptTests.discover()).find((f) => f.uri === uri.toString());
      assert.match(snapshot?.error ?? '', /1 problem in this suite/);
      const [d] = await until(() => vscode.languages.getDiagnostics(uri), (ds) => ds.length > 0, 'a diagnostic');
      assert.equal(d!.range.start.line, 4, 'line 5, where the type is');
      assert.equal(d!.severity, vscode.DiagnosticSeverity.Error);
      assert.match(d!.message, /contians/);
      assert.match(d!.message, /did you mean "contains"/i);
      // Fixing the file (here on disk) clears it.
      fs.writeFileSync(file, 'cases:\n  - name: typo\n    prompt: "Q: x\\nA:"\n    assert:\n      - type: contains\n        value: x\n');
      await until(() => vscode.languages.getDiagnostics(uri), (ds) => ds.length === 0, 'the diagnostic to clear');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('follows unsaved edits: a mistake typed into an open suite is a diagnostic, and fixing it clears it', async () => {
    const file = path.join(suiteDir(), 'typing.prompttest.yaml');
    fs.writeFileSync(file, 'cases:\n  - name: typed\n    prompt: "Q: x\\nA:"\n    assert:\n      - type: contains\n        value: x\n');
    const uri = vscode.Uri.file(file);
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const typeLine = doc.lineAt(4);
      const at = new vscode.Range(4, typeLine.text.indexOf('contains'), 4, typeLine.text.length);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, at, 'containz');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const [d] = await until(() => vscode.languages.getDiagnostics(uri), (ds) => ds.length > 0, 'a diagnostic for the unsaved typo');
      assert.equal(d!.range.start.line, 4);
      assert.match(d!.message, /containz/);
      assert.ok(doc.isDirty, 'nothing was saved');
      const fix = new vscode.WorkspaceEdit();
      fix.replace(uri, at, 'contains');
      assert.ok(await vscode.workspace.applyEdit(fix));
      await until(() => vscode.languages.getDiagnostics(uri), (ds) => ds.length === 0, 'the diagnostic to clear');
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      fs.rmSync(file, { force: true });
    }
  });

  it('runs the suites on the bundled model: the known people pass, the held-out ones fail where designed', async () => {
    const api = await labApi();
    const files = await api.promptTests.discover();
    const ids = files.filter((f) => f.uri.includes('/prompts/') && !f.uri.endsWith('broken.prompttest.yaml')).map((f) => f.uri);
    assert.equal(ids.length, 2);
    const summary = await api.promptTests.run(ids);
    assert.deepEqual({ ...summary, cached: 0 }, { passed: 6, failed: 2, errored: 0, skipped: 0, cached: 0 }, api.lastError());
    // Unchanged cases come from the cache the second time: no model needed for their outputs.
    const again = await api.promptTests.run(ids);
    assert.equal(again.cached, 8);
    assert.equal(again.passed, 6);
    assert.equal(again.failed, 2);
    assert.ok(fs.readdirSync(path.join(workspace(), '.sampling-lab', 'cache', 'prompttest')).length >= 8);
  });

  it('runs one case by its id', async () => {
    const api = await labApi();
    const known = (await api.promptTests.discover()).find((f) => f.uri.endsWith('known-people.prompttest.yaml'))!;
    const summary = await api.promptTests.run([known.cases[0]!.id]);
    assert.equal(summary.passed + summary.failed + summary.errored + summary.skipped, 1);
    assert.equal(summary.passed, 1);
  });

  it('cancelling (Testing view or Sampling Lab: Stop) stops the case in progress and skips the rest', async () => {
    const api = await labApi();
    const file = path.join(suiteDir(), 'slow.prompttest.yaml');
    // T = 5 flattens the distribution, so EOS is rare and each case decodes for long.
    const slow = (n: number) => `  - name: slow ${n}\n    settings: { kind: temperature, temperature: 5 }\n    repeat: 32\n    max_tokens: 200\n    seed: ${n}\n    prompt: "Tell me about"\n    assert:\n      - type: not-contains\n        value: zzzz\n`;
    fs.writeFileSync(file, `cases:\n${slow(1)}${slow(2)}${slow(3)}`);
    try {
      const uri = vscode.Uri.file(file).toString();
      await api.promptTests.discover();
      // From the Testing view (its run's token), and with "Sampling Lab: Stop".
      for (const stop of ['token', 'command'] as const) {
        const cts = new vscode.CancellationTokenSource();
        const started = Date.now();
        const firstCase = nextEvent(api.promptTests.onDidStartCase, () => true, 120_000);
        const running = api.promptTests.run([uri], cts.token);
        // The case has started: 32 runs of up to 200 tokens at T = 5 take seconds, so this is mid-case.
        await firstCase;
        if (stop === 'token') cts.cancel();
        else await vscode.commands.executeCommand('samplingLab.stop');
        const summary = await running;
        assert.equal(summary.skipped, 3, `${stop}: ${JSON.stringify(summary)}`);
        assert.ok(Date.now() - started < 30_000, `${stop}: stopped after ${Date.now() - started} ms`);
      }
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('places a failure in the YAML: the summary at the name, each failed assertion at its line, equals as a diff', () => {
    const suite = parseSuite('cases:\n  - name: city\n    repeat: 2\n    prompt: "Q: x\\nA:"\n    assert:\n      - type: equals\n        value: " Belcastro."\n      - type: max-tokens\n        value: 10\n');
    const c = suite.cases[0]!;
    // Outputs as the decode loop returns them: two runs, one right and one wrong.
    const generation: CaseGeneration = {
      runs: [
        { text: ' Belcastro.', tokenLogprobs: [-0.1, -0.2], meanLogprob: -0.15, seed: 42, finishReason: 'eos' },
        { text: ' Jorvale.', tokenLogprobs: [-1.1, -0.2], meanLogprob: -0.65, seed: 43, finishReason: 'eos' },
      ],
      deterministic: false,
      riskSamples: {},
    };
    const result = evaluateCase(c, generation);
    assert.equal(result.pass, false);
    const uri = vscode.Uri.file('/ws/city.prompttest.yaml');
    const [head, equals, ...rest] = failureMessages(c, result, uri);
    assert.equal(rest.length, 0, 'max-tokens held in every run: no message for it');
    assert.equal(head!.location!.range.start.line, 1);
    assert.match(String(head!.message), /^city: 1\/2 runs passed \(50%\)/);
    assert.equal(equals!.location!.range.start.line, 5);
    assert.equal(equals!.expectedOutput, ' Belcastro.');
    assert.equal(equals!.actualOutput, ' Jorvale.');
    assert.match(String(equals!.message), /held in 1\/2 runs \(50%\)[\s\S]*Run 2: [\s\S]*Output: " Jorvale\."/);
  });
});
