/**
 * The one message protocol between the extension host, the panel (webview) and the model
 * worker inside it. Both sides import these types, and both validate what they receive
 * (validate.ts): a webview is another process, and a malformed message must become a logged
 * error, never a crash.
 *
 * Requests carry a `requestId` chosen by the host; every reply, progress event and `cancel`
 * names it, so replies are matched and a cancel stops exactly the run it names.
 */
import type { DevicePreference, WebviewBackend } from '../core/model/backends';
import type { Dtype } from '../core/model/hubModel';
import type { RiskLevel, RiskParts } from '../core/consistency/risk';
import type { CompareResult, Strategy, TokenEvent } from '../core/decode/types';
import type { StrategyEntry } from '../core/decode/strategyEdits';
import type { RouteResult, StructuredRoutesResult } from '../core/structured/routes';
import type { ExplorerReply, ExplorerRequest } from '../core/explorer/messages';

/** Bumped when a message changes shape; the webview reports it in `ready`. */
export const PROTOCOL_VERSION = 7;

/** What the user asked for in `samplingLab.device`. */
export type { DevicePreference };
/** What actually runs the model. */
export type Backend = WebviewBackend;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * Where the worker loads a model from.
 * - `fetch`: files under `baseUrl` (a webview resource URI of the extension's models folder or a
 *   hub cache), fetched by the panel's document for the worker (src/protocol/resources.ts).
 * - `host`: files the host reads from a folder on disk and sends as `fileData`; the webview may
 *   only fetch from the extension's own folders (localResourceRoots).
 */
export interface ModelSpec {
  /** Shown in the status bar and on cards. */
  name: string;
  /** transformers.js model id: the folder name under `baseUrl`. */
  id: string;
  via: 'fetch' | 'host';
  baseUrl: string;
  /** The weights to load (onnx/model{suffix}.onnx); fp32 when absent. */
  dtype?: Dtype;
  /** The external data files that graph names, relative to its folder (onnx/); absent when its weights are inline. */
  externalData?: string[];
}

/** A strategy as the panel shows it: the exact chain that runs, printed in order. */
export interface StrategyView {
  strategy: Strategy;
  /** The chain's own description, e.g. "temperature(0.8) -> top-p(0.9) -> sample". */
  chain: string;
}

export interface RunOptions {
  maxNewTokens: number;
  /** Completions end where one of these appears (not included); absent or empty: at EOS or maxNewTokens only. */
  stopStrings?: string[];
  seed: number;
  samples: number;
  /** true: the prompt goes through the model's chat template; false: raw; absent: the template when the model has one. */
  chat?: boolean;
  /** A system message before the prompt (chat only). */
  system?: string;
}

/**
 * A sentence at or above this risk is "not backed by the samples": highlighted as high in the
 * panel and marked in the editor. The same cut the core's explanation uses ("n of m sentences
 * are not backed").
 */
export const UNBACKED_SENTENCE_RISK = 0.5;

/**
 * The self-consistency check of one answer (core/consistency's `scoreConsistency`, as the panel
 * and history keep it): the answer is the shown completion of strategy `mainStrategy`, the
 * samples are the completions of strategy `samplesStrategy`.
 */
export interface RiskReport {
  mainStrategy: number;
  samplesStrategy: number;
  /** The checked answer: what Insert puts in the editor, and what sentence offsets index. */
  answer: string;
  /** In [0, 1]: P(wrong) under the model's own calibration, or the mean of the sample parts when uncalibrated. */
  risk: number;
  /** Low / Medium / High, or 'uncalibrated' (no calibration for this model: no band is shown). */
  band: RiskLevel;
  /** The parts of the risk, each in [0, 1], larger = riskier. */
  parts: RiskParts;
  /** The model's calibration, when it has one: its model name and when it was fitted. */
  calibration?: { model: string; fitted?: string };
  /** How the samples were grouped and the sentences checked: 'lexical' (default), 'nli' or 'prompt'. */
  agreementMethod?: string;
  /** One line a person can check against the samples, e.g. "5 of 8 samples name a different city". */
  explanation: string;
  /** N, the number of samples. */
  samples: number;
  /** Share of samples in the answer's cluster. */
  agreement: number;
  majorityShare: number;
  /** Over clusters, in nats. */
  entropy: number;
  /** The cluster the answer falls in, or -1 when no sample agrees with it. */
  mainCluster: number;
  /** Largest first; `members` index the samples. */
  clusters: { size: number; example: string; members: number[] }[];
  /** The answer's sentences with offsets into `answer`. */
  sentences: { text: string; start: number; end: number; risk: number; weakestWords: string[] }[];
  /** The answer's mean and lowest token log-prob; absent when not finite (JSON has no -Infinity). */
  meanLogprob?: number;
  minLogprob?: number;
}

/** What a run is for: a side-by-side comparison, a hallucination-risk check, or JSON by the four structured-output routes. */
export type RunKind = 'compare' | 'risk' | 'json';

/** A JSON schema as given: an object, or `true`/`false`. */
export type JsonSchema = Record<string, unknown> | boolean;

/**
 * What a JSON run (Generate JSON for Selection) keeps beside its RunRecord: the schema, where it
 * came from, and each route's result. The routes sample with the run's one strategy; its options
 * are the budget (`maxNewTokens`), the base seed and test-time compute's N (`samples`).
 */
export interface StructuredRun {
  schema: JsonSchema;
  /** Where the schema came from, e.g. "person.schema.json" or "inferred from the example in the selection". */
  schemaSource: string;
  /** Prompting's re-asks after the first try. */
  maxRetries: number;
  /** The routes finished so far, in the order they ran; all four when the run is done. */
  routes: RouteResult[];
  elapsedMs?: number;
  truncatedNotice?: string;
}

/**
 * A branch of a card: the completion decoded after forcing alternative token `tokenText` at
 * `step` of strategy `strategyIndex`'s shown completion (the explorer's "Branch from here").
 */
export interface BranchRecord {
  strategyIndex: number;
  step: number;
  tokenText: string;
  /** The whole branch completion, the forced token first. */
  text: string;
  /** The forced token's text, shown underlined. */
  firstText: string;
  /**
   * Set when a server continued it from the text prefix (branching by continuation): who, e.g.
   * "vLLM at gpu-box:8000". The text after the forced token is the server's.
   */
  continuedBy?: string;
  /** Set when the server read prompt + prefix as other tokens than the card had: what it counted. */
  retokenized?: string;
  /** Absent: finished. 'running' while it streams; 'aborted' (Stop: the tokens that arrived) or 'failed' (with `error`). */
  state?: 'running' | 'aborted' | 'failed';
  error?: string;
}

/**
 * A run on an engine that is not the panel's own model (a server): who sampled, what the
 * explorer can show, and the strategies it refused, each on its card by name. Absent: the
 * panel's model ran it with the full distribution.
 */
export interface RunEngine {
  /** "the server (vLLM at gpu-box:8000)". */
  sampledBy: string;
  /** The engine's capabilities' distribution: the explorer is approximate on 'top-logprobs', unavailable on 'none'. */
  distribution: 'full' | 'top-logprobs' | 'none';
  /** Alternatives per step the engine returns. */
  maxTopLogprobs: number;
  /** What its capabilities change, one sentence each (core/engine capabilityNotes). */
  notes: string[];
  /** Strategies not run, by name, with the reason ("min-p: not supported by api.openai.com"). */
  refused: { strategy: string; reason: string }[];
  /** The `samplingLab.model` value that opened the engine ("endpoint:NAME"): a branch by continuation re-opens it. */
  modelSetting?: string;
  /** Why Branch is off on its cards (no completions endpoint, a chat run); absent with `modelSetting`: branching by continuation. */
  branchRefused?: string;
  /**
   * 'host': the run's model has the full distribution but runs in the extension host (llama.cpp
   * on a GGUF file), not in the panel's worker, so the explorer asks the host (hostExplorer).
   */
  explorer?: 'host';
}

/** One run as kept in history (workspace storage and webview state). */
export interface RunRecord {
  id: string;
  /** Absent in history written before risk checks existed: a comparison. */
  kind?: RunKind;
  /** ISO time the run started. */
  startedAt: string;
  prompt: string;
  model: string;
  backend?: Backend;
  /** The weights the run used (fp32, q8, …), when known. */
  dtype?: Dtype;
  options: RunOptions;
  strategies: StrategyView[];
  status: 'running' | 'done' | 'aborted' | 'failed';
  result?: CompareResult;
  error?: string;
  /** 'string-literal': the prompt is the value of a string literal in code (escapes decoded, parts joined), not the text as written. */
  promptSource?: 'string-literal';
  /** Where Insert puts a completion: the end of the selection the prompt came from. */
  insertAt?: { uri: string; line: number; character: number };
  /**
   * Risk of each shown completion that has samples to check it against: for a risk check, the
   * greedy answer against N samples; for a comparison, each card with several completions.
   */
  risks?: RiskReport[];
  /** The result came from the response cache, not from the model. */
  cached?: boolean;
  /** A JSON run's schema and route results (kind `json`; `result` stays empty). */
  structured?: StructuredRun;
  /** Branches made from its cards, oldest first. */
  branches?: BranchRecord[];
  /** Set when a server ran it rather than the panel's model. */
  engine?: RunEngine;
  /**
   * Models side by side (Compare Models on Selection): one record per model, in the order they
   * ran, each with the same strategies, options and seed and its own cards, result and error.
   * The record holding them has no result of its own; `model` names them all.
   */
  models?: RunRecord[];
  /** On one model of a side-by-side: where the model came from ("bundled", "folder /path", "hub owner/name", "endpoint NAME"). */
  modelSource?: string;
}

/** A finished run's outcome as the host's response cache keeps it (workspace storage). */
export interface CachedResponse {
  /** Hash of everything that decides the tokens: kind, prompt, model, device, strategies, options. */
  key: string;
  /** ISO time the run that produced it finished. */
  savedAt: string;
  model: string;
  backend?: Backend;
  result: CompareResult;
  risks?: RiskReport[];
}

// ---------------------------------------------------------------- host -> webview (and worker)

export interface LoadModelRequest {
  type: 'loadModel';
  requestId: string;
  model: ModelSpec;
  device: DevicePreference;
  /** Where the worker finds onnxruntime-web's .wasm (a webview URI inside dist/). */
  runtime: { wasmUrl: string };
}
export interface UnloadModelRequest {
  type: 'unloadModel';
  requestId: string;
}
export interface CompareRequest {
  type: 'compare';
  requestId: string;
  prompt: string;
  strategies: StrategyView[];
  options: RunOptions;
  /** The index of the first sequence (default 0): a prompt test's further samples of a prompt draw on from there. */
  firstSample?: number;
  /** Raw-distribution alternatives per token (default 5; a prompt test asks for none). */
  topAlternatives?: number;
}
/** Generate JSON for Selection: the four structured-output routes on one prompt and schema, in the worker. */
export interface StructuredRequest {
  type: 'structured';
  requestId: string;
  prompt: string;
  /** The strategy every route samples with. */
  strategy: StrategyView;
  /** maxNewTokens per try, the base seed, and test-time compute's N as `samples`. */
  options: RunOptions;
  maxRetries: number;
  schema: JsonSchema;
  schemaSource: string;
}
/** The host's answer to a `prefer` action: the file the pair went to, or why it did not. */
export interface PreferenceRecorded {
  type: 'preferenceRecorded';
  runId: string;
  chosen: number;
  rejected: number;
  /** Workspace-relative path of the preferences file, when recorded. */
  file?: string;
  error?: string;
}
/** Stops the load or run named by `requestId`. */
export interface CancelRequest {
  type: 'cancel';
  requestId: string;
}
/** Reply to `readFile`: the bytes of a model file from a folder on disk. */
export interface FileDataReply {
  type: 'fileData';
  requestId: string;
  data: Uint8Array;
}
export interface FileErrorReply {
  type: 'fileError';
  requestId: string;
  /** 404 when the file does not exist (transformers.js treats optional files that way). */
  status: number;
  error: string;
}
/** The whole history, sent when the panel starts and whenever it changes. */
export interface HistoryUpdate {
  type: 'history';
  runs: RunRecord[];
  /** `samplingLab.history.maxRuns`: the panel keeps no more runs than the host stores. */
  maxRuns: number;
}

/**
 * A run as the host finished it: scored (risks), stored, or served from the response cache.
 * It replaces the panel's copy of the run (or adds it, for a cached run the panel never saw).
 */
export interface RunUpdate {
  type: 'runUpdated';
  run: RunRecord;
}

/** Where the panel's strategy editor saves: user settings, or the workspace's .vscode/settings.json. */
export type SettingsTarget = 'user' | 'workspace';

/**
 * `samplingLab.strategies` as it is now, for the panel's strategy editor: sent when the panel
 * starts, whenever the setting changes, and as the reply to `saveStrategies`.
 */
export interface StrategySettingsUpdate {
  type: 'strategySettings';
  /** The list in effect, entries exactly as written in settings. */
  strategies: StrategyEntry[];
  /** Where that list comes from: a workspace's list overrides the user's, which overrides the default. */
  source: 'default' | SettingsTarget;
  /** A folder is open, so the workspace can be chosen as the target. */
  workspace: boolean;
  /** The reply to a save: true when it was written. */
  saved?: boolean;
  /** Why a save wrote nothing, naming the setting and the fix (the form keeps the edits). */
  error?: string;
  /** Saved, but something the user should know (the workspace's own list still wins). */
  warning?: string;
}

/**
 * `samplingLab.maxNewTokens` as it is now: the panel's "Max tokens" field shows it while the user
 * has typed nothing of their own. Sent when the panel starts and whenever the setting changes.
 */
export interface RunDefaults {
  type: 'runDefaults';
  maxNewTokens: number;
}

/** Tokens of a run the host itself runs (on a server), batched like the worker's `tokens`. */
export interface RunTokens {
  type: 'runTokens';
  requestId: string;
  events: TokenEvent[];
}

/** A branch by continuation as it streams and when it ends (`branch.state`), on the card the panel opened for `branchId`. */
export interface BranchProgress {
  type: 'branchProgress';
  branchId: string;
  runId: string;
  branch: BranchRecord;
}

/** The host's answer to a hostExplorer ask: the reply the worker would give for a model it holds. */
export interface HostExplorerReply {
  type: 'hostExplorerReply';
  reply: ExplorerReply;
}

/** What the host sends that the webview forwards to the worker. */
export type WorkerRequest =
  | LoadModelRequest
  | UnloadModelRequest
  | CompareRequest
  | StructuredRequest
  | CancelRequest
  | FileDataReply
  | FileErrorReply;

/** Everything the host sends to the webview: the worker's requests, and what the panel itself shows. */
export type HostToWebview = WorkerRequest | HistoryUpdate | RunUpdate | RunTokens | PreferenceRecorded | StrategySettingsUpdate | RunDefaults | BranchProgress | HostExplorerReply;

// ---------------------------------------------------------------- worker / webview -> host

export interface LoadProgressEvent {
  type: 'loadProgress';
  requestId: string;
  status: string;
  file: string;
  loaded: number;
  total: number;
}
export interface ModelLoadedEvent {
  type: 'modelLoaded';
  requestId: string;
  model: string;
  backend: Backend;
  /** Why the backend is not the one asked for (or not WebGPU under `auto`). */
  fallbackReason?: string;
  loadMs: number;
}
export interface ModelUnloadedEvent {
  type: 'modelUnloaded';
  requestId: string;
}
/** Tokens coalesced over ~30 ms: never one message per token. */
export interface TokensEvent {
  type: 'tokens';
  requestId: string;
  events: TokenEvent[];
}
export interface CompareDoneEvent {
  type: 'compareDone';
  requestId: string;
  result: CompareResult;
}
/** One structured-output route finished (they stream in one by one). */
export interface RouteDoneEvent {
  type: 'routeDone';
  requestId: string;
  result: RouteResult;
}
export interface StructuredDoneEvent {
  type: 'structuredDone';
  requestId: string;
  result: StructuredRoutesResult;
}
export interface RequestFailedEvent {
  type: 'requestFailed';
  requestId: string;
  error: string;
  /** The error's class name (ModelLoadError, PromptError, StrategyError, ...). */
  errorName: string;
}
/** The worker asks the host for a file of a `via: 'host'` model. */
export interface ReadFileRequest {
  type: 'readFile';
  requestId: string;
  path: string;
}
export interface LogEvent {
  type: 'log';
  level: LogLevel;
  message: string;
}

/** Everything the worker sends to the webview page. */
export type WorkerEvent =
  | LoadProgressEvent
  | ModelLoadedEvent
  | ModelUnloadedEvent
  | TokensEvent
  | CompareDoneEvent
  | RouteDoneEvent
  | StructuredDoneEvent
  | RequestFailedEvent
  | ReadFileRequest
  | LogEvent;

export interface ReadyEvent {
  type: 'ready';
  protocolVersion: number;
}
/** Card actions. */
export interface InsertAction {
  type: 'insert';
  runId: string;
  text: string;
  /** The card's strategy index: the host marks the answer's risky sentences from its RiskReport. */
  strategy?: number;
}
export interface CopyAction {
  type: 'copy';
  text: string;
}
/** The user marked card `chosen` of run `runId` better than card `rejected` (strategy indices). */
export interface PreferAction {
  type: 'prefer';
  runId: string;
  chosen: number;
  rejected: number;
}
/** The explorer made a branch of a card of run `runId`: the host keeps it with the run. */
export interface BranchAddedAction {
  type: 'branchAdded';
  runId: string;
  branch: BranchRecord;
}
/**
 * Branch by continuation on a card a server sampled: the host sends the run's prompt + the card's
 * text before `step` + `tokenText` (the chosen token or one of its alternatives) to the server.
 * `branchId` is the panel's, and names the branch in `branchProgress` and `branchStop`.
 */
export interface BranchContinueAction {
  type: 'branchContinue';
  branchId: string;
  /** The run, or one model's record of a side-by-side. */
  runId: string;
  strategyIndex: number;
  sample: number;
  step: number;
  tokenText: string;
}
/**
 * The explorer on a card of run `runId` whose model runs in the host (its RunEngine.explorer is
 * 'host'): the host answers from that model with hostExplorerReply, under the request's own id.
 */
export interface HostExplorerAsk {
  type: 'hostExplorer';
  runId: string;
  request: ExplorerRequest;
}
/** Stop a branch by continuation: the tokens that arrived are kept. */
export interface BranchStopAction {
  type: 'branchStop';
  branchId: string;
}
/** A run header's buttons: export the run (Markdown or JSON, into a new editor) or delete it from history. */
export interface RunAction {
  type: 'runAction';
  runId: string;
  action: 'exportMarkdown' | 'exportJson' | 'delete';
}
/** The panel's Stop button. */
export interface StopAction {
  type: 'stop';
}
/**
 * The panel's word to the host about a batch of streamed tokens: only how many. The tokens stay in
 * the webview; relaying them whole kept the host busy reading them on a heavy run, and Stop from
 * the command waited behind them.
 */
export interface TokensStreamedEvent {
  type: 'tokensStreamed';
  requestId: string;
  count: number;
}
/** The strategy editor's Save: write `strategies` to `samplingLab.strategies` in `target`. */
export interface SaveStrategiesAction {
  type: 'saveStrategies';
  strategies: StrategyEntry[];
  /** The list the edits started from: when the setting has changed since, nothing is written. */
  base: StrategyEntry[];
  target: SettingsTarget;
}
/**
 * The panel's per-run fields (toolbar "Max tokens" and "Stop at"), sent when the panel starts and
 * whenever they change: the next comparison runs with them. `maxNewTokens` absent: the setting's.
 * `invalid`: a field holds what no run can take (said in these words); the next comparison is
 * refused with it rather than run with something else.
 */
export interface RunInputsAction {
  type: 'runInputs';
  maxNewTokens?: number;
  stopStrings: string[];
  invalid?: string;
}
/** The webview rejected a message from the host (it failed validation). */
export interface ProtocolErrorEvent {
  type: 'protocolError';
  error: string;
  /** The rejected message's requestId, when it had one: that request has failed. */
  requestId?: string;
}

/** Everything the webview sends to the host: the worker's events plus the panel's own. */
export type WebviewToHost =
  | WorkerEvent
  | ReadyEvent
  | InsertAction
  | CopyAction
  | PreferAction
  | BranchAddedAction
  | BranchContinueAction
  | BranchStopAction
  | HostExplorerAsk
  | RunAction
  | StopAction
  | TokensStreamedEvent
  | SaveStrategiesAction
  | RunInputsAction
  | ProtocolErrorEvent;
