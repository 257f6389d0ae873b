/**
 * Node-side model resolution: a bundled model name, a folder on disk, or a hub id (pulled into
 * the Hugging Face cache by src/node/hub), checked file by file before transformers.js sees it,
 * so a missing or corrupt file is named in the error; and the content fingerprint every output
 * cache keys on.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLoadError } from '../core/model/errors';
import { availableDtypes, chooseDtype, onnxFileFor, parseHubId, type Dtype, type DtypeChoice } from '../core/model/hubModel';
import { hubConfig, type HubOverrides } from './hub/hubConfig';
import { cachedModel, pullModel, type PullProgress } from './hub/pullModel';
import { snapshotFiles } from './hub/hubCache';
import { checkExternalData, readExternalDataRefs } from './onnxExternalData';

export const BUNDLED_MODEL = 'facts-lm';

/** The package root: the nearest folder above this file with our package.json (dist/ or src/node/). */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'models'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
}

export interface ModelLocation {
  /** A folder on disk, or a Hugging Face hub id (its snapshot folder in the hub cache once pulled). */
  kind: 'folder' | 'hub';
  /** Folder that holds the model folder (transformers.js's localModelPath); empty for a hub id not yet pulled. */
  parent: string;
  /** The model folder's name under `parent` (transformers.js's model id). */
  id: string;
  /** The model folder; empty for a hub id not yet pulled. */
  dir: string;
  /** What the model is called in output: the bundled name, the folder, or owner/name[@revision]. */
  name: string;
  /** The weights chosen (fp32 for the bundled model). */
  dtype?: Dtype;
}

const REQUIRED_JSON = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** Whether `name` can name a bundled model: one path segment, and not "." or ".." (which would name our own folders). */
export function isPlainModelName(name: string): boolean {
  return /^\w[\w.-]*$/.test(name);
}

/** What a model name names: the bundled model, a folder on disk, or a hub id (owner/name[@revision]). */
export type NamedModel = { kind: 'bundled' | 'folder'; name: string; dir: string } | { kind: 'hub'; name: string };

export interface ModelNaming {
  /** The folder whose models/ holds the bundled models: the package's, or the extension's. */
  root?: string;
  /**
   * What a relative folder is relative to: the CLI's working folder; the workspace, when its own
   * settings name the model. Undefined: a relative path is refused with `relativeRefused`.
   */
  relativeTo?: string;
  relativeRefused?: (value: string) => string;
}

/**
 * The one reading of a model name, for `--model`, `samplingLab.model` and a prompt test's model:
 * the bundled name always means the bundled folder (so a missing bundle is reported as such),
 * and only a plain name can be one ("." or ".." would name our own folders); `~/x` is in the home
 * folder; owner/name[@revision] that is not a folder here is a hub model, pulled when it loads.
 * The result has no trailing separator, so "~/models/x/" is the folder x. Nothing is checked here.
 */
export function nameModel(model: string | undefined, naming: ModelNaming = {}): NamedModel {
  const name = model?.trim() || BUNDLED_MODEL;
  const bundledDir = path.join(naming.root ?? packageRoot(), 'models', name);
  if (isPlainModelName(name) && (name === BUNDLED_MODEL || fs.existsSync(bundledDir))) return { kind: 'bundled', name, dir: bundledDir };
  const dir = folderPath(name, naming.relativeTo);
  // Decided before the relative-path rule: a hub id from user settings is no folder of the open workspace.
  if ((dir === undefined || !fs.existsSync(dir)) && parseHubId(name)) return { kind: 'hub', name };
  if (dir === undefined) throw new ModelLoadError(naming.relativeRefused?.(name) ?? `"${name}" is a relative path; give an absolute one.`, name);
  return { kind: 'folder', name: path.basename(dir), dir };
}

function folderPath(p: string, base: string | undefined): string | undefined {
  const home = os.homedir();
  if ((p === '~' || p.startsWith('~/')) && home) return path.resolve(home, p.slice(2));
  if (path.isAbsolute(p)) return path.resolve(p);
  return base === undefined ? undefined : path.resolve(base, p);
}

/** A model name as the CLI and Node read it: a relative folder is relative to the working folder. */
export function resolveModel(model: string | undefined, root = packageRoot()): ModelLocation {
  const named = nameModel(model, { root, relativeTo: process.cwd() });
  if (named.kind === 'hub') {
    // Pulled already: the snapshot in the hub cache (no network here; ensureModel pulls).
    const cached = cachedModel(parseHubId(named.name)!, hubConfig());
    if (cached) return { kind: 'hub', parent: path.dirname(cached.dir), id: cached.commit, dir: cached.dir, name: named.name, dtype: cached.dtype };
    return { kind: 'hub', parent: '', id: named.name, dir: '', name: named.name };
  }
  const dir = named.dir;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ModelLoadError(
      `Model folder not found: ${dir}. Pass --model with a folder holding config.json, tokenizer.json and onnx/model.onnx, a hub id like owner/name, or leave it out to use the bundled "${BUNDLED_MODEL}".`,
      dir,
    );
  }
  // A folder may hold only quantised weights (model_quantized.onnx): check the first it has.
  checkModelFolder(dir, folderDtypes(dir)[0] ?? 'fp32');
  return { kind: 'folder', parent: path.dirname(dir), id: path.basename(dir), dir, name: path.basename(dir) };
}

export interface EnsureModelOptions {
  dtype?: DtypeChoice;
  /** The device the model will run on (for dtype "auto"). */
  device?: string;
  signal?: AbortSignal;
  onDownload?: (progress: PullProgress) => void;
  /** Settings that override HF_* environment variables. */
  hub?: HubOverrides;
}

/** The dtypes a model folder has weights for. */
export function folderDtypes(dir: string): Dtype[] {
  return availableDtypes(snapshotFiles(dir));
}

/**
 * A model folder ready to load: a folder as it is, or a hub id pulled (or found in the cache when
 * offline or the hub is down) with the files of the chosen dtype. The folder is checked for that dtype.
 */
export async function ensureModel(model: string | undefined, options: EnsureModelOptions = {}): Promise<ModelLocation & { dtype: Dtype }> {
  const location = resolveModel(model);
  const hubId = location.kind === 'hub' ? parseHubId(location.name) : undefined;
  if (hubId) {
    const pulled = await pullModel(hubId, hubConfig(options.hub), { dtype: options.dtype, device: options.device, signal: options.signal, onProgress: options.onDownload });
    checkModelFolder(pulled.dir, pulled.dtype);
    return { kind: 'hub', parent: path.dirname(pulled.dir), id: pulled.commit, dir: pulled.dir, name: location.name, dtype: pulled.dtype };
  }
  const available = folderDtypes(location.dir);
  const bundled = path.resolve(location.dir) === path.join(packageRoot(), 'models', BUNDLED_MODEL);
  const dtype = chooseDtype({ requested: options.dtype ?? 'auto', available, device: options.device ?? 'cpu', bundled });
  if (!available.includes(dtype)) {
    throw new ModelLoadError(`The model folder ${location.dir} has no ${dtype} weights (${onnxFileFor(dtype)}). It has: ${available.join(', ') || 'none'}.`, path.join(location.dir, onnxFileFor(dtype)));
  }
  checkModelFolder(location.dir, dtype);
  return { ...location, dtype };
}

/** The external data files of a folder's graph for `dtype`, relative to the graph's folder ([] when its weights are inline). */
export function externalDataOf(dir: string, dtype: Dtype): string[] {
  return readExternalDataRefs(path.join(dir, ...onnxFileFor(dtype).split('/'))).map((r) => r.location);
}

/** Throws a ModelLoadError naming the first missing or unreadable file. */
export function checkModelFolder(dir: string, dtype: Dtype = 'fp32'): void {
  // The bundled model's files can be restored; a folder of the user's needs a whole export.
  const bundled = path.resolve(dir) === path.join(packageRoot(), 'models', BUNDLED_MODEL);
  const fix = bundled
    ? 'Restore it (git checkout -- models) or rebuild the model (bash tools/model/build.sh).'
    : `A model folder holds a transformers.js export: ${REQUIRED_JSON.join(', ')} and onnx/model.onnx. Choose another folder, or the bundled "${BUNDLED_MODEL}".`;
  for (const file of REQUIRED_JSON) {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) {
      throw new ModelLoadError(`The model folder ${dir} has no ${file}. ${fix}`, full);
    }
    try {
      JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (e) {
      throw new ModelLoadError(`${full} is not valid JSON (${(e as Error).message}). Restore the file or rebuild the model.`, full);
    }
  }
  const onnx = path.join(dir, ...onnxFileFor(dtype as Dtype).split('/'));
  if (!fs.existsSync(onnx)) {
    throw new ModelLoadError(`The model folder ${dir} has no ${path.relative(dir, onnx)}. Restore it or rebuild the model.`, onnx);
  }
  if (fs.statSync(onnx).size < 1024) {
    throw new ModelLoadError(`${onnx} is too small to be a model (${fs.statSync(onnx).size} bytes); it may be a Git LFS pointer or truncated. Restore the file.`, onnx);
  }
  checkExternalData(onnx, bundled ? fix : 'Restore the file (a hub model: pull it again).');
}

/** The model folder's small files whose whole content decides the model's behaviour. */
const FINGERPRINTED_JSON = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** How much of each ONNX file's start and end is hashed: its header (graph, producer, opset) and its last weights. */
const ONNX_EDGE_BYTES = 64 * 1024;

/** Fingerprints by folder, with the file stats they were computed from (ctime included: `cp -p` or `touch -r` cannot fake it). */
const fingerprints = new Map<string, { stats: string; fingerprint: string }>();

/**
 * What the model in `dir` is, by content: the hash of its config and tokenizer files, and of
 * each ONNX file's size, mtime and first and last 64 KiB. Every cache that keeps a model's
 * outputs keys on it, so a folder whose files are replaced in place (same path) is a new model.
 * Cheap to call per run: files are re-read only when a stat changed since the last call.
 */
export function modelFingerprint(dir: string): string {
  const onnxDir = path.join(dir, 'onnx');
  const onnx = fs.existsSync(onnxDir) ? fs.readdirSync(onnxDir).filter((f) => !f.startsWith('.')).sort().map((f) => path.join('onnx', f)) : [];
  const files = [...FINGERPRINTED_JSON.filter((f) => fs.existsSync(path.join(dir, f))), ...onnx];
  const stats = JSON.stringify(
    files.map((f) => {
      const s = fs.statSync(path.join(dir, f), { bigint: true });
      return [f, `${s.size}`, `${s.mtimeNs}`, `${s.ctimeNs}`, `${s.ino}`];
    }),
  );
  const known = fingerprints.get(dir);
  if (known?.stats === stats) return known.fingerprint;
  const hash = createHash('sha256');
  for (const f of files) {
    const full = path.join(dir, f);
    hash.update(`${f}\0`);
    if (!f.startsWith('onnx')) {
      hash.update(fs.readFileSync(full));
      continue;
    }
    const size = fs.statSync(full).size;
    hash.update(`${size}:${Math.round(fs.statSync(full).mtimeMs)}\0`);
    const fd = fs.openSync(full, 'r');
    try {
      const edge = Buffer.alloc(Math.min(ONNX_EDGE_BYTES, size));
      fs.readSync(fd, edge, 0, edge.length, 0);
      hash.update(edge);
      fs.readSync(fd, edge, 0, edge.length, Math.max(0, size - edge.length));
      hash.update(edge);
    } finally {
      fs.closeSync(fd);
    }
  }
  const fingerprint = hash.digest('hex').slice(0, 32);
  fingerprints.set(dir, { stats, fingerprint });
  return fingerprint;
}
