import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readRiskSettings, readSettings, readThreadsSetting, SettingsError, type SettingsSource } from '../../src/extension/settings';
import { labApi, withSettings } from './extensionApi';

/** A configuration holding `values` over the defaults package.json declares. */
function config(values: Record<string, unknown>): SettingsSource {
  const defaults = vscode.workspace.getConfiguration('samplingLab');
  return {
    get: <T>(key: string, fallback?: T) => (key in values ? values[key] : defaults.inspect(key)?.defaultValue ?? fallback) as T,
  } as SettingsSource;
}

function settingOf(values: Record<string, unknown>, read: (c: SettingsSource) => unknown = readSettings): string {
  try {
    read(config(values));
  } catch (e) {
    assert.ok(e instanceof SettingsError, `a SettingsError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.ok(e.message.includes(e.setting), `the message "${e.message}" names ${e.setting}`);
    return e.setting;
  }
  assert.fail('the settings were accepted');
}

describe('settings', () => {
  it('the defaults give at least five strategies, greedy first, with unique names', () => {
    const s = readSettings(config({}));
    assert.ok(s.strategies.length >= 5);
    assert.equal(s.strategies[0]!.kind, 'greedy');
    assert.equal(new Set(s.strategies.map((x) => x.name)).size, s.strategies.length);
    assert.deepEqual(s.options, { samples: 1, maxNewTokens: 24, seed: 42 });
    assert.equal(s.device, 'auto');
  });

  it('dtype, prompt format, system prompt and hub settings: read, checked, and put in run options only when set', () => {
    const defaults = readSettings(config({}));
    assert.equal(defaults.dtype, 'auto');
    assert.deepEqual(defaults.hub, { endpoint: undefined, cacheDir: undefined });
    const chat = readSettings(config({ dtype: 'q4f16', promptFormat: 'chat', systemPrompt: 'Be brief.', 'hub.endpoint': ' http://127.0.0.1:9/ ', 'hub.cacheDir': '/tmp/hf' }));
    assert.equal(chat.dtype, 'q4f16');
    assert.deepEqual(chat.options, { samples: 1, maxNewTokens: 24, seed: 42, chat: true, system: 'Be brief.' });
    assert.deepEqual(chat.hub, { endpoint: 'http://127.0.0.1:9/', cacheDir: '/tmp/hf' });
    // Raw drops the system message: it only exists inside a chat template.
    assert.deepEqual(readSettings(config({ promptFormat: 'raw', systemPrompt: 'Be brief.' })).options, { samples: 1, maxNewTokens: 24, seed: 42, chat: false });
    assert.equal(settingOf({ dtype: 'int3' }), 'samplingLab.dtype');
    assert.equal(settingOf({ promptFormat: 'template' }), 'samplingLab.promptFormat');
  });

  it('threads: auto by default (package.json), a number as given, anything else named', () => {
    assert.equal(readThreadsSetting(config({})), 'auto');
    assert.equal(readThreadsSetting(config({ threads: 3 })), 3);
    for (const bad of [0, 2.5, 'four', 300]) assert.equal(settingOf({ threads: bad }, readThreadsSetting), 'samplingLab.threads', String(bad));
  });

  it('a strategy parameter out of range is reported with its full setting path', () => {
    assert.equal(settingOf({ strategies: [{ kind: 'greedy' }, { kind: 'top_p', topP: 1.5 }] }), 'samplingLab.strategies[1].topP');
    assert.equal(settingOf({ strategies: [{ kind: 'nucleus' }] }), 'samplingLab.strategies[0].kind');
    assert.equal(settingOf({ strategies: [] }), 'samplingLab.strategies');
  });

  it('scalar settings outside their schema range name themselves', () => {
    assert.equal(settingOf({ device: 'cuda' }), 'samplingLab.device');
    assert.equal(settingOf({ maxNewTokens: 0 }), 'samplingLab.maxNewTokens');
    assert.equal(settingOf({ samples: 2.5 }), 'samplingLab.samples');
    assert.equal(settingOf({ seed: -1 }), 'samplingLab.seed');
    assert.equal(settingOf({ model: 42 }), 'samplingLab.model');
    assert.equal(settingOf({ 'cache.enabled': 'yes' }), 'samplingLab.cache.enabled');
  });

  it('the risk check defaults to 8 samples at T = 1 with the cache on; N < 2 and T ≤ 0 name their setting', () => {
    assert.deepEqual(readRiskSettings(config({})), { samples: 8, temperature: 1 });
    assert.equal(readSettings(config({})).cacheEnabled, true);
    assert.equal(settingOf({ 'risk.samples': 1 }, readRiskSettings), 'samplingLab.risk.samples');
    assert.equal(settingOf({ 'risk.samples': 33 }, readRiskSettings), 'samplingLab.risk.samples');
    assert.equal(settingOf({ 'risk.temperature': 0 }, readRiskSettings), 'samplingLab.risk.temperature');
    assert.equal(settingOf({ 'risk.temperature': 'hot' }, readRiskSettings), 'samplingLab.risk.temperature');
    // A bad risk setting does not stop comparisons.
    assert.doesNotThrow(() => readSettings(config({ 'risk.samples': 1 })));
  });

  it('a command run with an invalid setting shows a message naming it and does not crash', async () => {
    const api = await labApi();
    const result = await withSettings({ strategies: [{ kind: 'top_k', topK: 0 }] }, () =>
      vscode.commands.executeCommand('samplingLab.compareSelection', { prompt: 'Q: Where was Ada Lovelace born?\nA:' }),
    );
    assert.equal(result, undefined);
    assert.match(api.lastError() ?? '', /samplingLab\.strategies\[0\]\.topK/);
    // Still alive: its commands answer.
    await vscode.commands.executeCommand('samplingLab.stop');
  });

  it('a model folder that does not exist is reported by Select Model, and the setting is kept', async () => {
    const api = await labApi();
    const before = vscode.workspace.getConfiguration('samplingLab').get('model');
    const result = await vscode.commands.executeCommand('samplingLab.selectModel', { model: '/nonexistent/model-folder' });
    assert.equal(result, undefined);
    assert.match(api.lastError() ?? '', /nonexistent\/model-folder/);
    assert.equal(vscode.workspace.getConfiguration('samplingLab').get('model'), before);
  });
});
