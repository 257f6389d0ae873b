/**
 * Node-side model resolution: a bundled model name or a folder on disk, checked file by file
 * before transformers.js sees it, so a missing or corrupt file is named in the error.
 */
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

/** Whether `name` can name a bundled model: one path segment, and not "." or ".." (which would name our own folders). */
export function isPlainModelName(name: string): boolean {
  return /^\w[\w.-]*$/.test(name);
}

export function resolveModel(model: string | undefined, root = packageRoot()): ModelLocation {
  const name = model && model.trim() ? model.trim() : BUNDLED_MODEL;
  const bundled = path.join(root, 'models', name);
  const dir = isPlainModelName(name) && fs.existsSync(bundled) ? bundled : path.resolve(name);
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
