/**
 * "Sampling Lab: Select Model…": the bundled model or a model folder on disk. The pick is
 * written to `samplingLab.model` (user settings), the old model is released and the new one
 * loaded, so a bad folder is reported now rather than on the next run.
 */
import * as vscode from 'vscode';
import type { ModelSession, LoadedModel } from '../modelSession';
import { BUNDLED_MODEL, resolveModelChoice } from '../modelChoice';
import { readSettings, updateUserSetting } from '../settings';

export interface SelectModelArgs {
  /** Skips the pickers: "facts-lm" or a folder path (tests). */
  model?: string;
}

export async function selectModel(session: ModelSession, extensionUri: vscode.Uri, args: SelectModelArgs = {}): Promise<LoadedModel | undefined> {
  const model = args.model ?? (await pickModel());
  if (model === undefined) return undefined;
  // Check the folder before touching settings: a wrong pick must not replace a good one.
  resolveModelChoice(model, extensionUri, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  // Read back only once the new value is visible here: else the old model loads, and the late
  // change event then releases it.
  await updateUserSetting('model', model);
  await session.unload('another model was picked');
  const settings = readSettings();
  return session.ensureLoaded(settings.model, settings.device);
}

async function pickModel(): Promise<string | undefined> {
  const current = readSettings().model;
  const items: (vscode.QuickPickItem & { model?: string })[] = [
    { label: `$(package) ${BUNDLED_MODEL}`, description: 'bundled with the extension', model: BUNDLED_MODEL },
    { label: '$(folder-opened) Model folder on disk…', detail: 'A folder with config.json, tokenizer.json and onnx/model.onnx' },
  ];
  if (current !== BUNDLED_MODEL) items.splice(1, 0, { label: `$(folder) ${current}`, description: 'current', model: current });
  const picked = await vscode.window.showQuickPick(items, { title: 'Sampling Lab: Select Model', placeHolder: `Current: ${current}` });
  if (!picked) return undefined;
  if (picked.model) return picked.model;
  const folders = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Use this model',
    title: 'A model folder (config.json, tokenizer.json, onnx/model.onnx)',
  });
  return folders?.[0]?.fsPath;
}
