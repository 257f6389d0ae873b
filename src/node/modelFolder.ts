/**
 * Node-side model resolution: a bundled model name or a folder on disk, checked file by file
 * before transformers.js sees it, so a missing or corrupt file is named in the error; and the
 * content fingerprint every output cache keys on.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../core/model/errors';

export const BUNDLED_MODEL = 'facts-lm';

/** The package root: the nearest folder above this file with our package.json (dist/ or src/node/). */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'models'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
}

export interface ModelLocation {
  /** A folder on disk, or a Hugging Face hub id that transformers.js downloads and caches. */
  kind: 'folder' | 'hub';
  /** Folder that holds the model folder (transformers.js's localModelPath); empty for hub ids. */
  parent: string;
  /** The model folder's name under `parent` (transformers.js's model id). */
  id: string;
  dir: string;
}

/** "owner/name" with no path beyond it: a hub id, when no such folder exists. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

const REQUIRED_JSON = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

export function resolveModel(model: string | undefined, root = packageRoot()): ModelLocation {
  const name = model && model.trim() ? model.trim() : BUNDLED_MODEL;
  const bundled = path.join(root, 'models', name);
  const dir = !name.includes('/') && !name.includes(path.sep) && fs.existsSync(bundled) ? bundled : path.resolve(name);
  if (!fs.existsSync(dir) && HUB_ID.test(name)) return { kind: 'hub', parent: '', id: name, dir: '' };
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ModelLoadError(
      `Model folder not found: ${dir}. Pass --model with a folder holding config.json, tokenizer.json and onnx/model.onnx, a hub id like owner/name, or leave it out to use the bundled "${BUNDLED_MODEL}".`,
      dir,
    );
  }
  checkModelFolder(dir);
  return { kind: 'folder', parent: path.dirname(dir), id: path.basename(dir), dir };
}

/** Throws a ModelLoadError naming the first missing or unreadable file. */
export function checkModelFolder(dir: string, dtype = 'fp32'): void {
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
  const onnx = path.join(dir, 'onnx', dtype === 'fp32' ? 'model.onnx' : `model_${dtype}.onnx`);
  if (!fs.existsSync(onnx)) {
    throw new ModelLoadError(`The model folder ${dir} has no ${path.relative(dir, onnx)}. Restore it or rebuild the model.`, onnx);
  }
  if (fs.statSync(onnx).size < 1024) {
    throw new ModelLoadError(`${onnx} is too small to be a model (${fs.statSync(onnx).size} bytes); it may be a Git LFS pointer or truncated. Restore the file.`, onnx);
  }
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
