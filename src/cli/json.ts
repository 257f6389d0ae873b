/**
 * `sampling-lab json --schema file.json "<prompt>"`: the four structured-output routes on one
 * prompt and schema, printed side by side (or as JSON with --json).
 */
import * as fs from 'node:fs';
import { checkPromptText } from '../core/decode/compare';
import { kindFromName, StrategyError, strategyFromSettings } from '../core/decode/strategies';
import type { Strategy } from '../core/decode/types';
import { routesOn, type EngineRoutesOptions } from '../core/structured/engineRoutes';
import { ROUTE_IDS, STRUCTURED_DEFAULTS, type RouteId, type StructuredRoutesResult } from '../core/structured/routes';
import { checkSchema, formatIssues, parseSchemaText } from '../core/structured/schema';
import { openCliEngine } from './loadModel';
import { type ModelArgs, deviceFlag, dtypeFlag, threadsFlag, flagOfSetting, integer, MODEL_OPTIONS, MODEL_USAGE, promptFormatFlags, parseFlags, promptArgument, real, SAMPLER_OPTIONS, samplerFlagsHelp, samplerSettingsFromFlags } from './flags';
import { UsageError } from './usageError';
import { endpointArgs, ENDPOINT_OPTIONS, ENDPOINT_USAGE, type EndpointArgs } from './endpoint';

export const JSON_USAGE = `Usage: sampling-lab json --schema schema.json [options] "<prompt>"

Runs four ways to get JSON that matches a schema, side by side:
  prompting + validation, post-processing (jsonrepair), constrained sampling,
  and test-time compute (sample N, keep the valid one with the highest mean log-prob).
"\\n" in the prompt is a newline, e.g. "JSON for Ada Lovelace:\\n".

Options:
  --schema FILE       a JSON Schema file (draft-04, -06, -07, 2019-09 or 2020-12) (required)
  --strategy KIND     greedy, temperature, top-k, top-p, min-p or best-of-n (default temperature, T = 1)
  --candidates N      best-of-N's N
  --samples N         test-time compute's N (default ${STRUCTURED_DEFAULTS.samples})
  --retries N         prompting's re-asks after the first try (default ${STRUCTURED_DEFAULTS.maxRetries})
  --routes LIST       comma-separated subset of: ${ROUTE_IDS.join(', ')}
  --strict-properties constrained sampling writes only the properties the schema names,
                      even where its additionalProperties allows others (off by default)
  --seed N            base seed; sample i hashes (seed, prompt, i) (default ${STRUCTURED_DEFAULTS.seed})
  --max-tokens N      new tokens per try (default ${STRUCTURED_DEFAULTS.maxNewTokens})
${MODEL_USAGE}
${ENDPOINT_USAGE}
                      With --endpoint the server samples every route, and the constrained
                      route is its response_format json_schema; without --chat or --raw the
                      routes chat where the server has it on chat only (OpenAI, Ollama,
                      LM Studio), and --raw there refuses the constrained route by name
  --json              machine-readable output
  -h, --help          this help

The strategy's sampler stages, one flag per parameter:
${samplerFlagsHelp()}`;

export interface JsonArgs extends ModelArgs {
  schemaFile: string;
  prompt: string;
  strategy: Strategy;
  samples: number;
  maxRetries: number;
  routes: RouteId[];
  /** The constrained route refuses properties the schema does not name (named on its card). */
  strictProperties: boolean;
  /** Run on an OpenAI-compatible server instead of a local model. */
  endpoint?: EndpointArgs;
}

export function parseJsonArgs(argv: string[]): JsonArgs | 'help' {
  const parsed = parseFlags(
    argv,
    {
      schema: { type: 'string' },
      strategy: { type: 'string' },
      ...SAMPLER_OPTIONS,
      candidates: { type: 'string' },
      samples: { type: 'string' },
      'strict-properties': { type: 'boolean' },
      retries: { type: 'string' },
      routes: { type: 'string' },
      ...MODEL_OPTIONS,
      ...ENDPOINT_OPTIONS,
    },
    JSON_USAGE,
    { negatives: true },
  );
  const v = parsed.values;
  if (v.help) return 'help';
  if (v.schema === undefined) throw new UsageError(`--schema is required: the JSON Schema file the output must match.\n\n${JSON_USAGE}`);
  const prompt = promptArgument(parsed.positionals, JSON_USAGE);
  const device = deviceFlag(v.device);
  const kind = kindFromName(v.strategy ?? 'temperature');
  if (!kind || kind === 'custom') throw new UsageError(`Unknown strategy "${v.strategy}". Use one of: greedy, temperature, top-k, top-p, min-p, best-of-n.`);
  const settings: Record<string, unknown> = { kind, ...(kind === 'temperature' && { temperature: 1.0 }), ...samplerSettingsFromFlags(v) };
  if (v.candidates !== undefined) settings.candidates = real('--candidates', v.candidates as string);
  let strategy: Strategy;
  try {
    strategy = strategyFromSettings(settings, kind);
  } catch (e) {
    if (!(e instanceof StrategyError)) throw e;
    const field = e.setting.split('.').pop() ?? '';
    const flag = field === 'candidates' ? '--candidates' : (flagOfSetting(field) ?? field);
    throw new UsageError(e.message.replace(`${kind}.${field}`, flag));
  }
  const endpoint = endpointArgs(v);
  if (endpoint && v['strict-properties']) throw new UsageError('--strict-properties shapes our own mask; with --endpoint the server enforces the schema as given. Drop one of them.');
  const routes = v.routes === undefined ? [...ROUTE_IDS] : v.routes.split(',').map((r) => r.trim().replace(/-/g, '_')).filter(Boolean);
  const unknown = routes.filter((r) => !(ROUTE_IDS as readonly string[]).includes(r));
  if (unknown.length > 0 || routes.length === 0) throw new UsageError(`--routes takes a comma-separated subset of: ${ROUTE_IDS.join(', ')} (got "${v.routes}").`);
  return {
    schemaFile: v.schema,
    prompt,
    strategy,
    samples: integer('--samples', v.samples, STRUCTURED_DEFAULTS.samples, 1, 64),
    maxRetries: integer('--retries', v.retries, STRUCTURED_DEFAULTS.maxRetries, 0, 10),
    routes: routes as RouteId[],
    seed: integer('--seed', v.seed, STRUCTURED_DEFAULTS.seed, 0, 0xffffffff),
    maxNewTokens: integer('--max-tokens', v['max-tokens'], STRUCTURED_DEFAULTS.maxNewTokens, 1, 4096),
    model: v.model,
    device,
    dtype: dtypeFlag(v.dtype),
    threads: threadsFlag(v.threads),
    format: promptFormatFlags(v),
    json: v.json ?? false,
    strictProperties: v['strict-properties'] ?? false,
    ...(endpoint ? { endpoint } : {}),
  };
}


/** Reads and checks the schema before the model loads, so a bad file fails in milliseconds. */
export function readSchemaFile(file: string): unknown {
  if (!fs.existsSync(file)) throw new UsageError(`--schema: ${file} does not exist.`);
  if (fs.statSync(file).isDirectory()) throw new UsageError(`--schema: ${file} is a folder; pass a .schema.json file.`);
  const schema = parseSchemaText(fs.readFileSync(file, 'utf8'), file);
  checkSchema(schema, file);
  return schema;
}

export async function json(argv: string[]): Promise<number> {
  const args = parseJsonArgs(argv);
  if (args === 'help') {
    console.log(JSON_USAGE);
    return 0;
  }
  checkPromptText(args.prompt);
  const schema = readSchemaFile(args.schemaFile);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const engine = await openCliEngine(args, args.json, abort.signal, { strictProperties: args.strictProperties });
    try {
      // A server takes the format with each request (neither --chat nor --raw: chat where its json_schema needs chat); a local model was loaded in it.
      const format = args.endpoint ? args.format : undefined;
      const result = await routesOn(engine)(args.prompt, schema, { ...routeOptions(args, abort.signal), format });
      const sampledBy = engine.capabilities.sampling === 'server' ? `the server (${engine.where})` : undefined;
      const table = renderRoutesTable(result, process.stdout.columns ?? 160);
      console.log(args.json ? JSON.stringify(sampledBy ? { ...result, sampledBy } : result, null, 2) : sampledBy ? `sampled by ${sampledBy}\n${table}` : table);
      return abort.signal.aborted ? 130 : 0;
    } finally {
      await engine.dispose();
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function routeOptions(args: JsonArgs, signal: AbortSignal): EngineRoutesOptions {
  return { strategy: args.strategy, seed: args.seed, maxNewTokens: args.maxNewTokens, maxRetries: args.maxRetries, samples: args.samples, routes: args.routes, signal, schemaSource: args.schemaFile };
}

/** The routes as columns: status, cost, note, then the output and its errors, each cut to the column. */
export function renderRoutesTable(result: StructuredRoutesResult, terminalWidth = 160): string {
  const gap = ' │ ';
  const n = result.routes.length;
  const width = Math.max(24, Math.floor((terminalWidth - gap.length * (n - 1)) / Math.max(1, n)));
  const columns = result.routes.map((r) => {
    const lines = [
      r.title,
      '─'.repeat(Math.min(width, r.title.length)),
      r.error ? '– not run' : r.valid ? '✓ valid' : '✗ invalid',
      `tries ${r.tries} · tokens ${r.tokens} · ${r.timeMs.toFixed(0)} ms`,
      ...wrap(r.note, width),
    ];
    if (r.engine) lines.push(...wrap(`engine ${r.engine}: ${r.engineReason ?? ''}`, width));
    const allowed = r.outputTokens.filter((t) => t.allowed !== undefined).map((t) => t.allowed!);
    if (allowed.length > 0) lines.push(...wrap(`allowed per step: median ${median(allowed)} of ${r.vocabSize.toLocaleString('en-US')}`, width));
    lines.push('');
    if (r.error) lines.push(...wrap(r.error, width));
    else lines.push(...r.output.split('\n').flatMap((l) => wrap(l, width)));
    if (r.issues.length > 0) {
      lines.push('', 'errors:');
      for (const issue of formatIssues(r.issues)) lines.push(...wrap(`  ${issue}`, width));
    }
    return lines;
  });
  const height = Math.max(...columns.map((c) => c.length));
  const out = [`prompt ${JSON.stringify(result.prompt)} · strategy ${result.strategy} · seed ${result.seed} · ${result.elapsedMs.toFixed(0)} ms`];
  if (result.truncatedNotice) out.push(`note: ${result.truncatedNotice}`);
  out.push('');
  for (let i = 0; i < height; i++) out.push(columns.map((c) => (c[i] ?? '').padEnd(width)).join(gap).trimEnd());
  return out.join('\n');
}

function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  for (let rest = text; rest.length > 0; ) {
    if (rest.length <= width) {
      lines.push(rest);
      break;
    }
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > width / 2 ? cut : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^ /, '');
  }
  return lines;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
