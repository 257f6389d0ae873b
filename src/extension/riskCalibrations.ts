/**
 * The extension's per-model risk calibrations: stored in global storage by model fingerprint
 * (so one calibration serves every workspace that uses the model), found for the model a run
 * uses, and never borrowed from another model.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Calibration } from '../core/consistency';
import { CalibrationStore } from '../node/calibrationStore';
import { modelFingerprint } from '../node/modelFingerprint';
import { resolveModelChoice, type ModelChoice } from './modelChoice';

export class RiskCalibrations {
  readonly store: CalibrationStore;

  constructor(
    globalStorage: vscode.Uri,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.store = new CalibrationStore(path.join(globalStorage.fsPath, 'risk-calibration'));
  }

  choiceFor(model: string): ModelChoice {
    return resolveModelChoice(model, this.extensionUri, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  }

  fingerprintOf(choice: ModelChoice): string {
    return modelFingerprint({ kind: 'folder', id: choice.name, dir: choice.dir });
  }

  /**
   * The model's calibration, or undefined (uncalibrated). A broken stored file is logged and the
   * model is treated as uncalibrated: the run still shows its raw parts.
   */
  forModel(model: string): Calibration | undefined {
    try {
      return this.store.get(this.fingerprintOf(this.choiceFor(model)));
    } catch (e) {
      this.log.warn(`Risk calibration for ${model}: ${(e as Error).message}`);
      return undefined;
    }
  }
}
