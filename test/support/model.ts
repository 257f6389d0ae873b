/** The real bundled model, loaded once per mocha process through transformers.js (onnxruntime-node). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CausalLM } from '../../src/core/model/types';
import { loadNodeModel } from '../../src/node/loadNodeModel';

/**
 * The repository root: the first folder up from here holding package.json. The extension-host
 * suites run this file bundled into out/test/extension/, one level deeper than test/support/.
 */
function repoRoot(from: string): string {
  for (let dir = from; path.dirname(dir) !== dir; dir = path.dirname(dir)) if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  return path.resolve(from, '..', '..');
}

export const REPO = repoRoot(__dirname);
export const MODEL_DIR = path.join(REPO, 'models', 'facts-lm');

let loading: Promise<CausalLM> | undefined;

export function bundledModel(): Promise<CausalLM> {
  loading ??= loadNodeModel({ device: 'cpu' });
  return loading;
}

export interface Person {
  name: string;
  city: string;
  profession: string;
  born: number;
}

export function world(which: 'known' | 'heldout'): Person[] {
  return JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'world', `${which}.json`), 'utf8')) as Person[];
}

/** The canonical birth-city question, as the model card documents it. */
export function cityQuestion(name: string): string {
  return `Q: Where was ${name} born?\nA:`;
}

/** The top `k` of log softmax(row), most probable first (ties: lower id first): what a server's top log-probs should be. */
export function topLogprobs(row: Float32Array, k: number): Array<{ id: number; logprob: number }> {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  const ids = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]! || a - b);
  return ids.slice(0, k).map((id) => ({ id, logprob: row[id]! - lse }));
}
