/**
 * Runs comparisons and risk checks in the panel: one at a time, each with a request id,
 * streaming into the panel, cancellable from the notification, the panel's Stop button or
 * "Sampling Lab: Stop". A finished run is scored for hallucination risk here, in the host, and
 * kept in the response cache; a repeated run is served from it. Every run lands in history,
 * finished, stopped or failed, and the panel gets the host's final record.
 */
import * as vscode from 'vscode';
import { isGgufPath } from '../node/engines/llamacpp/llamaCppModel';
import { resolveGguf } from './engines/ggufEngines';
import type { Calibration } from '../core/consistency';
import type { CompareResult, Strategy } from '../core/decode/types';
import type { Engine } from '../core/engine/types';
import { isWebviewBackend } from '../core/model/backends';
import type { DevicePreference, RunKind, RunOptions, RunRecord } from '../protocol/messages';
import { endpointName } from './endpoints';
import { runEngineOf, type RunEngines } from './engines/runEngines';
import { TokenBatcher } from '../core/decode/tokenBatcher';
import { compactRun, type RunHistory } from './history';
import type { ModelSession } from './modelSession';
import { PANEL_VIEW_ID, type PanelProvider } from './panelProvider';
import { abortSignalOf, newRequestId } from './requests';
import { responseCacheKey, type ResponseCache } from './responseCache';
import { riskReports } from './riskReports';
import { runPromptFormat } from './settings';
import { strategyViews } from './strategyViews';

export interface RunRequest {
  /** A comparison, or a risk check (strategy 0 greedy, strategy 1 the N samples). */
  kind: RunKind;
  prompt: string;
  /** Set when the prompt is a string literal's value (the header says so). */
  promptSource?: RunRecord['promptSource'];
  strategies: Strategy[];
  options: RunOptions;
  model: string;
  device: DevicePreference;
  insertAt?: RunRecord['insertAt'];
  /** Serve a repeated run from the response cache, and keep this one there (`samplingLab.cache.enabled`). */
  cache: boolean;
}

/**
 * Where a run's record goes as it changes. A run of its own is stored in history and shown as
 * itself; one model of a side-by-side is stored and shown as part of the record holding it.
 */
interface RunSink {
  /** The record the panel shows while this request streams. */
  shown(record: RunRecord): RunRecord;
  /** Stores the record as it stands; `announce`: the panel shows it now too (no worker request carries it). */
  save(record: RunRecord, announce: boolean): Promise<void>;
  /** Stores and shows the record's final state. */
  finish(record: RunRecord): Promise<RunRecord>;
}

/** A model of a side-by-side that ended before it ran, saying why (the model stopped during loading says so itself). */
const NOT_RUN_STOPPED = 'Not run: the comparison was stopped before this model loaded.';

/** What every record of a request starts with: the request as asked, on `model`, starting now. */
function newRecord(id: string, request: Omit<RunRequest, 'model'>, model: string): Omit<RunRecord, 'status'> {
  return {
    id,
    kind: request.kind,
    startedAt: new Date().toISOString(),
    prompt: request.prompt,
    ...(request.promptSource ? { promptSource: request.promptSource } : {}),
    model,
    options: request.options,
    strategies: strategyViews(request.strategies),
    insertAt: request.insertAt,
  };
}

export class Runner implements vscode.Disposable {
  private current: { id: string; cts: vscode.CancellationTokenSource; done: Promise<unknown> } | undefined;
  private readonly onTokensEmitter = new vscode.EventEmitter<{ runId: string; count: number }>();
  /** Streaming progress (tests wait on it to stop a run mid-way). */
  readonly onTokens = this.onTokensEmitter.event;
  private readonly onDidStartEmitter = new vscode.EventEmitter<string>();
  /** A run's id, once it is the run in progress (Stop from here on stops it). */
  readonly onDidStart = this.onDidStartEmitter.event;

  constructor(
    private readonly panel: PanelProvider,
    private readonly session: ModelSession,
    private readonly history: RunHistory,
    private readonly cache: ResponseCache,
    private readonly log: vscode.LogOutputChannel,
    /** The model's own risk calibration (by its fingerprint), or undefined: uncalibrated. */
    private readonly calibrationFor: (model: string) => Calibration | undefined = () => undefined,
    /** Opens the engine a run's model setting names: the panel's model, or a server's. */
    private readonly engines: RunEngines,
  ) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Stops the run in progress; true if there was one. */
  stop(): boolean {
    if (!this.current) return false;
    this.log.info(`Stopping run ${this.current.id}.`);
    this.current.cts.cancel();
    return true;
  }

  async run(request: RunRequest): Promise<RunRecord> {
    return this.runExclusive((id, token) => this.execute(id, request, token, this.ownSink()));
  }

  /**
   * The same strategies, options and seed on each model in turn (one loaded at a time), as one
   * run whose records per model (`models`) the panel shows as groups of cards. A model that
   * cannot load or fails gets its own record saying why, and the next model still runs; Stop
   * ends the model running and skips the rest.
   */
  async runModels(request: Omit<RunRequest, 'model'>, models: readonly string[], fixFor: (model: string) => string = () => ''): Promise<RunRecord> {
    return this.runExclusive((id, token) => this.executeModels(id, request, models, token, fixFor));
  }

  /**
   * Runs `execute` as the one run in progress, under a new request id: it replaces a run in
   * progress, and Stop cancels its token. Other kinds of run (Generate JSON for Selection) use it
   * with their own executor.
   */
  async runExclusive<T>(execute: (id: string, token: vscode.CancellationToken) => Promise<T>): Promise<T> {
    // One run at a time: a new run replaces the one in progress. It is the current run from the
    // start, while the old one winds down, so a Stop pressed meanwhile stops it (it used to reach
    // only the old run, and the new one then ran to the end).
    const previous = this.current;
    const cts = new vscode.CancellationTokenSource();
    const id = newRequestId('run');
    const done = (async () => {
      if (previous) {
        this.log.info(`Run ${id} replaces run ${previous.id}.`);
        previous.cts.cancel();
        await previous.done.catch(() => undefined);
      }
      return execute(id, cts.token);
    })();
    this.current = { id, cts, done };
    this.onDidStartEmitter.fire(id);
    try {
      return await done;
    } finally {
      cts.dispose();
      if (this.current?.id === id) this.current = undefined;
    }
  }

  private async execute(id: string, request: RunRequest, token: vscode.CancellationToken, sink: RunSink): Promise<RunRecord> {
    const kind = request.kind;
    await this.panel.reveal();
    // Keyed on what the setting names now, by content: a model replaced in place is a miss.
    const identity = request.cache ? this.engines.cacheIdentity(request.model) : undefined;
    const cacheKey = identity ? responseCacheKey({ ...request, model: identity }) : undefined;
    const hit = cacheKey ? this.cache.get(cacheKey) : undefined;
    if (hit) {
      this.log.info(`Run ${id}: served from the response cache (first run ${hit.savedAt}).`);
      return sink.finish({
        ...newRecord(id, request, hit.model),
        backend: hit.backend,
        status: 'done',
        result: hit.result,
        // Scored again: the model may have been calibrated since the run was cached.
        risks: this.rescore(kind, hit.result, request.model, hit.risks),
        cached: true,
      });
    }
    let engine: Engine;
    try {
      engine = await this.engines.open(request.model, request.device, token, { id, onTokensShown: (count) => this.onTokensEmitter.fire({ runId: id, count }) });
    } catch (e) {
      // Stopped during the load (Stop, or the notification's Cancel): the run still gets its card, saying so.
      if (!token.isCancellationRequested && !(e instanceof vscode.CancellationError)) throw e;
      return sink.finish({
        ...newRecord(id, request, this.modelName(request.model)),
        status: 'aborted',
        error: 'Stopped while the model was loading: nothing was generated. Run it again to load the model.',
      });
    }
    const format = runPromptFormat(request.options);
    const refusals = engine.refusals(request.strategies, { format });
    const refusedNames = new Set(refusals.map((r) => r.strategy.name));
    const honoured = request.strategies.filter((s) => !refusedNames.has(s.name));
    const caps = engine.capabilities;
    let record: RunRecord = {
      ...newRecord(id, request, engine.model),
      ...(isWebviewBackend(engine.backend) ? { backend: engine.backend } : {}),
      ...(engine.dtype ? { dtype: engine.dtype } : {}),
      // Run strategies first, so card i shows result i; refused ones after, saying why.
      strategies: strategyViews([...honoured, ...refusals.map((r) => r.strategy)]),
      status: 'running',
      ...runEngineOf(engine, request.model, refusals, format),
    };
    // The panel shows the cards (refused ones saying why) before the first token.
    await sink.save(record, true);
    if (token.isCancellationRequested) return sink.finish({ ...record, status: 'aborted', error: 'Stopped before it started.' });
    const abort = abortSignalOf(token);
    // An engine in this host streams its tokens here, and the panel gets them in batches; the
    // panel's own engine shows them itself and says only how many (onTokensShown above).
    const tokens = new TokenBatcher((events) => {
      this.onTokensEmitter.fire({ runId: id, count: tokens.streamed });
      void this.panel.post({ type: 'runTokens', requestId: id, events }).catch(() => undefined);
    }, { set: (run, ms) => setTimeout(run, ms), clear: (timer) => clearTimeout(timer as NodeJS.Timeout) });
    try {
      // Progress shows on the panel itself; Stop (panel button, view title, command) cancels.
      const result = await vscode.window.withProgress({ location: { viewId: PANEL_VIEW_ID } }, () =>
        engine.compare(request.prompt, honoured, {
          maxNewTokens: request.options.maxNewTokens,
          stopStrings: request.options.stopStrings,
          seed: request.options.seed,
          samples: request.options.samples,
          format,
          // A server returns no more than it is asked for; our own model reports its default.
          topAlternatives: Number.isFinite(caps.maxTopLogprobs) ? caps.maxTopLogprobs : undefined,
          signal: abort.signal,
          onToken: (event) => tokens.push(event),
        }),
      );
      tokens.flush();
      const full: CompareResult = refusals.length > 0 ? { ...result, refused: refusals } : result;
      const aborted = abort.signal.aborted || full.results.some((r) => r.completions.some((c) => c.finishReason === 'aborted'));
      record = { ...record, status: aborted ? 'aborted' : 'done', result: full };
      this.log.info(`Run ${id}: ${record.status} in ${Math.round(full.elapsedMs)} ms, sampled by ${record.engine?.sampledBy ?? full.device} (${full.tokensPerSecond.toFixed(1)} tokens/s).`);
      if (aborted) return await sink.finish({ ...record, error: 'Stopped: the tokens that arrived are kept.' });
      // A check that cannot be scored throws here (ConsistencyError): the run is recorded as failed.
      // An endpoint is scored with its own fit (Calibrate Hallucination Risk on it), never a local model's bands.
      record = compactRun({ ...record, risks: riskReports(kind, full, this.calibrationFor(request.model)) });
      if (cacheKey) {
        await this.cache.set({ key: cacheKey, savedAt: new Date().toISOString(), model: record.model, backend: record.backend, result: record.result!, risks: record.risks });
      }
      return await sink.finish(record);
    } catch (e) {
      tokens.flush();
      if (e instanceof vscode.CancellationError) {
        return sink.finish({ ...record, status: 'aborted', error: 'Stopped; the panel did not return a partial result in time.' });
      }
      // Stopped before the worker started it: the run's status is decided here, not in the panel.
      if ((e as Error).name === 'AbortError' && token.isCancellationRequested) return sink.finish({ ...record, status: 'aborted', error: 'Stopped before it started.' });
      await sink.finish({ ...record, status: 'failed', error: (e as Error).message });
      throw e;
    } finally {
      tokens.dispose();
      abort.dispose();
    }
  }

  /** `fixFor`: the sentence a model that cannot load adds to its error, saying where to fix it. */
  private async executeModels(
    id: string,
    request: Omit<RunRequest, 'model'>,
    models: readonly string[],
    token: vscode.CancellationToken,
    fixFor: (model: string) => string,
  ): Promise<RunRecord> {
    await this.panel.reveal();
    let parent: RunRecord = { ...newRecord(id, request, models.map((m) => this.modelName(m)).join(' · ')), status: 'running', models: [] };
    const show = async (announce: boolean) => {
      await this.history.upsert(parent);
      if (announce) await this.panel.post({ type: 'runUpdated', run: parent }).catch((e) => this.log.warn(`The panel did not take run ${id}: ${(e as Error).message}`));
    };
    await show(true);
    for (const [k, model] of models.entries()) {
      const partId = `${id}.m${k}`;
      const withPart = (record: RunRecord): RunRecord => ({ ...parent, models: [...parent.models!.slice(0, k), { ...record, modelSource: this.modelSource(model) }] });
      const sink: RunSink = {
        shown: withPart,
        save: async (record, announce) => {
          parent = withPart(record);
          await show(announce);
        },
        finish: async (record) => {
          parent = withPart(record);
          await show(true);
          return record;
        },
      };
      const part = { ...request, model };
      if (token.isCancellationRequested) {
        await sink.finish(this.unrunPart(partId, part, 'aborted', NOT_RUN_STOPPED));
        continue;
      }
      this.log.info(`Run ${id}: model ${k + 1} of ${models.length}, ${model}.`);
      try {
        await this.execute(partId, part, token, sink);
      } catch (e) {
        // It could not load (or failed mid-run, already recorded so): its group says why, and the next model runs.
        if (parent.models![k]?.id !== partId) await sink.finish(this.unrunPart(partId, part, 'failed', [(e as Error).message, fixFor(model)].filter(Boolean).join(' ')));
        this.log.warn(`Run ${id}: ${model} failed: ${(e as Error).message}`);
      }
    }
    const statuses = parent.models!.map((m) => m.status);
    const status = token.isCancellationRequested || statuses.includes('aborted') ? 'aborted' : statuses.every((s) => s === 'failed') ? 'failed' : 'done';
    const failed = parent.models!.filter((m) => m.status === 'failed').length;
    return this.finish({ ...parent, status, ...(failed > 0 ? { error: `${failed} of ${models.length} models did not run; each says why in its group.` } : {}) });
  }

  /** A model's record when nothing ran on it: it stopped before it loaded, or could not load. */
  private unrunPart(id: string, request: RunRequest, status: 'aborted' | 'failed', error: string): RunRecord {
    return { ...newRecord(id, request, this.modelName(request.model)), status, error };
  }

  /** Where a model of a side-by-side comes from, for its group's heading. */
  private modelSource(model: string): string {
    const name = endpointName(model);
    if (name !== undefined) return `endpoint ${name}`;
    try {
      if (isGgufPath(model)) return `GGUF file ${resolveGguf(model).file}`;
      const choice = this.session.resolve(model);
      return choice.kind === 'folder' ? `folder ${choice.dir}` : choice.kind === 'hub' ? `hub ${choice.name}` : 'bundled';
    } catch {
      return model;
    }
  }

  /** The run's own record goes to history and the panel as itself. */
  private ownSink(): RunSink {
    return {
      shown: (record) => record,
      save: async (record, announce) => {
        await this.history.upsert(record);
        if (announce) await this.panel.post({ type: 'runUpdated', run: record }).catch((e) => this.log.warn(`The panel did not take run ${record.id}: ${(e as Error).message}`));
      },
      finish: (record) => this.finish(record),
    };
  }

  /** The model's display name for a record, even when the setting does not resolve. */
  private modelName(model: string): string {
    try {
      return isGgufPath(model) ? resolveGguf(model).name : this.session.resolve(model).name;
    } catch {
      return model;
    }
  }

  private rescore(kind: RunKind, result: CompareResult, model: string, cached: RunRecord['risks']): RunRecord['risks'] {
    try {
      return riskReports(kind, result, this.calibrationFor(model));
    } catch (e) {
      this.log.warn(`Scoring a cached run again failed (${(e as Error).message}); showing its stored scores.`);
      return cached;
    }
  }

  /** Stores the run and shows the host's record in the panel (scored, or from the cache). */
  private async finish(record: RunRecord): Promise<RunRecord> {
    await this.history.upsert(record);
    const stored = this.history.get(record.id) ?? record;
    await this.panel.post({ type: 'runUpdated', run: stored }).catch((e) => this.log.warn(`The panel did not take run ${record.id}: ${(e as Error).message}`));
    return record;
  }

  dispose(): void {
    this.current?.cts.cancel();
    this.onTokensEmitter.dispose();
    this.onDidStartEmitter.dispose();
  }
}
