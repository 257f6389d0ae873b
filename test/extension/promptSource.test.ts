/**
 * Prompts taken from code: a selection (or the cursor) inside a string literal of a TS or Python
 * file sends the literal's value, escapes decoded and parts joined, and the run records that it
 * came from a literal; plain text is sent as written.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/protocol/messages';
import { labApi, nextEvent, until, useSettingsInSuite } from './extensionApi';

const extensions: Record<string, string> = { typescript: 'ts', python: 'py', plaintext: 'txt' };
let folder: string;
let files = 0;

/**
 * Each test gets a file of its own: untitled documents reuse names (Untitled-1) and, closed and
 * reopened quickly, one test could read the previous test's editor as the active one.
 */
async function editorWith(language: string, content: string, select: string, whole = false): Promise<vscode.TextEditor> {
  const file = path.join(folder, `prompt-${++files}.${extensions[language]}`);
  fs.writeFileSync(file, content);
  let document = await vscode.workspace.openTextDocument(file);
  // The language follows the extension when the built-in grammar is there; set it when it is not.
  if (document.languageId !== language) document = await vscode.languages.setTextDocumentLanguage(document, language);
  const editor = await vscode.window.showTextDocument(document);
  await until(() => vscode.window.activeTextEditor?.document, (d) => d === document, `${path.basename(file)} is the active editor`);
  const start = content.indexOf(select);
  assert.ok(start >= 0, `the fixture holds ${select}`);
  const a = document.positionAt(start);
  editor.selection = new vscode.Selection(a, whole ? document.positionAt(start + select.length) : a);
  return editor;
}

async function compareHere(): Promise<RunRecord> {
  const api = await labApi();
  const run = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection');
  assert.ok(run, `the run returned a record (last error: ${api.lastError()})`);
  assert.equal(run.status, 'done', run.error);
  return run;
}

describe('prompts from string literals', function () {
  this.timeout(300_000);
  useSettingsInSuite({ strategies: [{ kind: 'greedy' }], maxNewTokens: 2, 'cache.enabled': false });
  before(() => { folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-prompt-source-')); });
  after(() => fs.rmSync(folder, { recursive: true, force: true }));
  // Revert first: an edited editor would otherwise stay open behind a Save? prompt, and the next test read its selection.
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a selection of the inside of a TS string sends its decoded value', async () => {
    await editorWith('typescript', 'export const birthplace = "Q: Where was Kawe Steiga born?\\nA:";\n', 'Q: Where was Kawe Steiga born?\\nA:', true);
    const run = await compareHere();
    assert.equal(run.prompt, 'Q: Where was Kawe Steiga born?\nA:', 'a newline, not a backslash and an n');
    assert.equal(run.promptSource, 'string-literal');
    assert.ok((await labApi()).history().some((r) => r.id === run.id && r.promptSource === 'string-literal'), 'history keeps where the prompt came from');
  });

  it('the cursor inside a multi-line template concatenation sends the joined value, no input box', async () => {
    const content = ['export const birthplace =', '  `Q: Where was Kawe Steiga born?\\n` +', "  'A:';", ''].join('\n');
    await editorWith('typescript', content, 'Kawe');
    const run = await compareHere();
    assert.equal(run.prompt, 'Q: Where was Kawe Steiga born?\nA:');
  });

  it('the cursor inside a Python implicit concatenation sends the joined value', async () => {
    const content = ['PROMPT = (', '    "Q: Where was Kawe Steiga born?\\n"', "    r'A:'", ')', ''].join('\n');
    await editorWith('python', content, 'Kawe');
    const run = await compareHere();
    assert.equal(run.prompt, 'Q: Where was Kawe Steiga born?\nA:');
    assert.equal(run.promptSource, 'string-literal');
  });

  it('a selection of only whitespace says to select some text, before any model work', async () => {
    const api = await labApi();
    await editorWith('plaintext', 'Q: x?\n   \t \nA:', '   \t ', true);
    const started = api.history().length;
    assert.equal(await vscode.commands.executeCommand('samplingLab.compareSelection'), undefined);
    assert.match(api.lastError() ?? '', /only whitespace\. Select some text/);
    assert.equal(api.history().length, started, 'no run was made');
  });

  it('Insert after whole selected lines keeps the blank line that followed them', async () => {
    const api = await labApi();
    const editor = await editorWith('plaintext', 'Q: Where was Kawe Steiga born?\nA:\n\nNext paragraph.\n', 'Q:');
    // Lines 1-2 with their line break, as a triple click and shift+down select them.
    editor.selection = new vscode.Selection(new vscode.Position(0, 0), new vscode.Position(2, 0));
    const run = await compareHere();
    const handled = nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'insert', 30_000);
    api.receiveFromPanel({ type: 'insert', runId: run.id, text: ' Belcastro.', strategy: 0 });
    assert.equal((await handled).error, undefined);
    assert.equal(editor.document.getText(), 'Q: Where was Kawe Steiga born?\nA: Belcastro.\n\nNext paragraph.\n');
  });

  it('a selection of plain text is sent as written', async () => {
    await editorWith('plaintext', 'Q: a backslash-n \\n stays here\nA:', 'Q: a backslash-n \\n stays here', true);
    const run = await compareHere();
    assert.equal(run.prompt, 'Q: a backslash-n \\n stays here');
    assert.equal(run.promptSource, undefined);
  });
});
