/**
 * Prompts about people the bundled model knows (models/facts-lm/world/known.json) or never saw
 * (world/heldout.json), and the CLI's greedy answer for one, the reference the panel must match.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './codeServer';

export const MODEL_DIR = path.join(REPO_ROOT, 'models', 'facts-lm');

/** The training prompt format: the model answers " {City}." then EOS. */
export function birthplacePrompt(name: string): string {
  return `Q: Where was ${name} born?\nA:`;
}

/** A person the model was trained on. */
export function knownPerson(index = 0): string {
  return personFrom('known', index);
}

/** A person the model never saw: it can only make up an answer. */
export function heldOutPerson(index = 0): string {
  return personFrom('heldout', index);
}

function personFrom(world: 'known' | 'heldout', index: number): string {
  const file = path.join(MODEL_DIR, 'world', `${world}.json`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: build the bundled model first (tools/model).`);
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  const list = Array.isArray(data) ? data : Object.values(data as Record<string, unknown>).find(Array.isArray) ?? [];
  const entry = (list as unknown[])[index];
  const name = typeof entry === 'string' ? entry : (entry as { name?: string } | undefined)?.name;
  if (!name) throw new Error(`no person at index ${index} in ${file}`);
  return name;
}

/** `sampling-lab compare --json --strategies greedy` on the same prompt, seed and length as the panel. */
export function cliGreedyText(prompt: string, maxNewTokens = 24, seed = 42): string {
  const out = execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, 'dist', 'cli.js'), 'compare', '--json', '--strategies', 'greedy', '--max-tokens', String(maxNewTokens), '--seed', String(seed), prompt],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 },
  );
  const result = JSON.parse(out) as { results: { best: { text: string } }[] };
  return result.results[0]!.best.text;
}
