/**
 * Runs comparisons and risk checks in the panel: one at a time, each with a request id,
 * streaming into the panel, cancellable from the notification, the panel's Stop button or
 * "Sampling Lab: Stop". A finished run is scored for hallucination risk here, in the host, and
 * kept in the response cache; a repeated run is served from it. Every run lands in history,
 * finished, stopped or failed, and the panel gets the host's final record.
 */
import * as vscode from 'vscode';
import type { Calibration } from '../core/consistency';
import type { Strategy, TokenEvent } from '../core/decode/types';
import type { CompareResult } from '../core/decode/types';
import { branchingRefusal, capabilityNotes, type Engine } from '../core/engine/types';
import type { DevicePreference, RunKind, RunOptions, RunRecord } from '../protocol/messages';
import { endpointName } from './endpoints';
import { compactRun, type RunHistory } from './history';
import type { ModelSession } from './modelSession';
import { PANEL_VIEW_ID, type PanelProvider } from './panelProvider';
import { newRequestId, request as panelRequest } from './requests';
import { responseCacheKey, type ResponseCache } from './responseCache';
import { riskReports } from './riskReports';
import { promptFormatOf } from './settings';
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
 * The engines that run a model setting here, in the extension host, rather than in the panel's
 * worker (a server named by `endpoint:NAME`): `engineFor` opens one, or returns undefined when
 * the panel's model runs it. The runner asks this once per run; features never ask which kind
 * of engine they got, only its capabilities.
 */
export interface HostEngines {
  engineFor(model: string, signal: AbortSignal): Promise<Engine> | undefined;
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

/** Tokens from a host engine reach the panel in batches this far apart, never one message per token. */
const TOKEN_BATCH_MS = 30;

/**
 * How long a stopped run may take to hand back its partial result before it is recorded without
 * one. Only a panel that no longer answers takes this long; on a loaded machine 3 s was too short
 * and a stopped run lost its partial result.
 */
const STOP_GRACE_MS = 10_000;

/** The run's chat / raw choice and system message, as an engine takes them (undefined: the engine's default). */
function promptFormat(options: RunOptions): { chat?: boolean; system?: string } | undefined {
  const f = promptFormatOf(options);
  return Object.keys(f).length > 0 ? f : undefined;
}

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
    private readonly hostEngines: HostEngines = { engineFor: () => undefined },
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
    const opening = new AbortController();
    const cancelOpen = token.onCancellationRequested(() => opening.abort());
    let hostEngine: Engine | undefined;
    try {
      hostEngine = await this.hostEngines.engineFor(request.model, opening.signal);
    } finally {
      cancelOpen.dispose();
    }
    if (hostEngine) return this.executeOnEngine(id, request, token, hostEngine, sink);
    // Keyed on what the setting names now, by content: a model replaced in place is a miss.
    const cacheKey = request.cache ? responseCacheKey({ ...request, model: this.session.resolve(request.model).fingerprint }) : undefined;
    const hit = cacheKey ? this.cache.get(cacheKey) : undefined;
    if (hit) {
      this.log.info(`Run ${id}: served from the response cache (first run ${hit.savedAt}).`);
      return sink.finish({
        id,
        kind,
        startedAt: new Date().toISOString(),
        prompt: request.prompt,
        ...(request.promptSource ? { promptSource: request.promptSource } : {}),
        model: hit.model,
        backend: hit.backend,
        options: request.options,
        strategies: strategyViews(request.strategies),
        status: 'done',
        insertAt: request.insertAt,
        result: hit.result,
        // Scored again: the model may have been calibrated since the run was cached.
        risks: this.rescore(kind, hit.result, request.model, hit.risks),
        cached: true,
      });
    }
    let model: Awaited<ReturnType<ModelSession['ensureLoaded']>>;
    try {
      model = await this.session.ensureLoaded(request.model, request.device, token);
    } catch (e) {
      // Stopped during the load (Stop, or the notification's Cancel): the run still gets its card, saying so.
      if (!token.isCancellationRequested && !(e instanceof vscode.CancellationError)) throw e;
      return sink.finish({
        id,
        kind,
        startedAt: new Date().toISOString(),
        prompt: request.prompt,
        ...(request.promptSource ? { promptSource: request.promptSource } : {}),
        model: this.modelName(request.model),
        options: request.options,
        strategies: strategyViews(request.strategies),
        status: 'aborted',
        insertAt: request.insertAt,
        error: 'Stopped while the model was loading: nothing was generated. Run it again to load the model.',
      });
    }
    let record: RunRecord = {
      id,
      kind,
      startedAt: new Date().toISOString(),
      prompt: request.prompt,
      ...(request.promptSource ? { promptSource: request.promptSource } : {}),
      model: model.name,
      backend: model.backend,
      ...(model.dtype ? { dtype: model.dtype } : {}),
      options: request.options,
      strategies: strategyViews(request.strategies),
      status: 'running',
      insertAt: request.insertAt,
    };
    await sink.save(record, false);
    if (token.isCancellationRequested) return sink.finish({ ...record, status: 'aborted', error: 'Stopped before it started.' });

    try {
      // Progress shows on the panel itself; Stop (panel button, view title, command) cancels.
      const reply = await vscode.window.withProgress({ location: { viewId: PANEL_VIEW_ID } }, async () => {
        let tokens = 0;
        return panelRequest(
          this.panel,
          { type: 'compare', requestId: id, prompt: request.prompt, strategies: record.strategies, options: request.options, run: sink.shown(record) },
          {
            token,
            cancelGraceMs: STOP_GRACE_MS,
            onProgress: (event) => {
              tokens += event.count;
              this.onTokensEmitter.fire({ runId: id, count: tokens });
            },
          },
        );
      });
      const aborted = reply.result.results.some((r) => r.completions.some((c) => c.finishReason === 'aborted'));
      record = { ...record, status: aborted ? 'aborted' : 'done', result: reply.result };
      this.log.info(
        `Run ${id}: ${record.status} in ${Math.round(reply.result.elapsedMs)} ms on ${reply.result.device} (${reply.result.tokensPerSecond.toFixed(1)} tokens/s).`,
      );
      if (aborted) return await sink.finish(record);
      // A check that cannot be scored throws here (ConsistencyError): the run is recorded as failed.
      record = compactRun({ ...record, risks: riskReports(kind, reply.result, this.calibrationFor(request.model)) });
      if (cacheKey) {
        await this.cache.set({
          key: cacheKey,
          savedAt: new Date().toISOString(),
          model: record.model,
          backend: record.backend,
          result: record.result!,
          risks: record.risks,
        });
      }
      return await sink.finish(record);
    } catch (e) {
      if (e instanceof vscode.CancellationError) {
        return sink.finish({ ...record, status: 'aborted', error: 'Stopped; the panel did not return a partial result in time.' });
      }
      // Stopped before the worker started it: the run's status is decided here, not in the panel.
      if ((e as Error).name === 'AbortError') return sink.finish({ ...record, status: 'aborted', error: 'Stopped before it started.' });
      await sink.finish({ ...record, status: 'failed', error: (e as Error).message });
      throw e;
    }
  }

  /**
   * A run on an engine in this host (a server). The strategies it refuses are known up front and
   * go last, each card saying why by name; the rest stream into their cards. Stop aborts the
   * requests in flight and keeps every token that arrived. Not kept in the response cache: the
   * model behind a server's model id can change without the id changing.
   */
  private async executeOnEngine(id: string, request: RunRequest, token: vscode.CancellationToken, engine: Engine, sink: RunSink): Promise<RunRecord> {
    const format = promptFormat(request.options);
    const refusals = engine.refusals(request.strategies, { format });
    const refusedNames = new Set(refusals.map((r) => r.strategy.name));
    const honoured = request.strategies.filter((s) => !refusedNames.has(s.name));
    const caps = engine.capabilities;
    const branchRefused = branchingRefusal(caps, format?.chat === true);
    let record: RunRecord = {
      id,
      kind: request.kind,
      startedAt: new Date().toISOString(),
      prompt: request.prompt,
      ...(request.promptSource ? { promptSource: request.promptSource } : {}),
      model: engine.model,
      options: request.options,
      // Run strategies first, so card i shows result i; refused ones after, saying why.
      strategies: strategyViews([...honoured, ...refusals.map((r) => r.strategy)]),
      status: 'running',
      insertAt: request.insertAt,
      engine: {
        sampledBy: caps.sampling === 'server' ? `the server (${engine.where})` : engine.where,
        distribution: caps.distribution,
        maxTopLogprobs: Number.isFinite(caps.maxTopLogprobs) ? caps.maxTopLogprobs : 0,
        notes: capabilityNotes(caps),
        refused: refusals.map((r) => ({ strategy: r.strategy.name, reason: r.reason })),
        modelSetting: request.model,
        ...(branchRefused ? { branchRefused } : {}),
      },
    };
    // The panel shows the cards (refused ones saying why) before the first token; the run does not depend on it.
    await sink.save(record, true);
    if (token.isCancellationRequested) return sink.finish({ ...record, status: 'aborted', error: 'Stopped before it started.' });
    const abort = new AbortController();
    const onCancel = token.onCancellationRequested(() => abort.abort());
    let pending: TokenEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    let streamed = 0;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (pending.length === 0) return;
      const events = pending;
      pending = [];
      streamed += events.length;
      this.onTokensEmitter.fire({ runId: id, count: streamed });
      void this.panel.post({ type: 'runTokens', requestId: id, events }).catch(() => undefined);
    };
    try {
      const result = await vscode.window.withProgress({ location: { viewId: PANEL_VIEW_ID } }, () =>
        engine.compare(request.prompt, honoured, {
          maxNewTokens: request.options.maxNewTokens,
          stopStrings: request.options.stopStrings,
          seed: request.options.seed,
          samples: request.options.samples,
          format,
          topAlternatives: Number.isFinite(caps.maxTopLogprobs) ? caps.maxTopLogprobs : undefined,
          signal: abort.signal,
          onToken: (event) => {
            pending.push(event);
            timer ??= setTimeout(flush, TOKEN_BATCH_MS);
          },
        }),
      );
      flush();
      const full: CompareResult = { ...result, refused: refusals };
      const aborted = abort.signal.aborted || full.results.some((r) => r.completions.some((c) => c.finishReason === 'aborted'));
      record = { ...record, status: aborted ? 'aborted' : 'done', result: full };
      this.log.info(`Run ${id}: ${record.status} in ${Math.round(full.elapsedMs)} ms, sampled by ${record.engine!.sampledBy} (${full.tokensPerSecond.toFixed(1)} tokens/s).`);
      if (aborted) return await sink.finish({ ...record, error: 'Stopped: the requests in flight were cancelled; the tokens that arrived are kept.' });
      // The endpoint's own fit (Calibrate Hallucination Risk on it, by server and model id), never a local model's bands.
      return await sink.finish(compactRun({ ...record, risks: riskReports(request.kind, full, this.calibrationFor(request.model)) }));
    } catch (e) {
      flush();
      await sink.finish({ ...record, status: 'failed', error: (e as Error).message });
      throw e;
    } finally {
      clearTimeout(timer);
      onCancel.dispose();
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
      return this.session.resolve(model).name;
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
