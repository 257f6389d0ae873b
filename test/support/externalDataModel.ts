/**
 * The bundled facts-lm saved with its weights in ONNX external data files, as hub exports of
 * models over 2 GB ship (onnx/model.onnx + onnx/model.onnx_data), written at test time by
 * tools/model/external_data.py (Debian's python3-onnx) and never committed. The weights are the
 * bundled model's, so its logits are the check that the data files were really read.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { folderFiles } from './hubServer';

/** The repository root: test/support/ when mocha runs the TypeScript, out/test/extension/ when the extension host runs the bundle. */
function repoRoot(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'tools', 'model', 'external_data.py'))) return dir;
  }
  throw new Error(`no tools/model/external_data.py above ${__dirname}`);
}

export interface ExternalDataLayout {
  /** Split the weights over `<graph>_data`, `_1`, … (transformers.js's chunk names). */
  chunks?: number;
  /** Or keep them in one file of this name (the graph names it). */
  location?: string;
}

/** A model folder (facts-lm's configs and tokenizer, fp32 graph with external data) in a new temporary folder. */
export function externalDataFolder(layout: ExternalDataLayout = {}): string {
  const root = repoRoot();
  const modelDir = path.join(root, 'models', 'facts-lm');
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-extdata-')), 'facts-lm-external');
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(modelDir, f), path.join(dir, f));
  const args = [path.join(root, 'tools', 'model', 'external_data.py'), path.join(modelDir, 'onnx', 'model.onnx'), path.join(dir, 'onnx', 'model.onnx')];
  if (layout.chunks) args.push('--chunks', String(layout.chunks));
  if (layout.location) args.push('--location', layout.location);
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `tools/model/external_data.py failed (it needs Debian's python3-onnx: apt-get install python3-onnx):\n${r.stderr}`);
  return dir;
}

/** The same model as a hub repository's files (path → bytes), and the folder removed. */
export function externalDataRepo(layout: ExternalDataLayout = {}): Record<string, Buffer> {
  const dir = externalDataFolder(layout);
  try {
    return folderFiles(dir);
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}
