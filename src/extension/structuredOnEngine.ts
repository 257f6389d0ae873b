/**
 * Generate JSON for Selection on an engine in the extension host (a server named by
 * `samplingLab.model: endpoint:NAME`): the four routes run here through the engine, the server
 * sampling every one and enforcing the schema on the constrained route by its json_schema. The
 * panel shows the same route cards, filled in as each route finishes (the host sends the record);
 * a route the server cannot run says why on its card. ajv gives every verdict. Stop aborts the
 * requests in flight and keeps the routes that finished.
 */
import * as vscode from 'vscode';
import { capabilityNotes, type Engine } from '../core/engine/types';
import { engineRouteSampler } from '../core/structured/engineSampler';
import { ROUTE_IDS } from '../core/structured/routeIds';
import { runRoutesOn, type RouteResult } from '../core/structured/routes';
import type { Strategy } from '../core/decode/types';
import type { JsonSchema, RunOptions, RunRecord } from '../protocol/messages';
import type { RunHistory } from './history';
import { PANEL_VIEW_ID, type PanelProvider } from './panelProvider';
import type { HostEngines } from './runner';
import { promptFormatOf } from './settings';
import { strategyViews } from './strategyViews';

/** What a JSON run asks, wherever it runs (structuredRuns.ts adds the local model and device). */
export interface JsonRunRequest {
  prompt: string;
  schema: JsonSchema;
  /** Where the schema came from, for the panel and for error messages. */
  schemaSource: string;
  /** The strategy every route samples with. */
  strategy: Strategy;
  /** maxNewTokens per try, the base seed, and test-time compute's N as `samples`. */
  options: RunOptions;
  maxRetries: number;
  insertAt?: RunRecord['insertAt'];
}

export interface StructuredHost {
  panel: PanelProvider;
  history: RunHistory;
  log: vscode.LogOutputChannel;
  /** Stores the final record and shows it in the panel. */
  finish(record: RunRecord): Promise<RunRecord>;
}

/** A JSON run's record as it starts, on `model`, with no route finished. */
export function startJsonRecord(id: string, request: JsonRunRequest, model: string): RunRecord {
  return {
    id,
    kind: 'json',
    startedAt: new Date().toISOString(),
    prompt: request.prompt,
    model,
    options: request.options,
    strategies: strategyViews([request.strategy]),
    status: 'running',
    insertAt: request.insertAt,
    structured: { schema: request.schema, schemaSource: request.schemaSource, maxRetries: request.maxRetries, routes: [] },
  };
}

/** Each route's verdict, for the log line that ends a run. */
export function routeVerdicts(routes: readonly RouteResult[]): string {
  return routes.map((r) => `${r.route} ${r.error ? 'not run' : r.valid ? 'valid' : 'invalid'}`).join(', ');
}

/** The host engine `model` names (a server), opened with the run's cancellation; undefined: the panel's model runs it. */
export async function openHostEngine(engines: HostEngines, model: string, token: vscode.CancellationToken): Promise<Engine | undefined> {
  const opening = new AbortController();
  const cancelOpen = token.onCancellationRequested(() => opening.abort());
  try {
    return await engines.engineFor(model, opening.signal);
  } finally {
    cancelOpen.dispose();
  }
}

export async function runStructuredOnEngine(host: StructuredHost, id: string, request: JsonRunRequest, engine: Engine, token: vscode.CancellationToken): Promise<RunRecord> {
  const caps = engine.capabilities;
  const formatSetting = promptFormatOf(request.options);
  const format = Object.keys(formatSetting).length > 0 ? formatSetting : undefined;
  const routes: RouteResult[] = [];
  let record: RunRecord = {
    ...startJsonRecord(id, request, engine.model),
    engine: {
      sampledBy: caps.sampling === 'server' ? `the server (${engine.where})` : engine.where,
      distribution: caps.distribution,
      maxTopLogprobs: Number.isFinite(caps.maxTopLogprobs) ? caps.maxTopLogprobs : 0,
      notes: capabilityNotes(caps),
      refused: [],
    },
  };
  const show = async () => {
    await host.history.upsert(record);
    await host.panel.post({ type: 'runUpdated', run: record }).catch((e) => host.log.warn(`The panel did not take run ${id}: ${(e as Error).message}`));
  };
  await show();
  if (token.isCancellationRequested) return host.finish({ ...record, status: 'aborted', error: 'Stopped before it started.' });

  const abort = new AbortController();
  const onCancel = token.onCancellationRequested(() => abort.abort());
  try {
    const result = await vscode.window.withProgress({ location: { viewId: PANEL_VIEW_ID } }, () =>
      runRoutesOn(
        engineRouteSampler(engine, { strategy: request.strategy, maxNewTokens: request.options.maxNewTokens, format, schemaSource: request.schemaSource, signal: abort.signal }),
        request.prompt,
        request.schema,
        {
          strategy: request.strategy,
          seed: request.options.seed,
          maxNewTokens: request.options.maxNewTokens,
          maxRetries: request.maxRetries,
          samples: request.options.samples,
          schemaSource: request.schemaSource,
          signal: abort.signal,
          onRoute: (route) => {
            routes.push(route);
            record = { ...record, structured: { ...record.structured!, routes: [...routes] } };
            void show();
          },
        },
      ),
    );
    const stopped = abort.signal.aborted || result.routes.length < ROUTE_IDS.length;
    record = {
      ...record,
      status: stopped ? 'aborted' : 'done',
      structured: { ...record.structured!, routes: result.routes, elapsedMs: result.elapsedMs, truncatedNotice: result.truncatedNotice },
      ...(stopped ? { error: 'Stopped: the requests in flight were cancelled; the routes that finished are kept.' } : {}),
    };
    host.log.info(`JSON run ${id}: ${record.status} in ${Math.round(result.elapsedMs)} ms, sampled by ${record.engine!.sampledBy} (${routeVerdicts(result.routes)}).`);
    return await host.finish(record);
  } catch (e) {
    await host.finish({ ...record, structured: { ...record.structured!, routes }, status: 'failed', error: (e as Error).message });
    throw e;
  } finally {
    onCancel.dispose();
  }
}
