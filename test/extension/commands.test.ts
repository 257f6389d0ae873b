import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, labApi } from './extensionApi';

const COMMANDS = [
  'samplingLab.compareSelection',
  'samplingLab.sampleWithSettings',
  'samplingLab.selectModel',
  'samplingLab.stop',
  'samplingLab.showLog',
];

describe('commands', () => {
  before(async () => {
    await labApi();
  });

  it('registers every Sampling Lab command, and no stub for Check Hallucination Risk', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of COMMANDS) assert.ok(all.includes(id), `${id} is registered`);
    assert.ok(!all.some((id) => /hallucination/i.test(id)), 'no hallucination-risk command yet');
  });

  it('contributes each command under the "Sampling Lab" category', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const contributed = pkg.contributes.commands as { command: string; category: string }[];
    assert.deepEqual(contributed.map((c) => c.command).sort(), [...COMMANDS].sort());
    for (const c of contributed) assert.equal(c.category, 'Sampling Lab', c.command);
  });

  it('offers the selection-based commands in the editor context menu when text is selected, with keybindings', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const menu = pkg.contributes.menus['editor/context'] as { command: string; when: string }[];
    const keys = pkg.contributes.keybindings as { command: string }[];
    for (const id of ['samplingLab.compareSelection', 'samplingLab.sampleWithSettings']) {
      assert.equal(menu.find((m) => m.command === id)?.when, 'editorHasSelection', id);
      assert.ok(keys.some((k) => k.command === id), `${id} has a keybinding`);
    }
  });

  it('Stop with nothing running does nothing and does not fail', async () => {
    await vscode.commands.executeCommand('samplingLab.stop');
    await vscode.commands.executeCommand('samplingLab.showLog');
  });
});
