/**
 * `samplingLab.model` → where the panel loads the model from. The bundled model is fetched by
 * the webview from the extension's models folder; a folder on disk is served file by file by
 * the host (the webview may only read the extension's own folders).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ModelLoadError } from '../core/model/errors';
import { BUNDLED_MODEL, checkModelFolder, isPlainModelName, modelFingerprint } from '../node/modelFolder';
import { readWorkspaceBytes, UnsafeFileError } from '../node/safeFiles';
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

/**
 * Resolves and checks the setting; throws a ModelLoadError naming the missing file. A relative
 * folder resolves against `workspaceRoot` only when the workspace's own settings give it (see
 * relativeBaseFor); from user settings it would name a folder in whichever repository is open.
 */
export function resolveModelChoice(setting: string, extensionUri: vscode.Uri, workspaceRoot?: string): ModelChoice {
  const value = setting.trim() || BUNDLED_MODEL;
  const bundledDir = path.join(extensionUri.fsPath, 'models', value);
  // The bundled name always means the bundled folder, so a missing bundle is reported as such.
  // Only a plain name can be one: "." or ".." would otherwise name the extension's own folders.
  const isBundledName = isPlainModelName(value) && (value === BUNDLED_MODEL || fs.existsSync(bundledDir));
  const dir = isBundledName ? bundledDir : resolveFolder(value, relativeBaseFor(value, workspaceRoot));
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

/** Largest file served from a model folder: well above any ONNX file transformers.js loads in a webview. */
const MAX_MODEL_FILE_BYTES = 8 * 1024 * 1024 * 1024;

/**
 * Reads `relative` inside the model folder for the webview. Refused with 403: a path that climbs
 * out, a symlink whose target lies outside the folder, and anything but a regular file.
 */
export async function readModelFile(choice: ModelChoice, relative: string): Promise<Uint8Array> {
  try {
    const buffer = await readWorkspaceBytes(choice.dir, relative, { kind: 'model file', maxBytes: MAX_MODEL_FILE_BYTES, rootName: 'the model folder' });
    // A plain Uint8Array: a Buffer has toJSON, so postMessage would send it as {type, data[]}.
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    if (e instanceof UnsafeFileError) throw Object.assign(new Error(`refusing to read ${relative}: ${e.message}`), { status: 403 });
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`${path.join(choice.dir, relative)}: ${code ?? (e as Error).message}`), { status: code === 'ENOENT' ? 404 : 500 });
  }
}

/**
 * The folder a relative model path resolves against: the workspace, when the workspace's own
 * settings (honoured only in a trusted workspace) give the value; otherwise none.
 */
function relativeBaseFor(value: string, workspaceRoot: string | undefined): string | undefined {
  if (!workspaceRoot) return undefined;
  const inspected = vscode.workspace.getConfiguration('samplingLab').inspect<string>('model');
  const fromWorkspace = [inspected?.workspaceFolderValue, inspected?.workspaceValue].some((v) => typeof v === 'string' && v.trim() === value);
  return fromWorkspace && vscode.workspace.isTrusted ? workspaceRoot : undefined;
}

/**
 * `~/x` is in the home folder; a relative path is relative to `base` (the workspace, when its own
 * settings name it). The result has no trailing separator, so "~/models/x/" is the folder x.
 */
function resolveFolder(p: string, base: string | undefined): string {
  const home = process.env.HOME ?? '';
  if ((p === '~' || p.startsWith('~/')) && home) return path.resolve(home, p.slice(2));
  if (path.isAbsolute(p)) return path.resolve(p);
  if (base === undefined) {
    throw new ModelLoadError(
      `samplingLab.model "${p}" is a relative path in your user settings: it would name a folder inside whichever workspace is open. ` +
        'Give an absolute path or one starting with ~/, or set it in this workspace\'s settings.',
      p,
    );
  }
  return path.resolve(base, p);
}
