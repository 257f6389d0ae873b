/**
 * The extension's per-model risk calibrations: stored in global storage by model fingerprint
 * (so one calibration serves every workspace that uses the model; an endpoint's by its server and
 * model id), found for the model a run uses, and never borrowed from another model.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Calibration } from '../core/consistency';
import { CalibrationStore } from '../node/calibrationStore';
import { normalizeBaseUrl } from '../node/engines/remote/dialects';
import { modelFingerprint } from '../node/modelFingerprint';
import { isGgufPath } from '../node/engines/llamacpp/llamaCppModel';
import { resolveGguf } from './engines/ggufEngines';
import { endpointName, selectedEndpoint, type EndpointSetting } from './endpoints';
import { resolveModelChoice, type ModelChoice } from './modelChoice';

/**
 * An endpoint's calibration key: its server and model id, not its name, so an endpoint renamed
 * keeps its fit and one pointed at another server or model starts uncalibrated.
 */
export function endpointFingerprint(endpoint: Pick<EndpointSetting, 'baseUrl' | 'model'>): string {
  return `endpoint-${createHash('sha256').update(`${normalizeBaseUrl(endpoint.baseUrl).href}|${endpoint.model}`).digest('hex').slice(0, 16)}`;
}

/** How an endpoint's calibration names its model: the server's model id and the endpoint. */
export function endpointCalibrationName(endpoint: Pick<EndpointSetting, 'name' | 'model'>): string {
  return `${endpoint.model} (endpoint ${endpoint.name})`;
}

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
      const endpoint = endpointName(model) !== undefined ? selectedEndpoint(model) : undefined;
      // A GGUF file is keyed by its own fingerprint, as `sampling-lab risk --model file.gguf` keys it.
      if (isGgufPath(model)) return this.store.get(resolveGguf(model).fingerprint);
      return this.store.get(endpoint ? endpointFingerprint(endpoint) : this.fingerprintOf(this.choiceFor(model)));
    } catch (e) {
      this.log.warn(`Risk calibration for ${model}: ${(e as Error).message}`);
      return undefined;
    }
  }
}
