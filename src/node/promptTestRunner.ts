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
import type { Calibration } from '../core/consistency';
import type { Engine } from '../core/engine/types';
import type { CausalLM } from '../core/model/types';
import {
  CaseCancelledError,
  evaluateCase,
  generateCase,
  generateCaseWith,
  generationCacheKeyText,
  generationFitsPlan,
  parseSuite,
  planGeneration,
  suiteFileReferences,
  type CaseGeneration,
  type GenerationPlan,
  type CaseResult,
  type ModelIdentity,
  type ParsedSuite,
  type PromptTestCase,
  type SuiteReport,
} from '../core/prompttest';
import { globFiles, hasGlobChars } from './globFiles';
import { modelFingerprint, resolveModel } from './modelFolder';
import { FILE_LIMITS, readOwnFile, readWorkspaceFile, writeFileNoFollow } from './safeFiles';

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

export interface SuiteReadOptions {
  /** The workspace: files a suite names must lie inside it after symlinks are resolved. */
  root: string;
  /** The suite's text when an editor holds it; otherwise it is read from disk. */
  text?: string;
  promptFileBytes?: number;
  schemaFileBytes?: number;
  /** Where each limit is set, for messages (default: the samplingLab.limits.* settings). */
  limitNames?: { prompt: string; schema: string };
}

/** Suite files are text a person writes; one bigger than this is not a suite. */
export const MAX_SUITE_BYTES = 1024 * 1024;

/**
 * Reads and parses a suite file without blocking: `prompt_file` and `schema_file` resolve against
 * the suite's folder, are read asynchronously with the rules of readWorkspaceFile (inside `root`,
 * regular, capped), and a refusal is a problem at the line that names the file.
 */
export async function readSuiteFile(file: string, options: SuiteReadOptions): Promise<ParsedSuite> {
  const full = path.resolve(options.root, file);
  const text = options.text ?? (await readWorkspaceFile(path.dirname(full), full, { kind: 'suite file', maxBytes: MAX_SUITE_BYTES }));
  const dir = path.dirname(full);
  const files = new Map<string, string | Error>();
  await Promise.all(
    suiteFileReferences(text).map(async ({ path: p, key }) => {
      const id = `${key}\0${p}`;
      if (files.has(id)) return;
      files.set(id, new Error('pending'));
      const limit = key === 'prompt_file'
        ? { maxBytes: options.promptFileBytes ?? FILE_LIMITS.promptFileBytes, limitSetting: options.limitNames?.prompt ?? 'samplingLab.limits.promptFileBytes' }
        : { maxBytes: options.schemaFileBytes ?? FILE_LIMITS.schemaFileBytes, limitSetting: options.limitNames?.schema ?? 'samplingLab.limits.schemaFileBytes' };
      try {
        files.set(id, await readWorkspaceFile(options.root, path.resolve(dir, p), { kind: key, shownAs: p, ...limit }));
      } catch (e) {
        files.set(id, e as Error);
      }
    }),
  );
  return parseSuite(text, {
    readFile: (p, key) => {
      const got = files.get(`${key}\0${p}`);
      if (got === undefined) throw new Error('not read');
      if (got instanceof Error) throw got;
      return got;
    },
  });
}

/** A model in this process as the cache sees it: its name, backend, and its folder's content fingerprint. */
export function nodeModelIdentity(engine: Engine, modelOption?: string): ModelIdentity {
  let fingerprint: string | undefined;
  try {
    const location = resolveModel(modelOption);
    // A folder, or a hub model's snapshot folder once pulled: keyed on what it holds.
    if (location.dir) fingerprint = modelFingerprint(location.dir);
  } catch {
    // A hub model not pulled yet has no local file to read; its name stands for it.
  }
  return { name: engine.model, device: engine.where, fingerprint };
}

/** A server's model as the cache sees it: its model id at the base URL, and where it runs (dialect and URL). */
export function engineIdentity(engine: Engine, baseUrl: string): ModelIdentity {
  return { name: `${engine.model}@${baseUrl}`, device: engine.where };
}

/** Case outputs on disk, one JSON file per key hash; writes are atomic (temp file, then rename). */
export class PromptTestCache {
  static keyHash(keyText: string): string {
    return createHash('sha256').update(keyText).digest('hex');
  }

  /**
   * Given the workspace `root`, the folders from it down to `dir` and every entry are checked not
   * to be symlinks (a repository may ship `.sampling-lab/cache` as a link anywhere); without one,
   * `dir` is the user's own choice and is made as given.
   */
  constructor(
    readonly dir: string,
    readonly root?: string,
  ) {}

  /**
   * The stored outputs for `keyText`, if they are whole: with `plan`, an entry must also hold as
   * many runs and risk samples as the plan asks for (a forged or truncated entry is a miss, not
   * "5000/5000 runs passed").
   */
  get(keyText: string, plan?: GenerationPlan): CaseGeneration | undefined {
    let stored: unknown;
    try {
      const text = readOwnFile(this.fileFor(keyText), MAX_CACHE_ENTRY_BYTES);
      if (text === undefined) return undefined;
      stored = JSON.parse(text);
    } catch {
      return undefined;
    }
    // A different key under the same name (or a file from another version) is a miss, not an answer.
    const entry = stored as { key?: unknown; generation?: CaseGeneration };
    if (entry.key !== keyText || !isGeneration(entry.generation)) return undefined;
    if (plan && !generationFitsPlan(entry.generation, plan)) return undefined;
    return reviveGeneration(entry.generation);
  }

  set(keyText: string, generation: CaseGeneration): void {
    if (this.root === undefined) fs.mkdirSync(this.dir, { recursive: true });
    writeFileNoFollow(this.fileFor(keyText), JSON.stringify({ key: keyText, generation }), this.root ?? this.dir);
  }

  private fileFor(keyText: string): string {
    return path.join(this.dir, `${PromptTestCache.keyHash(keyText)}.json`);
  }
}

/** A cache entry is generated outputs: a few KB per run. One far bigger is not ours. */
const MAX_CACHE_ENTRY_BYTES = 64 * 1024 * 1024;

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
  /** The model's risk calibration, for max-risk; absent = uncalibrated. */
  riskCalibration?: Calibration;
}

/** A plan's runs and risk samples on an engine: the prompt test cases and risk calibration questions of the CLI and the editor, on any model. */
export function generateOnEngine(engine: Engine, plan: GenerationPlan, signal?: AbortSignal): Promise<CaseGeneration> {
  return generateCaseWith((prompt, strategies, decode) => engine.compare(prompt, strategies, { ...decode, format: { chat: plan.chat, system: plan.system } }), plan, { signal });
}

export async function runPromptTestCase(engine: Engine, c: PromptTestCase, options: RunCaseOptions): Promise<CaseResult> {
  const started = performance.now();
  const plan = planGeneration(c);
  const key = generationCacheKeyText(plan, options.identity);
  let generation = options.cache?.get(key, plan);
  const cached = generation !== undefined;
  if (!generation) {
    generation = await generateOnEngine(engine, plan, options.signal);
    options.cache?.set(key, generation);
  }
  return evaluateCase(c, generation, { cached, durationMs: performance.now() - started, riskCalibration: options.riskCalibration });
}

export interface RunSuiteOptions extends RunCaseOptions {
  /** How the file is named in reports (default: as given). */
  displayName?: string;
  /** Called as each case finishes, for streaming output. */
  onCase?: (result: CaseResult) => void;
  /** Cases run at once (default 1): a server runs them in parallel; a local model runs one at a time anyway. */
  concurrency?: number;
}

/**
 * Runs one parsed suite file (parse first with readSuiteFile, so problems show before the model
 * loads). Cases that parsed run even when others in the file have problems; a case the model
 * fails on is reported as an error and the rest still run. Cancelling stops at once and returns
 * the cases finished so far.
 */
export async function runSuite(engine: Engine, file: string, parsed: ParsedSuite, options: RunSuiteOptions): Promise<SuiteReport> {
  const started = performance.now();
  const report: SuiteReport = { file: options.displayName ?? file, problems: parsed.problems, results: [], errors: [], durationMs: 0 };
  const results: Array<CaseResult | undefined> = [];
  const errors: Array<{ name: string; message: string } | undefined> = [];
  let next = 0;
  let cancelled = false;
  // Workers take cases in order; results keep the file's order whatever finishes first.
  const worker = async () => {
    while (!cancelled && next < parsed.cases.length) {
      const index = next++;
      const c = parsed.cases[index]!;
      try {
        const result = await runPromptTestCase(engine, c, options);
        results[index] = result;
        options.onCase?.(result);
      } catch (e) {
        // Cancelled: the report so far is returned (the caller sees its signal aborted and says it is partial).
        if (e instanceof CaseCancelledError || options.signal?.aborted) {
          cancelled = true;
          break;
        }
        errors[index] = { name: c.name, message: (e as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, parsed.cases.length)) }, worker));
  report.results = results.filter((r): r is CaseResult => r !== undefined);
  report.errors = errors.filter((e): e is { name: string; message: string } => e !== undefined);
  report.durationMs = performance.now() - started;
  return report;
}
