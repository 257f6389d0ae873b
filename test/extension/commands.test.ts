import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, labApi } from './extensionApi';

const COMMANDS = [
  'samplingLab.compareSelection',
  'samplingLab.compareModels',
  'samplingLab.sampleWithSettings',
  'samplingLab.checkRisk',
  'samplingLab.clearRiskMarks',
  'samplingLab.calibrateRisk',
  'samplingLab.generateJson',
  'samplingLab.selectModel',
  'samplingLab.setHubToken',
  'samplingLab.addEndpoint',
  'samplingLab.setEndpointApiKey',
  'samplingLab.stop',
  'samplingLab.showLog',
  'samplingLab.showAnatomy',
  'samplingLab.preferences.refresh',
  'samplingLab.preferences.chooseScorer',
  'samplingLab.preferences.export',
  'samplingLab.preferences.openFile',
  'samplingLab.exportRun',
  'samplingLab.exportHistory',
  'samplingLab.deleteRun',
  'samplingLab.clearHistory',
];

describe('commands', () => {
  before(async () => {
    await labApi();
  });

  it('registers every Sampling Lab command, Check Hallucination Risk and Clear Hallucination Risk Marks included', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of COMMANDS) assert.ok(all.includes(id), `${id} is registered`);
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const titles = Object.fromEntries((pkg.contributes.commands as { command: string; title: string }[]).map((c) => [c.command, c.title]));
    assert.equal(titles['samplingLab.checkRisk'], 'Check Hallucination Risk');
    assert.equal(titles['samplingLab.clearRiskMarks'], 'Clear Hallucination Risk Marks');
    assert.equal(titles['samplingLab.calibrateRisk'], 'Calibrate Hallucination Risk…');
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
    for (const id of ['samplingLab.compareSelection', 'samplingLab.sampleWithSettings', 'samplingLab.checkRisk']) {
      assert.equal(menu.find((m) => m.command === id)?.when, 'editorHasSelection', id);
      assert.ok(keys.some((k) => k.command === id), `${id} has a keybinding`);
    }
  });

  it("gives each keybinding its own keys, on every platform", () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const keys = pkg.contributes.keybindings as { command: string; key: string; mac?: string }[];
    for (const platform of ['key', 'mac'] as const) {
      const chords = keys.map((k) => k[platform] ?? k.key);
      assert.equal(new Set(chords).size, chords.length, `${platform}: ${chords.join(', ')}`);
    }
  });

  it('Stop with nothing running does nothing and does not fail', async () => {
    await vscode.commands.executeCommand('samplingLab.stop');
    await vscode.commands.executeCommand('samplingLab.showLog');
  });
});
