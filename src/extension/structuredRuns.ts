/**
 * Runs Generate JSON for Selection in the panel: the four structured-output routes on one prompt
 * and schema, on the engine the model setting names (jsonRoutes.ts says where the routes run).
 * The run is the Runner's one run in progress, so Stop (panel button, view title, command)
 * cancels it as it does a comparison; routes show in the panel as they finish, and the finished
 * run lands in history.
 */
import * as vscode from 'vscode';
import type { Engine } from '../core/engine/types';
import { isWebviewBackend } from '../core/model/backends';
import { routesOn } from '../core/structured/engineRoutes';
import { ROUTE_IDS } from '../core/structured/routeIds';
import type { RouteResult } from '../core/structured/routes';
import type { DevicePreference, RunRecord } from '../protocol/messages';
import { runEngineOf, type RunEngines } from './engines/runEngines';
import type { RunHistory } from './history';
import { jsonRouteOptions, routeVerdicts, startJsonRecord, type JsonRunRequest } from './jsonRoutes';
import { PANEL_VIEW_ID, type PanelProvider } from './panelProvider';
import { abortSignalOf } from './requests';
import type { Runner } from './runner';
import { runPromptFormat } from './settings';

export interface StructuredRunRequest extends JsonRunRequest {
  model: string;
  device: DevicePreference;
}

export class StructuredRuns {
  constructor(
    private readonly runner: Runner,
    private readonly panel: PanelProvider,
    private readonly engines: RunEngines,
    private readonly history: RunHistory,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  run(request: StructuredRunRequest): Promise<RunRecord> {
    return this.runner.runExclusive((id, token) => this.execute(id, request, token));
  }

  private async execute(id: string, request: StructuredRunRequest, token: vscode.CancellationToken): Promise<RunRecord> {
    await this.panel.reveal();
    const engine: Engine = await this.engines.open(request.model, request.device, token, { id });
    const format = runPromptFormat(request.options);
    const routes: RouteResult[] = [];
    let record: RunRecord = {
      ...startJsonRecord(id, request, engine.model),
      ...(isWebviewBackend(engine.backend) ? { backend: engine.backend } : {}),
      ...(engine.dtype ? { dtype: engine.dtype } : {}),
      ...runEngineOf(engine, undefined, [], format),
    };
    // The panel shows the route cards before the first route finishes.
    await this.show(record);
    if (token.isCancellationRequested) return this.show({ ...record, status: 'aborted', error: 'Stopped before it started.' });

    const abort = abortSignalOf(token);
    try {
      const result = await vscode.window.withProgress({ location: { viewId: PANEL_VIEW_ID } }, () =>
        routesOn(engine)(
          request.prompt,
          request.schema,
          jsonRouteOptions(request, abort.signal, (route) => {
            routes.push(route);
            record = { ...record, structured: { ...record.structured!, routes: [...routes] } };
            void this.show(record);
          }),
        ),
      );
      const stopped = abort.signal.aborted || result.routes.length < ROUTE_IDS.length;
      record = {
        ...record,
        status: stopped ? 'aborted' : 'done',
        structured: { ...record.structured!, routes: result.routes, elapsedMs: result.elapsedMs, truncatedNotice: result.truncatedNotice },
        ...(stopped ? { error: 'Stopped; the routes that finished are kept.' } : {}),
      };
      this.log.info(`JSON run ${id}: ${record.status} in ${Math.round(result.elapsedMs)} ms on ${record.engine?.sampledBy ?? engine.where} (${routeVerdicts(result.routes)}).`);
      return await this.show(record);
    } catch (e) {
      const structured = { ...record.structured!, routes };
      // Stopped before the worker started it (AbortError), or the panel gave nothing back in time.
      if (e instanceof vscode.CancellationError || ((e as Error).name === 'AbortError' && token.isCancellationRequested)) {
        return this.show({ ...record, structured, status: 'aborted', error: 'Stopped; the routes that finished are kept.' });
      }
      await this.show({ ...record, structured, status: 'failed', error: (e as Error).message });
      throw e;
    } finally {
      abort.dispose();
    }
  }

  /** Stores the run as it stands and shows the host's record in the panel. */
  private async show(record: RunRecord): Promise<RunRecord> {
    await this.history.upsert(record);
    await this.panel.post({ type: 'runUpdated', run: record }).catch((e) => this.log.warn(`The panel did not take run ${record.id}: ${(e as Error).message}`));
    return record;
  }
}
