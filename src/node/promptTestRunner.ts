/**
 * Runs prompt test suites in Node: finds and reads the files, runs each case on a model with the
 * core, and caches each case's outputs on disk by the hash of everything that decides them
 * (prompt, model, settings, seed, length, stop strings, risk sampling), so re-running an
 * unchanged case is instant. Assertions are re-checked on every run, cached or not, so editing
 * only an assertion never needs the model.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CausalLM } from '../core/model/types';
import {
  CaseCancelledError,
  evaluateCase,
  generateCase,
  generationCacheKeyText,
  parseSuite,
  planGeneration,
  type CaseGeneration,
  type CaseResult,
  type ModelIdentity,
  type ParsedSuite,
  type PromptTestCase,
  type SuiteReport,
} from '../core/prompttest';
import { globFiles, hasGlobChars } from './globFiles';
import { modelFingerprint, resolveModel } from './modelFolder';

export const SUITE_GLOB = '**/*.prompttest.{yaml,yml}';
export const DEFAULT_CACHE_DIR = path.join('.sampling-lab', 'cache', 'prompttest');

/**
 * Suite files for command-line arguments: a file as is, a folder searched for suites, anything
 * else a glob. No arguments means every suite below `cwd`.
 */
export function findSuiteFiles(args: readonly string[], cwd = process.cwd()): string[] {
  const patterns = args.length > 0 ? args : [SUITE_GLOB];
  const found = new Set<string>();
  for (const arg of patterns) {
    const full = path.resolve(cwd, arg);
    if (!hasGlobChars(arg) && fs.existsSync(full)) {
      if (fs.statSync(full).isDirectory()) globFiles(path.join(arg, SUITE_GLOB), cwd).forEach((f) => found.add(f));
      else found.add(path.isAbsolute(arg) ? arg : path.relative(cwd, full));
      continue;
    }
    globFiles(arg, cwd).forEach((f) => found.add(f));
  }
  return [...found].sort();
}

/** Parses a suite file; `prompt_file` and `schema_file` resolve against the file's folder. */
export function readSuiteFile(file: string, text = fs.readFileSync(file, 'utf8')): ParsedSuite {
  const dir = path.dirname(path.resolve(file));
  return parseSuite(text, { readFile: (p) => fs.readFileSync(path.resolve(dir, p), 'utf8') });
}

/** The model as the cache sees it: its name, backend, and its folder's content fingerprint. */
export function nodeModelIdentity(model: CausalLM, modelOption?: string): ModelIdentity {
  let fingerprint: string | undefined;
  try {
    const location = resolveModel(modelOption);
    // A folder, or a hub model's snapshot folder once pulled: keyed on what it holds.
    if (location.dir) fingerprint = modelFingerprint(location.dir);
  } catch {
    // A hub model not pulled yet has no local file to read; its name stands for it.
  }
  return { name: model.name, device: model.device, fingerprint };
}

/** Case outputs on disk, one JSON file per key hash; writes are atomic (temp file, then rename). */
export class PromptTestCache {
  constructor(readonly dir: string) {}

  static keyHash(keyText: string): string {
    return createHash('sha256').update(keyText).digest('hex');
  }

  get(keyText: string): CaseGeneration | undefined {
    const file = this.fileFor(keyText);
    let stored: unknown;
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
    // A different key under the same name (or a file from another version) is a miss, not an answer.
    const entry = stored as { key?: unknown; generation?: CaseGeneration };
    if (entry.key !== keyText || !isGeneration(entry.generation)) return undefined;
    return reviveGeneration(entry.generation);
  }

  set(keyText: string, generation: CaseGeneration): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = this.fileFor(keyText);
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(temp, JSON.stringify({ key: keyText, generation }));
    fs.renameSync(temp, file);
  }

  private fileFor(keyText: string): string {
    return path.join(this.dir, `${PromptTestCache.keyHash(keyText)}.json`);
  }
}

function isGeneration(value: unknown): value is CaseGeneration {
  const g = value as CaseGeneration | undefined;
  return !!g && Array.isArray(g.runs) && typeof g.riskSamples === 'object' && g.runs.every((r) => typeof r?.text === 'string' && Array.isArray(r.tokenLogprobs));
}

/** JSON writes −∞ log-probs as null; read them back as −∞. */
function reviveGeneration(g: CaseGeneration): CaseGeneration {
  const num = (v: number | null) => (v === null ? -Infinity : v);
  return {
    ...g,
    runs: g.runs.map((r) => ({ ...r, meanLogprob: num(r.meanLogprob), tokenLogprobs: r.tokenLogprobs.map(num) })),
  };
}

export interface RunCaseOptions {
  identity: ModelIdentity;
  /** Omit to run without the cache (`--no-cache`). */
  cache?: PromptTestCache;
  signal?: AbortSignal;
}

export async function runPromptTestCase(model: CausalLM, c: PromptTestCase, options: RunCaseOptions): Promise<CaseResult> {
  const started = performance.now();
  const plan = planGeneration(c);
  const key = generationCacheKeyText(plan, options.identity);
  let generation = options.cache?.get(key);
  const cached = generation !== undefined;
  if (!generation) {
    generation = await generateCase(model, plan, { signal: options.signal });
    options.cache?.set(key, generation);
  }
  return evaluateCase(c, generation, { cached, durationMs: performance.now() - started });
}

export interface RunSuiteOptions extends RunCaseOptions {
  /** How the file is named in reports (default: as given). */
  displayName?: string;
  /** Called as each case finishes, for streaming output. */
  onCase?: (result: CaseResult) => void;
}

/**
 * Runs one parsed suite file (parse first with readSuiteFile, so problems show before the model
 * loads). Cases that parsed run even when others in the file have problems; a case the model
 * fails on is reported as an error and the rest still run. Cancelling stops at once.
 */
export async function runSuite(model: CausalLM, file: string, parsed: ParsedSuite, options: RunSuiteOptions): Promise<SuiteReport> {
  const started = performance.now();
  const report: SuiteReport = { file: options.displayName ?? file, problems: parsed.problems, results: [], errors: [], durationMs: 0 };
  for (const c of parsed.cases) {
    try {
      const result = await runPromptTestCase(model, c, options);
      report.results.push(result);
      options.onCase?.(result);
    } catch (e) {
      if (e instanceof CaseCancelledError) throw e;
      report.errors.push({ name: c.name, message: (e as Error).message });
    }
  }
  report.durationMs = performance.now() - started;
  return report;
}
