/**
 * Runs Generate JSON for Selection in the panel: the four structured-output routes on one prompt
 * and schema, in the worker beside the model (engines included); on a server
 * (`endpoint:NAME`), in this host through its engine (structuredOnEngine.ts). The run is the Runner's one run
 * in progress, so Stop (panel button, view title, command) cancels it as it does a comparison;
 * routes stream into the panel as they finish, and the finished run lands in history.
 */
import * as vscode from 'vscode';
import { ROUTE_IDS } from '../core/structured/routeIds';
import { revalidateRoutes, type RouteResult } from '../core/structured/routes';
import { checkSchema } from '../core/structured/schema';
import type { DevicePreference, RunRecord } from '../protocol/messages';
import type { RunHistory } from './history';
import type { ModelSession } from './modelSession';
import { PANEL_VIEW_ID, type PanelProvider } from './panelProvider';
import { request as panelRequest } from './requests';
import type { HostEngines, Runner } from './runner';
import { openHostEngine, routeVerdicts, runStructuredOnEngine, startJsonRecord, type JsonRunRequest } from './structuredOnEngine';

export interface StructuredRunRequest extends JsonRunRequest {
  model: string;
  device: DevicePreference;
}

/** How long a stopped run may take to hand back the routes it finished. */
const STOP_GRACE_MS = 3_000;

export class StructuredRuns {
  constructor(
    private readonly runner: Runner,
    private readonly panel: PanelProvider,
    private readonly session: ModelSession,
    private readonly history: RunHistory,
    private readonly log: vscode.LogOutputChannel,
    /** A model setting that names a server runs here, through its engine (structuredOnEngine.ts). */
    private readonly hostEngines: HostEngines = { engineFor: () => undefined },
  ) {}

  run(request: StructuredRunRequest): Promise<RunRecord> {
    return this.runner.runExclusive((id, token) => this.execute(id, request, token));
  }

  private async execute(id: string, request: StructuredRunRequest, token: vscode.CancellationToken): Promise<RunRecord> {
    await this.panel.reveal();
    const engine = await openHostEngine(this.hostEngines, request.model, token);
    if (engine) return runStructuredOnEngine({ panel: this.panel, history: this.history, log: this.log, finish: (r) => this.finish(r) }, id, request, engine, token);
    const model = await this.session.ensureLoaded(request.model, request.device, token);
    // ajv's verdict on each route's output, compiled once for the run (the worker's is eval-free).
    const checked = checkSchema(request.schema, request.schemaSource);
    const routes: RouteResult[] = [];
    let record: RunRecord = { ...startJsonRecord(id, request, model.name), backend: model.backend, ...(model.dtype ? { dtype: model.dtype } : {}) };
    await this.history.upsert(record);
    if (token.isCancellationRequested) return this.finish({ ...record, status: 'aborted', error: 'Stopped before it started.' });

    try {
      const reply = await vscode.window.withProgress({ location: { viewId: PANEL_VIEW_ID } }, async () => {
        return panelRequest(
          this.panel,
          {
            type: 'structured',
            requestId: id,
            prompt: request.prompt,
            strategy: record.strategies[0]!,
            options: request.options,
            maxRetries: request.maxRetries,
            schema: request.schema,
            schemaSource: request.schemaSource,
            run: record,
          },
          {
            token,
            cancelGraceMs: STOP_GRACE_MS,
            onProgress: (event) => {
              if (event.type === 'routeDone') routes.push(...revalidateRoutes([event.result], checked));
            },
          },
        );
      });
      const result = { ...reply.result, routes: revalidateRoutes(reply.result.routes, checked) };
      const stopped = token.isCancellationRequested || result.routes.length < ROUTE_IDS.length;
      record = {
        ...record,
        status: stopped ? 'aborted' : 'done',
        structured: { ...record.structured!, routes: result.routes, elapsedMs: result.elapsedMs, truncatedNotice: result.truncatedNotice },
      };
      this.log.info(`JSON run ${id}: ${record.status} in ${Math.round(result.elapsedMs)} ms (${routeVerdicts(result.routes)}).`);
      return await this.finish(record);
    } catch (e) {
      const structured = { ...record.structured!, routes };
      // Stopped before the worker started it (AbortError), or the panel gave nothing back in time.
      if (e instanceof vscode.CancellationError || (e as Error).name === 'AbortError') {
        return this.finish({ ...record, structured, status: 'aborted', error: 'Stopped; the panel did not return the routes in time.' });
      }
      await this.finish({ ...record, structured, status: 'failed', error: (e as Error).message });
      throw e;
    }
  }

  /** Stores the run and shows the host's record in the panel. */
  private async finish(record: RunRecord): Promise<RunRecord> {
    await this.history.upsert(record);
    await this.panel.post({ type: 'runUpdated', run: record }).catch((e) => this.log.warn(`The panel did not take run ${record.id}: ${(e as Error).message}`));
    return record;
  }
}
