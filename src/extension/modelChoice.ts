/**
 * `samplingLab.model` → where the panel loads the model from. The bundled model is fetched by
 * the webview from the extension's models folder; a folder on disk is served file by file by
 * the host (the webview may only read the extension's own folders).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUNDLED_MODEL, checkModelFolder, modelFingerprint } from '../node/modelFolder';
import type { DevicePreference, ModelSpec } from '../protocol/messages';

export interface ModelChoice {
  name: string;
  kind: 'bundled' | 'folder';
  /** The model folder on disk. */
  dir: string;
  /** What the folder holds, by content (modelFingerprint): a model replaced in place is another model. */
  fingerprint: string;
}

export { BUNDLED_MODEL };

/** Resolves and checks the setting; throws a ModelLoadError naming the missing file. */
export function resolveModelChoice(setting: string, extensionUri: vscode.Uri, workspaceRoot?: string): ModelChoice {
  const value = setting.trim() || BUNDLED_MODEL;
  const bundledDir = path.join(extensionUri.fsPath, 'models', value);
  // The bundled name always means the bundled folder, so a missing bundle is reported as such.
  const isBundledName = !value.includes('/') && !value.includes('\\') && (value === BUNDLED_MODEL || fs.existsSync(bundledDir));
  const dir = isBundledName ? bundledDir : resolveFolder(value, workspaceRoot);
  checkModelFolder(dir);
  return { name: path.basename(dir), kind: isBundledName ? 'bundled' : 'folder', dir, fingerprint: modelFingerprint(dir) };
}

/** The key of a loaded model: what it is (by content), where it is read from, and on which device. */
export function modelKey(choice: ModelChoice, device: DevicePreference): string {
  return `${choice.fingerprint}|${choice.dir}|${device}`;
}

export function modelSpecFor(choice: ModelChoice, webview: vscode.Webview, extensionUri: vscode.Uri): ModelSpec {
  if (choice.kind === 'bundled') {
    const models = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'models')).toString();
    return { name: choice.name, id: choice.name, via: 'fetch', baseUrl: `${models}/` };
  }
  return { name: choice.name, id: choice.name, via: 'host', baseUrl: '' };
}

/** Reads `relative` inside the model folder; refuses paths that climb out of it. */
export async function readModelFile(choice: ModelChoice, relative: string): Promise<Uint8Array> {
  const full = path.resolve(choice.dir, relative);
  if (full !== choice.dir && !full.startsWith(choice.dir + path.sep)) {
    throw Object.assign(new Error(`refusing to read ${relative}: outside the model folder`), { status: 403 });
  }
  try {
    const buffer = await fs.promises.readFile(full);
    // A plain Uint8Array: a Buffer has toJSON, so postMessage would send it as {type, data[]}.
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`${full}: ${code ?? (e as Error).message}`), { status: code === 'ENOENT' ? 404 : 500 });
  }
}

/** `~/x` is in the home folder; a relative path is relative to the workspace. */
function resolveFolder(p: string, workspaceRoot: string | undefined): string {
  const home = process.env.HOME ?? '';
  if (p.startsWith('~/') && home) return path.join(home, p.slice(2));
  return path.resolve(workspaceRoot ?? '', p);
}
