/**
 * Peak memory while a large model loads into the panel (`npm run bench -- memory`): for each hub
 * model the launcher names (already in the Hugging Face cache; the host is offline), the panel is
 * first on the bundled model, then Select Model loads the large one. Around each load the suite
 * asks the launcher (bench/memory.ts, which sees the console) to reset and then read the peak RSS
 * of every process of the editor and browser: the extension host, code-server, Chromium's renderers.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoadedModel } from '../../src/extension/modelSession';
import { askLauncher, labApi, useSettingsInSuite } from '../extension/extensionApi';

const MODELS = (process.env.SAMPLING_LAB_MEMORY_MODELS ?? '').split(',').filter(Boolean);
const OUT_DIR = process.env.SAMPLING_LAB_MEMORY_DIR ?? '';

/** Asks the launcher to take a mark, and waits until it has. */
async function mark(label: string): Promise<void> {
  const file = path.join(OUT_DIR, `${label}.json`);
  await askLauncher(`MEMORY-MARK ${label} ${file}`, file);
}

describe('peak memory while a large model loads', function () {
  this.timeout(0);
  useSettingsInSuite({ 'cache.enabled': false, device: 'wasm', dtype: 'fp32' });
  assert.ok(OUT_DIR && MODELS.length > 0, 'run through npm run bench -- memory');

  MODELS.forEach((model, i) => {
    it(`loads ${model}`, async () => {
      const small = await vscode.commands.executeCommand<LoadedModel | undefined>('samplingLab.selectModel', { model: 'facts-lm' });
      assert.equal(small?.name, 'facts-lm');
      await mark(`before-${i}`);
      const started = Date.now();
      const loaded = await vscode.commands.executeCommand<LoadedModel | undefined>('samplingLab.selectModel', { model });
      const seconds = (Date.now() - started) / 1000;
      // Select Model shows its error rather than throwing: name it here, or the bench says only "undefined".
      if (!loaded) assert.fail(`Select Model loaded nothing: ${(await labApi()).lastError() ?? 'no error shown'}; state ${JSON.stringify((await labApi()).modelState())}`);
      assert.equal(loaded.name, model);
      assert.equal(loaded?.dtype, 'fp32');
      fs.writeFileSync(path.join(OUT_DIR, `load-${i}.json`), JSON.stringify({ seconds, backend: loaded?.backend, hostServedBytes: loaded?.hostServedBytes ?? 0 }));
      await mark(`after-${i}`);
    });
  });
});
