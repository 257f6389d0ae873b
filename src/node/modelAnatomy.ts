/**
 * Node side of the anatomy view: reads a model folder's ONNX file, config.json and model card
 * (README.md) and hands the bytes to the pure core. The webview does the same with fetched bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { anatomyFromOnnx, type ModelAnatomy } from '../core/anatomy/anatomy';
import { factsFromModelCard } from '../core/anatomy/modelCard';
import { ModelLoadError } from '../core/model/errors';
import { resolveModel } from './modelFolder';

export interface LoadedAnatomy {
  anatomy: ModelAnatomy;
  /** The model folder. */
  dir: string;
  name: string;
  onnxPath: string;
}

export function loadModelAnatomy(model?: string): LoadedAnatomy {
  const location = resolveModel(model);
  if (location.kind !== 'folder') {
    throw new ModelLoadError(`The anatomy reads a model folder on disk; "${location.id}" is a hub id. Pass --model with a folder holding config.json and onnx/model.onnx.`);
  }
  const onnxPath = path.join(location.dir, 'onnx', 'model.onnx');
  const config = JSON.parse(fs.readFileSync(path.join(location.dir, 'config.json'), 'utf8')) as object;
  const readme = path.join(location.dir, 'README.md');
  const card = fs.existsSync(readme) ? factsFromModelCard(fs.readFileSync(readme, 'utf8')) : {};
  const bytes = fs.readFileSync(onnxPath);
  const anatomy = anatomyFromOnnx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), config, card);
  return { anatomy, dir: location.dir, name: location.id, onnxPath };
}
