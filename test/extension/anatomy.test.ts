import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AnatomySummary } from '../../src/extension/commands/showAnatomy';
import { labApi, withSettings } from './extensionApi';

describe('Show Model Anatomy', () => {
  before(async () => {
    await labApi();
  });

  it('is registered and shows the bundled model by component, the counts summing to its total', async () => {
    assert.ok((await vscode.commands.getCommands(true)).includes('samplingLab.showAnatomy'));
    const summary = (await vscode.commands.executeCommand('samplingLab.showAnatomy')) as AnatomySummary | undefined;
    assert.ok(summary, 'the command returned its summary');
    assert.equal(summary.model, 'facts-lm');
    assert.equal(summary.totalParameters, 1_843_392, "the model card's parameter count");
    assert.equal(summary.components.reduce((s, c) => s + c.parameters, 0), summary.totalParameters);
    assert.deepEqual(summary.components.map((c) => c.component), ['embedding', 'attention', 'mlp', 'norms', 'outputHead', 'other']);
    assert.equal(summary.chinchillaTokens, 20 * 1_843_392);
    assert.equal(summary.trainingTokens, 1_382_739, "the model card's training_tokens");
  });

  it('on an endpoint, says that a server does not share its weights and what to select instead; nothing is shown', async () => {
    const summary = await withSettings({ model: 'endpoint:gpu-box' }, () => vscode.commands.executeCommand<AnatomySummary | undefined>('samplingLab.showAnatomy'));
    assert.equal(summary, undefined);
    assert.match((await labApi()).lastError() ?? '', /endpoint gpu-box runs its model on a server.*Select Model/);
  });
});
