/**
 * `samplingLab.model` → where the panel loads the model from. The bundled model is fetched by
 * the webview from the extension's models folder; a hub model is pulled into the Hugging Face
 * cache by the host and fetched by the webview as resource URLs of the cache folder (a root of
 * the webview), so no file is copied through postMessage; a folder on disk is served file by file
 * by the host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { chooseDtype, parseHubId, type Dtype } from '../core/model/hubModel';
import { BUNDLED_MODEL, checkModelFolder, folderDtypes } from '../node/modelFolder';
import type { ModelSpec } from '../protocol/messages';

export interface ModelChoice {
  name: string;
  kind: 'bundled' | 'folder' | 'hub';
  /** The model folder on disk; for a hub model, its snapshot folder once pulled (empty before). */
  dir: string;
  /** The weights to load. */
  dtype?: Dtype;
}

export { BUNDLED_MODEL };

/** Resolves and checks the setting; throws a ModelLoadError naming the missing file. */
export function resolveModelChoice(setting: string, extensionUri: vscode.Uri, workspaceRoot?: string): ModelChoice {
  const value = setting.trim() || BUNDLED_MODEL;
  const bundledDir = path.join(extensionUri.fsPath, 'models', value);
  // The bundled name always means the bundled folder, so a missing bundle is reported as such.
  const isBundledName = !value.includes('/') && !value.includes('\\') && (value === BUNDLED_MODEL || fs.existsSync(bundledDir));
  const dir = isBundledName ? bundledDir : resolveFolder(value, workspaceRoot);
  // owner/name[@revision] that is not a folder here: a hub model, pulled when it loads.
  if (!isBundledName && !fs.existsSync(dir) && parseHubId(value)) return { name: value, kind: 'hub', dir: '' };
  const dtypes = folderDtypes(dir);
  checkModelFolder(dir, dtypes[0] ?? 'fp32');
  return { name: path.basename(dir), kind: isBundledName ? 'bundled' : 'folder', dir, dtype: isBundledName ? 'fp32' : chooseDtype({ requested: 'auto', available: dtypes, device: 'wasm' }) };
}

export function modelSpecFor(choice: ModelChoice, webview: vscode.Webview, extensionUri: vscode.Uri): ModelSpec {
  if (choice.kind === 'bundled') {
    const models = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'models')).toString();
    return { name: choice.name, id: choice.name, via: 'fetch', baseUrl: `${models}/` };
  }
  if (choice.kind === 'hub') {
    // The snapshot folder's parent under the hub cache root: transformers.js reads <baseUrl><commit>/<file>.
    const snapshots = webview.asWebviewUri(vscode.Uri.file(path.dirname(choice.dir))).toString();
    return { name: choice.name, id: path.basename(choice.dir), via: 'fetch', baseUrl: `${snapshots}/`, dtype: choice.dtype };
  }
  return { name: choice.name, id: choice.name, via: 'host', baseUrl: '', dtype: choice.dtype };
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
