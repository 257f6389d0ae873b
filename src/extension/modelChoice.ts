/**
 * `samplingLab.model` → where the panel loads the model from. The bundled model is fetched by
 * the webview from the extension's models folder; a hub model is pulled into the Hugging Face
 * cache by the host and fetched by the webview as resource URLs of the cache folder (a root of
 * the webview), so no file is copied through postMessage; a folder on disk is served file by file
 * by the host.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { chooseDtype, type Dtype, type DtypeChoice } from '../core/model/hubModel';
import { BUNDLED_MODEL, checkModelFolder, externalDataOf, folderDtypes, modelFingerprint, nameModel } from '../node/modelFolder';
import { readWorkspaceBytes, UnsafeFileError } from '../node/safeFiles';
import { ModelLoadError } from '../core/model/errors';
import type { DevicePreference, ModelSpec } from '../protocol/messages';

export interface ModelChoice {
  name: string;
  kind: 'bundled' | 'folder' | 'hub';
  /** The model folder on disk; for a hub model, its snapshot folder once pulled (empty before). */
  dir: string;
  /**
   * What the folder holds, by content (modelFingerprint): a model replaced in place is another
   * model. A hub model not yet pulled is its id.
   */
  fingerprint: string;
  /** The weights to load. */
  dtype?: Dtype;
  /**
   * A folder the webview reads itself, as resource URLs (see linkFreeFolder); otherwise the host
   * serves it file by file after its own checks.
   */
  readByWebview?: boolean;
}

export { BUNDLED_MODEL };

/**
 * Resolves and checks the setting; throws a ModelLoadError naming the missing file. A relative
 * folder resolves against `workspaceRoot` only when the workspace's own settings give it (see
 * relativeBaseFor); from user settings it would name a folder in whichever repository is open.
 */
export function resolveModelChoice(setting: string, extensionUri: vscode.Uri, workspaceRoot?: string, dtypeSetting: DtypeChoice = 'auto'): ModelChoice {
  const value = setting.trim() || BUNDLED_MODEL;
  const named = nameModel(value, {
    root: extensionUri.fsPath,
    relativeTo: relativeBaseFor(value, workspaceRoot),
    relativeRefused: (p) =>
      `samplingLab.model "${p}" is a relative path in your user settings: it would name a folder inside whichever workspace is open. ` +
      "Give an absolute path or one starting with ~/, or set it in this workspace's settings.",
  });
  if (named.kind === 'hub') return { name: value, kind: 'hub', dir: '', fingerprint: `hub:${value}` };
  const { dir } = named;
  const isBundledName = named.kind === 'bundled';
  const dtypes = folderDtypes(dir);
  checkModelFolder(dir, dtypes[0] ?? 'fp32');
  return {
    name: path.basename(dir),
    kind: isBundledName ? 'bundled' : 'folder',
    dir,
    fingerprint: modelFingerprint(dir),
    // samplingLab.dtype applies to a folder (the bundled one ships fp32 and q8) when it has those weights.
    dtype: chooseDtype({ requested: dtypeSetting !== 'auto' && dtypes.includes(dtypeSetting) ? dtypeSetting : 'auto', available: dtypes, device: 'wasm', bundled: isBundledName }),
  };
}

/**
 * The key of a loaded model: what it is (by content), where it is read from, which weights, and
 * on which device. A hub model is keyed by id and the dtype setting until it is pulled.
 */
export function modelKey(choice: ModelChoice, device: DevicePreference, hubDtype?: string): string {
  if (choice.kind === 'hub') return `hub:${choice.name}|${hubDtype ?? ''}|${device}`;
  return `${choice.fingerprint}|${choice.dir}|${choice.dtype ?? ''}|${device}`;
}

export function modelSpecFor(choice: ModelChoice, webview: vscode.Webview, extensionUri: vscode.Uri): ModelSpec {
  // onnxruntime-web reads only the external data files it is given: the ones the graph names.
  const external = choice.dir && choice.dtype ? externalDataOf(choice.dir, choice.dtype) : [];
  const spec = modelSpecOf(choice, webview, extensionUri);
  return external.length > 0 ? { ...spec, externalData: external } : spec;
}

function modelSpecOf(choice: ModelChoice, webview: vscode.Webview, extensionUri: vscode.Uri): ModelSpec {
  if (choice.kind === 'bundled') {
    const models = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'models')).toString();
    return { name: choice.name, id: choice.name, via: 'fetch', baseUrl: `${models}/`, dtype: choice.dtype };
  }
  if (choice.kind === 'hub') {
    // The snapshot folder's parent under the hub cache root: transformers.js reads <baseUrl><commit>/<file>.
    const snapshots = webview.asWebviewUri(vscode.Uri.file(path.dirname(choice.dir))).toString();
    return { name: choice.name, id: path.basename(choice.dir), via: 'fetch', baseUrl: `${snapshots}/`, dtype: choice.dtype };
  }
  if (choice.readByWebview) {
    // As for a hub snapshot: transformers.js reads <baseUrl><id>/<file>, the folder being a resource root.
    const parent = webview.asWebviewUri(vscode.Uri.file(path.dirname(choice.dir))).toString();
    return { name: choice.name, id: path.basename(choice.dir), via: 'fetch', baseUrl: `${parent}/`, dtype: choice.dtype };
  }
  return { name: choice.name, id: choice.name, via: 'host', baseUrl: '', dtype: choice.dtype };
}

/** More entries than any model folder has: a folder this big is served by the host rather than walked. */
const MAX_FOLDER_ENTRIES = 10_000;

/**
 * Whether nothing under `dir` is a symlink, so the webview may read the folder itself as
 * resource URLs and a 500 MB model is never copied through the host. VS Code's resource loader
 * checks a requested path against its roots, not where a link leads, so a folder holding any
 * link (one could point outside, issue #12) keeps being served by the host, which refuses such
 * links file by file.
 */
export async function linkFreeFolder(dir: string): Promise<boolean> {
  try {
    if ((await fs.promises.lstat(dir)).isSymbolicLink()) return false;
    const entries = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true });
    return entries.length <= MAX_FOLDER_ENTRIES && entries.every((e) => !e.isSymbolicLink());
  } catch {
    return false;
  }
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
 * The .gguf file a setting names, as an absolute path. A relative path is taken only from the
 * workspace's own settings in a trusted workspace (as a relative folder is), and must stay inside
 * the workspace once `..` and symlinks are followed: a repository's settings never make the host
 * read a file outside it. The file itself is checked when llama.cpp opens it (checkGgufHeader).
 */
export function resolveGgufFile(setting: string, workspaceRoot?: string): string {
  const value = setting.trim();
  const home = os.homedir();
  if ((value === '~' || value.startsWith('~/')) && home) return path.resolve(home, value.slice(2));
  if (path.isAbsolute(value)) return path.resolve(value);
  const base = relativeBaseFor(value, workspaceRoot);
  if (base === undefined) {
    throw new ModelLoadError(
      `samplingLab.model "${value}" is a relative path in your user settings (or an untrusted workspace's): it would name a file inside whichever workspace is open. ` +
        "Give an absolute path or one starting with ~/, or set it in this trusted workspace's settings.",
      value,
    );
  }
  const file = path.resolve(base, value);
  if (!insideFolder(realOrSelf(file), realOrSelf(base))) {
    throw new ModelLoadError(`samplingLab.model "${value}" in the workspace's settings leads outside the workspace (${file}): a workspace may name only its own files. Give the path in your user settings instead.`, value);
  }
  return file;
}

/** The path with symlinks followed, or as given when it does not exist (checkGgufHeader then names it). */
function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function insideFolder(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
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
