/**
 * Calibrate Hallucination Risk… in the real extension host: a model without a calibration shows
 * "uncalibrated" (never facts-lm's bands); calibrating it from a labelled file stores the fit by
 * the model's fingerprint, and the next check on that model, even one served from the response
 * cache, shows a band under the new calibration.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Calibration } from '../../src/core/consistency';
import type { RunRecord } from '../../src/protocol/messages';
import { writeCalibrationSet } from './calibrationSet';
import { EXTENSION_ID, labApi, withSettings } from './extensionApi';

describe('Calibrate Hallucination Risk…', function () {
  this.timeout(600_000);

  it('turns an uncalibrated model into a calibrated one, by fingerprint, from a labelled JSONL file', async () => {
    await labApi();
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri.fsPath;
    const bundled = path.join(root, 'models', 'facts-lm');
    // The same weights under another config: another model as far as fingerprints go.
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cal-')), 'other-model');
    fs.cpSync(bundled, dir, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, _name_or_path: 'other-model' }));
    const { set, probe } = writeCalibrationSet(path.dirname(dir));

    await withSettings({ model: dir, 'risk.samples': 4 }, async () => {
      const before = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.checkRisk', { prompt: probe });
      const first = before?.risks?.[0];
      assert.ok(first, before?.error);
      assert.equal(first.band, 'uncalibrated', 'a model without its own calibration gets no band');
      assert.equal(first.calibration, undefined);

      const calibration = await vscode.commands.executeCommand<Calibration | undefined>('samplingLab.calibrateRisk', { file: set });
      assert.ok(calibration, (await labApi()).lastError());
      assert.equal(calibration.model.name, 'other-model');
      assert.deepEqual(calibration.meta.rows, { wrong: 6, right: 6 });

      const after = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.checkRisk', { prompt: probe });
      const second = after?.risks?.[0];
      assert.ok(second, after?.error);
      assert.ok(['Low', 'Medium', 'High'].includes(second.band), second.band);
      assert.equal(second.calibration?.model, 'other-model');
    });
  });
});
