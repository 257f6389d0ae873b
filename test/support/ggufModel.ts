/**
 * GGUF files converted from an ONNX model folder at test time by tools/model/gguf.py (F32, and
 * Q8_0 / Q4_0 through llama.cpp's own llama_model_quantize), cached under the OS temp folder by a
 * hash of the inputs and the converter, so a suite converts once and nothing large is committed.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODEL_DIR, REPO } from './model';

export type GgufType = 'F32' | 'Q8_0' | 'Q4_0';
const CONVERTER = path.join(REPO, 'tools', 'model', 'gguf.py');

/** The folder holding <name>-F32/Q8_0/Q4_0.gguf for `modelDir` (default: the bundled facts-lm). */
export function ggufFolder(modelDir: string = MODEL_DIR): string {
  const hash = createHash('sha256');
  for (const f of [CONVERTER, path.join(modelDir, 'config.json'), path.join(modelDir, 'tokenizer.json'), path.join(modelDir, 'tokenizer_config.json'), path.join(modelDir, 'onnx', 'model.onnx')]) {
    hash.update(fs.readFileSync(f));
  }
  const dir = path.join(os.tmpdir(), 'sampling-lab-gguf', hash.digest('hex').slice(0, 16));
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // Convert into a fresh folder and rename it into place, so a parallel run never reads half a file.
  const tmp = fs.mkdtempSync(dir + '.tmp-');
  const r = spawnSync('/usr/bin/python3', [CONVERTER, modelDir, tmp], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tools/model/gguf.py failed (it needs Debian's python3-onnx and node-llama-cpp's binaries from npm ci):\n${r.stderr}`);
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another run got there first
  }
  return dir;
}

export function ggufFile(type: GgufType, modelDir: string = MODEL_DIR): string {
  return path.join(ggufFolder(modelDir), `${path.basename(modelDir)}-${type}.gguf`);
}
