/**
 * A model's fingerprint: what per-model state (risk calibrations) is keyed by, so a calibration
 * follows the model's content, not its folder name. Until the shared content fingerprint for
 * caches lands, it is SHA-256 over config.json, the ONNX file's size and its first 64 KiB (the
 * header: producer, graph, the first initializers), which differ between any two exports.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDtype, onnxFileFor } from '../core/model/hubModel';
import type { ModelLocation } from './modelFolder';

const HEADER_BYTES = 64 * 1024;

export function modelFingerprint(location: Pick<ModelLocation, 'kind' | 'id' | 'dir'>, dtype = 'fp32'): string {
  // A hub id has no files here until transformers.js downloads them: the id (with its revision, if any) is the model.
  if (location.kind === 'hub') return `hub:${location.id}`;
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(path.join(location.dir, 'config.json')));
  hashSizeAndHeader(hash, path.join(location.dir, ...onnxFileFor(isDtype(dtype) ? dtype : 'fp32').split('/')));
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

/** A GGUF file's fingerprint: its size and first 64 KiB (the header: architecture, hyperparameters, tokenizer). */
export function ggufFingerprint(file: string): string {
  const hash = createHash('sha256');
  hash.update('gguf');
  hashSizeAndHeader(hash, file);
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

function hashSizeAndHeader(hash: ReturnType<typeof createHash>, file: string): void {
  const size = fs.statSync(file).size;
  hash.update(`\0${size}\0`);
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(Math.min(HEADER_BYTES, size));
    fs.readSync(fd, header, 0, header.length, 0);
    hash.update(header);
  } finally {
    fs.closeSync(fd);
  }
}
