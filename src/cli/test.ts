/**
 * `sampling-lab test [glob…]`: runs prompt test suites headless, for CI. Prints each case with its
 * pass rate, the failed assertions at their lines, and a summary; writes JUnit XML with --junit;
 * exits 1 when a case fails or a suite file has errors.
 */
import * as fs from 'node:fs';
import type { NodeBackend } from '../core/model/backends';
import * as path from 'node:path';
import {
  CaseCancelledError,
  describeAssertion,
  formatProblem,
  suiteCounts,
  suiteEndpointName,
  toJUnitXml,
  type CaseResult,
  type ModelIdentity,
  type ParsedSuite,
  type SuiteReport,
} from '../core/prompttest';
import { DEFAULT_CACHE_DIR, engineIdentity, findSuiteFiles, nodeModelIdentity, PromptTestCache, readSuiteFile, runSuite, SUITE_GLOB } from '../node/promptTestRunner';
import { calibrationFor } from './risk';
import { UsageError } from './usageError';
import { deviceFlag, dtypeFlag, threadsFlag, integer, MODEL_USAGE, parseFlags } from './flags';
import { openCliEngine } from './loadModel';
import { endpointArgs, ENDPOINT_OPTIONS, ENDPOINT_USAGE, type EndpointArgs } from './endpoint';
import type { Engine } from '../core/engine/types';
import { suiteModelSetting } from '../node/suiteModel';
import type { Calibration } from '../core/consistency';
import type { DtypeChoice } from '../core/model/hubModel';
import type { ThreadsChoice } from '../core/model/threads';
import { FILE_LIMITS, isInside } from '../node/safeFiles';

export const TEST_USAGE = `Usage: sampling-lab test [options] [glob|file|folder …]

Runs prompt test suites (*.prompttest.yaml) on the model: each case runs N times (repeat) and
passes when at least pass_rate of its runs meet every assertion. Quote globs so the shell
leaves them alone, e.g. "prompts/**/*.prompttest.yaml". Default: ${SUITE_GLOB} below here.

Options:
  --junit FILE        also write JUnit XML for CI
  --no-cache          run every case on the model (default: reuse outputs cached by prompt,
                      model, settings and seed in ${DEFAULT_CACHE_DIR})
  --cache-dir DIR     where cached outputs live
${MODEL_USAGE}
${ENDPOINT_USAGE.replace('requests in flight at once (default 4)', 'cases (and requests) in flight at once (default 4)')}
  --max-prompt-file-bytes N   largest prompt_file read (default ${FILE_LIMITS.promptFileBytes}, 1 MB)
  --max-schema-file-bytes N   largest schema_file read (default ${FILE_LIMITS.schemaFileBytes}, 256 KB)
  -h, --help          this help

Which model: a suite's own "model:" (facts-lm, a folder relative to the suite, a hub id) runs
that suite; --model or --endpoint overrides it for every suite (said under the file name). A
suite's "model: endpoint:NAME" names an endpoint in the editor's settings, which the CLI does not
read: its cases fail until you run it with --endpoint URL --model ID.

Files a suite names (prompt_file, schema_file) must be regular files inside the current folder,
symlinks resolved. Regexes run on RE2 (linear time: no lookaround or backreferences).
Ctrl-C stops the run and prints the cases finished so far, marked partial.

Exit status: 0 when every case passes, 1 when a case fails or a suite has errors, 2 on bad usage.`;

const CLI_LIMIT_NAMES = { prompt: '--max-prompt-file-bytes', schema: '--max-schema-file-bytes' };

export interface TestArgs {
  patterns: string[];
  junit?: string;
  cache: boolean;
  cacheDir: string;
  model?: string;
  device: NodeBackend;
  promptFileBytes: number;
  schemaFileBytes: number;
  dtype: DtypeChoice;
  threads: ThreadsChoice;
  endpoint?: EndpointArgs;
}

export function parseTestArgs(argv: string[]): TestArgs | 'help' {
  const parsed = parseFlags(
    argv,
    {
      junit: { type: 'string' },
      'no-cache': { type: 'boolean' },
      'cache-dir': { type: 'string' },
      model: { type: 'string' },
      device: { type: 'string' },
      'max-prompt-file-bytes': { type: 'string' },
      'max-schema-file-bytes': { type: 'string' },
      dtype: { type: 'string' },
      threads: { type: 'string' },
      ...ENDPOINT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
    TEST_USAGE,
  );
  const v = parsed.values;
  if (v.help) return 'help';
  const device = deviceFlag(v.device);
  if (v.junit !== undefined && v.junit.trim() === '') throw new UsageError('--junit needs a file name, e.g. --junit prompt-tests.xml.');
  return {
    patterns: parsed.positionals,
    junit: v.junit,
    cache: !v['no-cache'],
    cacheDir: v['cache-dir'] ?? DEFAULT_CACHE_DIR,
    model: v.model,
    device,
    promptFileBytes: integer('--max-prompt-file-bytes', v['max-prompt-file-bytes'], FILE_LIMITS.promptFileBytes, 1, 2 ** 30),
    schemaFileBytes: integer('--max-schema-file-bytes', v['max-schema-file-bytes'], FILE_LIMITS.schemaFileBytes, 1, 2 ** 30),
    dtype: dtypeFlag(v.dtype),
    threads: threadsFlag(v.threads),
    endpoint: endpointArgs(v),
  };
}

export async function test(argv: string[]): Promise<number> {
  const args = parseTestArgs(argv);
  if (args === 'help') {
    console.log(TEST_USAGE);
    return 0;
  }
  const files = findSuiteFiles(args.patterns);
  if (files.length === 0) {
    const what = args.patterns.length > 0 ? args.patterns.map((p) => JSON.stringify(p)).join(', ') : `${SUITE_GLOB} below ${process.cwd()}`;
    throw new UsageError(`No prompt test files match ${what}. Suite files end in .prompttest.yaml.`);
  }

  // Parse everything first: a broken file is reported in milliseconds, before the model loads.
  const root = process.cwd();
  const suites: Array<{ file: string; parsed: ParsedSuite }> = await Promise.all(
    files.map(async (file) => ({ file, parsed: await readSuiteFile(file, { root, promptFileBytes: args.promptFileBytes, schemaFileBytes: args.schemaFileBytes, limitNames: CLI_LIMIT_NAMES }) })),
  );
  for (const { file, parsed } of suites) {
    for (const p of parsed.problems) process.stderr.write(`${formatProblem(file, p)}\n`);
  }
  const caseCount = suites.reduce((n, s) => n + s.parsed.cases.length, 0);

  const started = performance.now();
  const reports: SuiteReport[] = [];
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  // One model at a time: --endpoint or --model for every suite, else each suite's own model:.
  let loaded: { key: string; target: Engine; identity: ModelIdentity; riskCalibration?: Calibration } | undefined;
  const targetFor = async (choice: SuiteModelChoice) => {
    if (loaded?.key === choice.key) return loaded;
    await loaded?.target.dispose();
    loaded = undefined;
    // --model is the server's model id with --endpoint, else the suite's (or the flag's) local model.
    const engine = await openCliEngine(choice.endpoint ? { ...args, endpoint: choice.endpoint } : { ...args, model: choice.model, endpoint: undefined }, false, abort.signal);
    loaded = choice.endpoint
      ? // A server's outputs are cached by its URL and model id; its risk is uncalibrated (the bands were fitted on a local model).
        { key: choice.key, target: engine, identity: engineIdentity(engine, choice.endpoint.endpoint) }
      : { key: choice.key, target: engine, identity: nodeModelIdentity(engine, choice.model), riskCalibration: calibrationFor(choice.model).calibration };
    return loaded;
  };
  try {
    // The default cache folder sits in the workspace, where a repository could plant symlinks: check from cwd down.
    const cacheDir = path.resolve(args.cacheDir);
    const cache = args.cache ? new PromptTestCache(cacheDir, isInside(root, cacheDir) ? root : undefined) : undefined;
    for (const { file, parsed } of suites) {
      if (abort.signal.aborted) break;
      console.log(file);
      if (parsed.cases.length === 0) {
        reports.push({ file, problems: parsed.problems, results: [], errors: [], durationMs: 0 });
        if (parsed.problems.some((p) => p.severity === 'error')) console.log('  ! not run: the file has errors (above)');
        continue;
      }
      const choice = suiteModelChoice(args, file, parsed);
      if (choice.note) console.log(`  (${choice.note})`);
      let ready: Awaited<ReturnType<typeof targetFor>> | undefined;
      let refusal = choice.refusal;
      try {
        if (!refusal) ready = await targetFor(choice);
      } catch (e) {
        // A flag's model that does not load stops the run, as ever; a suite's own is that suite's failure.
        if (!choice.fromSuite || abort.signal.aborted) throw e;
        refusal = `${choice.at}: the suite's model "${parsed.model}" could not be loaded: ${(e as Error).message}`;
      }
      if (!ready) {
        // Every case fails with the fix (in JUnit too); the other suites still run.
        const errors = parsed.cases.map((c) => ({ name: c.name, message: refusal! }));
        for (const e of errors) console.log(`  ! ${e.name}: ${e.message}`);
        reports.push({ file, problems: parsed.problems, results: [], errors, durationMs: 0 });
        continue;
      }
      const { target, identity, riskCalibration } = ready;
      const report = await runSuite(target, file, parsed, { identity, cache, signal: abort.signal, riskCalibration, concurrency: choice.endpoint?.concurrency, onCase: (r) => console.log(renderCase(r)) });
      for (const e of report.errors) console.log(`  ! ${e.name}: ${e.message}`);
      reports.push(report);
    }
  } catch (e) {
    if (!(e instanceof CaseCancelledError)) throw e;
    // The cases that finished are reported below, marked partial; the one cut off is not.
  } finally {
    process.off('SIGINT', onSigint);
    await loaded?.target.dispose();
  }
  const interrupted = abort.signal.aborted;

  const totals = reports.map(suiteCounts).reduce((a, b) => ({ tests: a.tests + b.tests, failures: a.failures + b.failures, errors: a.errors + b.errors }), { tests: 0, failures: 0, errors: 0 });
  const results = reports.flatMap((r) => r.results);
  const passed = results.filter((r) => r.pass).length;
  const cached = results.filter((r) => r.cached).length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${passed} passed, ${totals.failures} failed, ${totals.errors} error${totals.errors === 1 ? '' : 's'}` +
      ` · ${results.length} case${results.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}` +
      ` · ${cached} from cache · ${seconds} s`,
  );
  if (interrupted) console.log(`Interrupted (Ctrl-C): ${results.length} of ${caseCount} cases ran; these results are partial.`);
  if (args.junit) {
    fs.mkdirSync(path.dirname(path.resolve(args.junit)), { recursive: true });
    fs.writeFileSync(args.junit, toJUnitXml(reports));
    console.log(`JUnit XML: ${args.junit}${interrupted ? ' (partial)' : ''}`);
  }
  if (interrupted) return 130;
  return totals.failures > 0 || totals.errors > 0 ? 1 : 0;
}

interface SuiteModelChoice {
  /** Suites with the same key share one loaded model or opened endpoint. */
  key: string;
  model?: string;
  endpoint?: EndpointArgs;
  /** Why the suite cannot run as written, and the fix. */
  refusal?: string;
  /** Said under the file name: whose model runs, where a flag overrides the suite's. */
  note?: string;
  /** The model is the suite's own, and where its model: is written ("suite.prompttest.yaml:2"). */
  fromSuite: boolean;
  at: string;
}

/**
 * The model a suite runs on: --endpoint (with --model, the server's id) for every suite, else
 * --model for every suite, else the suite's own model: (a folder relative to the suite), else the
 * bundled model. A suite's endpoint:NAME lives in the editor's settings, which the CLI does not
 * read: it needs --endpoint, and without it the suite fails saying so.
 */
export function suiteModelChoice(args: Pick<TestArgs, 'model' | 'endpoint'>, file: string, parsed: ParsedSuite): SuiteModelChoice {
  const own = parsed.model;
  const at = parsed.modelRange ? `${file}:${parsed.modelRange.line}` : file;
  if (args.endpoint) {
    return { key: 'endpoint', endpoint: args.endpoint, note: own !== undefined ? `--endpoint overrides the suite's model: ${own}` : undefined, fromSuite: false, at };
  }
  if (args.model !== undefined) {
    return { key: `model:${args.model}`, model: args.model, note: own !== undefined && own !== args.model ? `--model overrides the suite's model: ${own}` : undefined, fromSuite: false, at };
  }
  const name = suiteEndpointName(own);
  if (name !== undefined) {
    return {
      key: 'refused',
      fromSuite: true,
      at,
      refusal: `${at}: the suite's model is endpoint:${name}, an endpoint in the editor's settings, which the CLI does not read. Run it with --endpoint URL --model ID (the server's base URL and model id), or --model M for a local model.`,
    };
  }
  const model = own !== undefined ? suiteModelSetting(own, file) : undefined;
  return { key: `model:${model ?? ''}`, model, note: own !== undefined ? `the suite's model: ${own}` : undefined, fromSuite: own !== undefined, at };
}

/** One case: mark, name, rate and time; for a failure, each failing run's assertion at its line. */
export function renderCase(r: CaseResult, maxRuns = 3): string {
  const time = r.cached ? 'cached' : `${Math.round(r.durationMs)} ms`;
  const lines = [`  ${r.pass ? '✓' : '✗'} ${r.name} — ${r.summary} · ${time}`];
  if (!r.pass) {
    for (const f of r.failures.slice(0, maxRuns)) {
      const a = r.assertions[f.assertionIndex]!.assertion;
      lines.push(`      run ${f.run + 1}, line ${a.range.line} (${describeAssertion(a)}): ${f.message}`);
    }
    if (r.failures.length > maxRuns) lines.push(`      … and ${r.failures.length - maxRuns} more failed runs`);
  }
  return lines.join('\n');
}
