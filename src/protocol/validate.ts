/**
 * Validators for every message of messages.ts. Each side calls the one for what it receives;
 * a message that fails is reported (logged, and answered with `protocolError` by the webview)
 * and dropped, never half-handled.
 *
 * Hand-written checkers rather than a schema library: the protocol is small, and the
 * checkers double as its executable specification.
 */
import type { Dtype } from '../core/model/hubModel';
import type { DevicePreference, WebviewBackend } from '../core/model/backends';
import type {
  BranchRecord,
  CachedResponse,
  JsonSchema,
  HostToWebview,
  ModelSpec,
  RiskReport,
  RunOptions,
  RunRecord,
  StructuredRun,
  StrategyView,
  WebviewToHost,
  WorkerEvent,
  WorkerRequest,
} from './messages';
import type { CompareResult, Completion, Strategy, StrategyResult, TokenEvent, TokenInfo } from '../core/decode/types';
import type { StageType } from '../core/sampling/types';
import type { Attempt, RouteResult, StructuredRoutesResult } from '../core/structured/routes';
import type { ValidationIssue } from '../core/structured/schema';
import type { ExplorerReply, ExplorerRequest } from '../core/explorer/messages';
import { validateExplorerReply, validateExplorerRequest } from './explorer';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export type Validation<T> = { ok: true; message: T } | { ok: false; error: string };

type Check<T> = (value: unknown, at: string) => T;

const fail = (at: string, expected: string, value: unknown): never => {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new ProtocolError(`${at} must be ${expected} (got ${got})`);
};

const str: Check<string> = (v, at) => (typeof v === 'string' ? v : fail(at, 'a string', v));
// Log-probs may be -Infinity and are still numbers; only the type is checked.
const num: Check<number> = (v, at) => (typeof v === 'number' ? v : fail(at, 'a number', v));
/**
 * A log-prob or probability that may be unknown: a server that samples says nothing of its own
 * chain's probabilities (NaN), and a cut token's log-prob is −∞. Messages and storage are JSON,
 * which turns both into null; readers show null as unknown.
 */
const logprob: Check<number> = (v, at) => (v === null || typeof v === 'number' ? (v as number) : fail(at, 'a number or null', v));
const bool: Check<boolean> = (v, at) => (typeof v === 'boolean' ? v : fail(at, 'a boolean', v));
const int: Check<number> = (v, at) => (Number.isInteger(v) ? (v as number) : fail(at, 'an integer', v));
/** The explorer's own messages, checked by its own validators (explorer.ts), which say what is wrong. */
const explorerRequest: Check<ExplorerRequest> = (v, at) => {
  const checked = validateExplorerRequest(v);
  return typeof checked === 'string' ? fail(at, `an explorer request (${checked})`, v) : checked;
};
const explorerReply: Check<ExplorerReply> = (v, at) => {
  const checked = validateExplorerReply(v);
  return typeof checked === 'string' ? fail(at, `an explorer reply (${checked})`, v) : checked;
};
const bytes: Check<Uint8Array> = (v, at) => (v instanceof Uint8Array ? v : fail(at, 'a Uint8Array', v));

function oneOf<T extends string>(...values: T[]): Check<T> {
  return (v, at) => ((values as unknown[]).includes(v) ? (v as T) : fail(at, `one of ${values.join(', ')}`, v));
}

function arr<T>(item: Check<T>): Check<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) return fail(at, 'an array', v);
    return v.map((x, i) => item(x, `${at}[${i}]`));
  };
}

function optional<T>(check: Check<T>): Check<T | undefined> {
  return (v, at) => (v === undefined ? undefined : check(v, at));
}

/** An object used as a map: every value passes `value`. */
function dict<T>(value: Check<T>): Check<Record<string, T>> {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(at, 'an object', v);
    for (const [key, x] of Object.entries(v)) value(x, `${at}.${key}`);
    return v as Record<string, T>;
  };
}

/** Plain JSON (what settings.json can hold), at most `depth` levels deep: no functions, no NaN, no cycles. */
function json(depth = 8): Check<unknown> {
  const check: Check<unknown> = (v, at) => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : fail(at, 'a finite number', v);
    if (depth <= 0) return fail(at, 'nested at most 8 levels', v);
    if (Array.isArray(v)) return arr(json(depth - 1))(v, at);
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return dict(json(depth - 1))(v, at);
    return fail(at, 'JSON', v);
  };
  return check;
}

/** An entry of `samplingLab.strategies`: any JSON object (its values are checked by strategyEdits' checkStrategies). */
const strategyEntry = dict(json());

type Shape = Record<string, Check<unknown>>;
type FromShape<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** Checks the listed fields; extra fields are kept (a newer peer may add some). */
function obj<S extends Shape>(shape: S): Check<FromShape<S>> {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(at, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const [key, check] of Object.entries(shape)) check(record[key], `${at}.${key}`);
    return v as FromShape<S>;
  };
}

// ---------------------------------------------------------------- shared payloads

/**
 * Every stage type of the registry (src/core/sampling/registry.ts). The protocol may not import
 * core values, so the list is spelled here and the compiler checks it against StageType both
 * ways: a stage added to the registry and not here fails to compile.
 */
const STAGE_TYPE_NAMES = [
  'logit_bias', 'repetition_penalty', 'penalties', 'dry', 'temperature', 'top_k', 'top_n_sigma',
  'typical_p', 'top_p', 'min_p', 'eta', 'epsilon', 'xtc', 'mirostat_v2',
] as const satisfies readonly StageType[];
const everyStageListed: Exclude<StageType, (typeof STAGE_TYPE_NAMES)[number]> extends never ? true : never = true;
void everyStageListed;
const stageCheck = obj({ type: oneOf(...STAGE_TYPE_NAMES) });
const strategy: Check<Strategy> = obj({
  name: str,
  kind: oneOf('greedy', 'temperature', 'top_k', 'top_p', 'min_p', 'best_of_n', 'custom'),
  sampler: obj({ stages: arr(stageCheck), select: oneOf('sample', 'greedy') }),
  candidates: optional(int),
}) as Check<Strategy>;

const strategyView: Check<StrategyView> = obj({ strategy, chain: str });
const runOptions: Check<RunOptions> = obj({ maxNewTokens: int, stopStrings: optional(arr(str)), seed: int, samples: int, chat: optional(bool), system: optional(str) });
/** core/model/hubModel's DTYPES (protocol imports core for types only); `satisfies` keeps the list to real dtypes. */
const DTYPE_NAMES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const satisfies readonly Dtype[];
const modelSpec: Check<ModelSpec> = obj({ name: str, id: str, via: oneOf('fetch', 'host'), baseUrl: str, dtype: optional(oneOf(...DTYPE_NAMES)), externalData: optional(arr(str)) });
/** core/model/backends' lists (protocol imports core for types only); `satisfies` keeps them to its names. */
const backend = oneOf(...(['webgpu', 'wasm'] as const satisfies readonly WebviewBackend[]));
const devicePreference = oneOf(...(['auto', 'webgpu', 'wasm'] as const satisfies readonly DevicePreference[]));

const alternative = obj({ token: int, prob: num, logprob, text: str });
const tokenInfo: Check<TokenInfo> = obj({
  token: int,
  text: str,
  logprobRaw: logprob,
  logprobSampling: logprob,
  candidates: int,
  alternatives: arr(alternative),
}) as Check<TokenInfo>;
const tokenEvent: Check<TokenEvent> = obj({ strategy: int, sample: int, step: int, token: tokenInfo });

const completion: Check<Completion> = obj({
  text: str,
  tokens: arr(tokenInfo),
  seed: int,
  finishReason: oneOf('eos', 'stop', 'length', 'context', 'aborted'),
  meanLogprob: logprob,
  sumLogprob: logprob,
});
const strategyResult: Check<StrategyResult> = obj({
  strategy,
  best: completion,
  completions: arr(completion),
  bestIndex: int,
  elapsedMs: num,
  tokensPerSecond: num,
});
const compareResult: Check<CompareResult> = obj({
  prompt: str,
  promptTokens: int,
  renderedPrompt: optional(str),
  promptFormat: optional(oneOf('raw', 'chat')),
  truncatedNotice: optional(str),
  model: str,
  device: str,
  results: arr(strategyResult),
  prefillMs: num,
  elapsedMs: num,
  tokensPerSecond: num,
  sampledBy: optional(str),
  refused: optional(arr(obj({ strategy, reason: str }))),
}) as Check<CompareResult>;

const riskReport: Check<RiskReport> = obj({
  mainStrategy: int,
  samplesStrategy: int,
  answer: str,
  risk: num,
  band: oneOf('Low', 'Medium', 'High', 'uncalibrated'),
  parts: obj({ disagreement: num, entropy: num, unbacked: num, lowConfidence: num, weakestToken: num }),
  calibration: optional(obj({ model: str, fitted: optional(str) })),
  agreementMethod: optional(str),
  explanation: str,
  samples: int,
  agreement: num,
  majorityShare: num,
  entropy: num,
  mainCluster: int,
  clusters: arr(obj({ size: int, example: str, members: arr(int) })),
  sentences: arr(obj({ text: str, start: int, end: int, risk: num, weakestWords: arr(str) })),
  meanLogprob: optional(num),
  minLogprob: optional(num),
});

// Structured output (Generate JSON for Selection).
const jsonSchema: Check<JsonSchema> = (v, at) =>
  typeof v === 'boolean' || (typeof v === 'object' && v !== null && !Array.isArray(v)) ? (v as JsonSchema) : fail(at, 'a JSON schema (an object or a boolean)', v);
const validationIssue: Check<ValidationIssue> = obj({ path: str, message: str });
/** A token of a route's output; constrained tokens also say how many tokens the grammar allowed. */
const routeToken: Check<TokenInfo> = (v, at) => {
  tokenInfo(v, at);
  optional(int)((v as { allowed?: unknown }).allowed, `${at}.allowed`);
  return v as TokenInfo;
};
const attempt: Check<Attempt> = obj({ text: str, valid: bool, issues: arr(validationIssue), tokens: int, meanLogprob: num });
const routeResult: Check<RouteResult> = obj({
  route: oneOf('prompting', 'repair', 'constrained', 'test_time'),
  title: str,
  output: str,
  valid: bool,
  issues: arr(validationIssue),
  tries: int,
  tokens: int,
  timeMs: num,
  note: str,
  error: optional(str),
  attempts: arr(attempt),
  outputTokens: arr(routeToken),
  // Ours (xgrammar, …) or a server's json_schema ("server json_schema (vllm at …)").
  engine: optional(str),
  engineReason: optional(str),
  vocabSize: int,
}) as Check<RouteResult>;
const structuredRoutesResult: Check<StructuredRoutesResult> = obj({
  prompt: str,
  strategy: str,
  seed: int,
  routes: arr(routeResult),
  elapsedMs: num,
  truncatedNotice: optional(str),
}) as Check<StructuredRoutesResult>;
const structuredRun: Check<StructuredRun> = obj({
  schema: jsonSchema,
  schemaSource: str,
  maxRetries: int,
  routes: arr(routeResult),
  elapsedMs: optional(num),
  truncatedNotice: optional(str),
}) as Check<StructuredRun>;

const branchRecord: Check<BranchRecord> = obj({
  strategyIndex: int,
  step: int,
  tokenText: str,
  text: str,
  firstText: str,
  continuedBy: optional(str),
  retokenized: optional(str),
  state: optional(oneOf('running', 'aborted', 'failed')),
  error: optional(str),
});

const runEngine = obj({
  sampledBy: str,
  distribution: oneOf('full', 'top-logprobs', 'none'),
  maxTopLogprobs: int,
  notes: arr(str),
  refused: arr(obj({ strategy: str, reason: str })),
  modelSetting: optional(str),
  branchRefused: optional(str),
  explorer: optional(oneOf('host')),
});

const runRecord: Check<RunRecord> = obj({
  id: str,
  kind: optional(oneOf('compare', 'risk', 'json')),
  startedAt: str,
  prompt: str,
  model: str,
  backend: optional(backend),
  dtype: optional(oneOf(...DTYPE_NAMES)),
  options: runOptions,
  strategies: arr(strategyView),
  status: oneOf('running', 'done', 'aborted', 'failed'),
  result: optional(compareResult),
  error: optional(str),
  promptSource: optional(oneOf('string-literal')),
  insertAt: optional(obj({ uri: str, line: int, character: int })),
  risks: optional(arr(riskReport)),
  cached: optional(bool),
  structured: optional(structuredRun),
  branches: optional(arr(branchRecord)),
  engine: optional(runEngine),
  // A side-by-side's models are runs themselves (checked lazily: the checker is being defined).
  models: optional((v, at) => arr(runRecord)(v, at)),
  modelSource: optional(str),
});

const cachedResponse: Check<CachedResponse> = obj({
  key: str,
  savedAt: str,
  model: str,
  backend: optional(backend),
  result: compareResult,
  risks: optional(arr(riskReport)),
});

// ---------------------------------------------------------------- messages

const id = { requestId: str };

const hostToWebviewShapes = {
  loadModel: obj({ ...id, model: modelSpec, device: devicePreference, runtime: obj({ wasmUrl: str }) }),
  unloadModel: obj(id),
  compare: obj({ ...id, prompt: str, strategies: arr(strategyView), options: runOptions, firstSample: optional(int), topAlternatives: optional(int) }),
  structured: obj({ ...id, prompt: str, strategy: strategyView, options: runOptions, maxRetries: int, schema: jsonSchema, schemaSource: str }),
  cancel: obj(id),
  fileData: obj({ ...id, data: bytes }),
  fileError: obj({ ...id, status: int, error: str }),
  history: obj({ runs: arr(runRecord), maxRuns: int }),
  runUpdated: obj({ run: runRecord }),
  runTokens: obj({ ...id, events: arr(tokenEvent) }),
  preferenceRecorded: obj({ runId: str, chosen: int, rejected: int, file: optional(str), error: optional(str) }),
  strategySettings: obj({
    strategies: arr(strategyEntry),
    source: oneOf('default', 'user', 'workspace'),
    workspace: bool,
    saved: optional(bool),
    error: optional(str),
    warning: optional(str),
  }),
  runDefaults: obj({ maxNewTokens: int }),
  branchProgress: obj({ branchId: str, runId: str, branch: branchRecord }),
  hostExplorerReply: obj({ reply: explorerReply }),
} satisfies Record<HostToWebview['type'], Check<unknown>>;

const workerEventShapes = {
  loadProgress: obj({ ...id, status: str, file: str, loaded: num, total: num }),
  modelLoaded: obj({ ...id, model: str, backend, fallbackReason: optional(str), loadMs: num }),
  modelUnloaded: obj(id),
  tokens: obj({ ...id, events: arr(tokenEvent) }),
  compareDone: obj({ ...id, result: compareResult }),
  routeDone: obj({ ...id, result: routeResult }),
  structuredDone: obj({ ...id, result: structuredRoutesResult }),
  requestFailed: obj({ ...id, error: str, errorName: str }),
  readFile: obj({ ...id, path: str }),
  log: obj({ level: oneOf('trace', 'debug', 'info', 'warn', 'error'), message: str }),
} satisfies Record<WorkerEvent['type'], Check<unknown>>;

const webviewToHostShapes = {
  ...workerEventShapes,
  ready: obj({ protocolVersion: int }),
  insert: obj({ runId: str, text: str, strategy: optional(int) }),
  copy: obj({ text: str }),
  prefer: obj({ runId: str, chosen: int, rejected: int }),
  branchAdded: obj({ runId: str, branch: branchRecord }),
  // Which texts a step may branch with is the host's check, against the run it keeps.
  branchContinue: obj({ branchId: str, runId: str, strategyIndex: int, sample: int, step: int, tokenText: str }),
  branchStop: obj({ branchId: str }),
  hostExplorer: obj({ runId: str, request: explorerRequest }),
  stop: obj({}),
  tokensStreamed: obj({ ...id, count: int }),
  saveStrategies: obj({ strategies: arr(strategyEntry), base: arr(strategyEntry), target: oneOf('user', 'workspace') }),
  runAction: obj({ runId: str, action: oneOf('exportMarkdown', 'exportJson', 'delete') }),
  // Ranges (max tokens, how many stop strings) are checked by the host, which answers with why.
  runInputs: obj({ maxNewTokens: optional(int), stopStrings: arr(str), invalid: optional(str) }),
  protocolError: obj({ error: str, requestId: optional(str) }),
} satisfies Record<WebviewToHost['type'], Check<unknown>>;

const workerRequestTypes: readonly WorkerRequest['type'][] = ['loadModel', 'unloadModel', 'compare', 'structured', 'cancel', 'fileData', 'fileError'];

function byType<T>(shapes: Record<string, Check<unknown>>, value: unknown, allowed?: readonly string[]): Validation<T> {
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('message', 'an object', value);
    const type = (value as { type?: unknown }).type;
    if (typeof type !== 'string' || !Object.hasOwn(shapes, type) || (allowed && !allowed.includes(type))) {
      throw new ProtocolError(`unknown message type ${JSON.stringify(type)}`);
    }
    shapes[type]!(value, type);
    return { ok: true, message: value as T };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

export function validateHostToWebview(value: unknown): Validation<HostToWebview> {
  return byType(hostToWebviewShapes, value);
}

export function validateWorkerRequest(value: unknown): Validation<WorkerRequest> {
  return byType(hostToWebviewShapes, value, workerRequestTypes);
}

export function validateWorkerEvent(value: unknown): Validation<WorkerEvent> {
  return byType(workerEventShapes, value);
}

export function validateWebviewToHost(value: unknown): Validation<WebviewToHost> {
  return byType(webviewToHostShapes, value);
}

/** For history read back from storage, which an older version may have written. */
export function validateRunRecords(value: unknown): Validation<RunRecord[]> {
  try {
    return { ok: true, message: arr(runRecord)(value, 'history') };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** For the response cache read back from storage. */
export function validateCachedResponses(value: unknown): Validation<CachedResponse[]> {
  try {
    return { ok: true, message: arr(cachedResponse)(value, 'response cache') };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
