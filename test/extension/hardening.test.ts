/**
 * Issue 12 in the real extension host: model folders served to the webview stay inside the
 * folder, model paths resolve the way their author meant, and prompt test suites are read
 * without synchronous reads and without leaving the workspace.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readModelFile, resolveModelChoice } from '../../src/extension/modelChoice';
import { EXTENSION_ID, labApi } from './extensionApi';

describe('hardening: model folders and suites in the extension host', function () {
  this.timeout(120_000);
  let extensionUri: vscode.Uri;
  let tmp: string;
  before(() => {
    extensionUri = vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri;
  });
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ext-hardening-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A copy of the bundled model in `tmp/model`. */
  function modelCopy(): string {
    const dir = path.join(tmp, 'model');
    fs.cpSync(path.join(extensionUri.fsPath, 'models', 'facts-lm'), dir, { recursive: true });
    return dir;
  }

  it('hardening: a symlink inside a model folder that points outside is not served to the webview', async () => {
    const dir = modelCopy();
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'TOP-SECRET');
    fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(dir, 'tokenizer_extra.json'));
    const choice = resolveModelChoice(dir, extensionUri);
    await assert.rejects(readModelFile(choice, 'tokenizer_extra.json'), (e: Error & { status?: number }) => e.status === 403 && /outside the model folder/.test(e.message) && !/TOP-SECRET/.test(e.message));
    await assert.rejects(readModelFile(choice, '../secret.txt'), (e: Error & { status?: number }) => e.status === 403);
    // Its own files are served, a symlink to one of them too.
    fs.symlinkSync(path.join(dir, 'config.json'), path.join(dir, 'config_link.json'));
    assert.deepEqual(JSON.parse(Buffer.from(await readModelFile(choice, 'config_link.json')).toString('utf8')), JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')));
  });

  it('hardening: a model folder setting with a trailing slash serves its files', async () => {
    const dir = modelCopy();
    const choice = resolveModelChoice(`${dir}/`, extensionUri);
    assert.equal(choice.dir, dir);
    const config = await readModelFile(choice, 'config.json');
    assert.ok(config.byteLength > 10);
  });

  it('hardening: a relative model path from user settings is refused, not resolved against the open workspace', () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    // Not in this workspace's settings, so it is the user's (setting it would also reload the panel's model).
    assert.equal(vscode.workspace.getConfiguration('samplingLab').inspect('model')?.workspaceValue, undefined);
    assert.throws(() => resolveModelChoice('./models/facts-lm', extensionUri, root), /samplingLab\.model "\.\/models\/facts-lm" is a relative path in your user settings/);
    // Spelled owner/name, it is a hub id from user settings: never a folder of the open workspace.
    const hub = resolveModelChoice('models/facts-lm', extensionUri, root);
    assert.equal(hub.kind, 'hub');
    assert.equal(hub.dir, '');
    // ".." is never the bundled folder's parent (the extension itself).
    assert.throws(() => resolveModelChoice('..', extensionUri, undefined), /relative path in your user settings/);
  });

  it('hardening: a suite naming a file outside the workspace shows the rule at its line, never the content', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const outside = path.join(tmp, 'secret-prompt.txt');
    fs.writeFileSync(outside, 'TOP-SECRET-PROMPT');
    const suite = path.join(root, 'hardening-outside.prompttest.yaml');
    fs.writeFileSync(suite, `cases:\n  - name: outside\n    prompt_file: ${JSON.stringify(outside)}\n    assert:\n      - type: contains\n        value: x\n`);
    try {
      const api = await labApi();
      const files = await api.promptTests.discover();
      const file = files.find((f) => f.uri === vscode.Uri.file(suite).toString());
      assert.ok(file, 'the suite is listed');
      assert.deepEqual(file.cases, []);
      assert.match(file.error ?? '', /is outside the workspace/);
      const diagnostics = vscode.languages.getDiagnostics(vscode.Uri.file(suite));
      assert.equal(diagnostics.length, 1);
      assert.equal(diagnostics[0]!.range.start.line, 2);
      assert.doesNotMatch(diagnostics[0]!.message, /TOP-SECRET/);
    } finally {
      fs.rmSync(suite, { force: true });
    }
  });
});
