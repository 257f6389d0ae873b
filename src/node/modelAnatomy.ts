/**
 * Node side of the anatomy view: reads a model folder's ONNX file, config.json and model card
 * (README.md) and hands the bytes to the pure core. The webview does the same with fetched bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { anatomyFromOnnx, type ModelAnatomy } from '../core/anatomy/anatomy';
import { factsFromModelCard } from '../core/anatomy/modelCard';
import { ModelLoadError } from '../core/model/errors';
import { onnxFileFor } from '../core/model/hubModel';
import { resolveModel, type ModelLocation } from './modelFolder';

export interface LoadedAnatomy {
  anatomy: ModelAnatomy;
  /** The model folder. */
  dir: string;
  name: string;
  onnxPath: string;
}

export function loadModelAnatomy(model?: string, located?: ModelLocation): LoadedAnatomy {
  const location = located ?? resolveModel(model);
  if (!location.dir) {
    throw new ModelLoadError(`"${location.name}" is not in the hub cache yet. Pull it first: sampling-lab models pull ${location.name}.`);
  }
  const onnxPath = path.join(location.dir, ...onnxFileFor(location.dtype ?? 'fp32').split('/'));
  const config = JSON.parse(fs.readFileSync(path.join(location.dir, 'config.json'), 'utf8')) as object;
  const readme = path.join(location.dir, 'README.md');
  const card = fs.existsSync(readme) ? factsFromModelCard(fs.readFileSync(readme, 'utf8')) : {};
  const bytes = fs.readFileSync(onnxPath);
  const anatomy = anatomyFromOnnx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), config, card);
  return { anatomy, dir: location.dir, name: location.name, onnxPath };
}
