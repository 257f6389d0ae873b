/**
 * Runs prompt test cases from the Test Explorer, each suite on its model: its own `model:`, else
 * samplingLab.model. A local model is the panel's (loaded in its worker, one model at a time):
 * each case's generation plan goes there as a `promptTest` request, and the assertions are
 * checked here on what comes back. An endpoint's cases run here in the host (endpointCases.ts).
 * Outputs are cached on disk by everything that decides them, as `sampling-lab test` does, so an
 * unchanged case re-runs instantly and editing only an assertion never needs the model. The
 * Testing view's Stop cancels the case in progress.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Calibration } from '../../core/consistency';
import {
  CaseCancelledError,
  evaluateCase,
  generationCacheKeyText,
  planGeneration,
  suiteEndpointName,
  type CaseGeneration,
  type GenerationPlan,
  type ModelIdentity,
} from '../../core/prompttest';
import { DEFAULT_CACHE_DIR, PromptTestCache } from '../../node/promptTestRunner';
import { endpointConcurrency, readEndpoints, selectedEndpoint, type EndpointEngines } from '../endpoints';
import type { ModelSession } from '../modelSession';
import type { PanelProvider } from '../panelProvider';
import { linkedCancellation, newRequestId, RequestFailedError, request } from '../requests';
import { readSettings, type LabSettings } from '../settings';
import { workspaceTrusted } from '../workspaceTrust';
import { CaseOutcomes, emptySummary, type PromptTestRunSummary } from './caseOutcomes';
import { groupByModel } from './caseModels';
import { runCasesOnEndpoint, type EndpointCaseDeps, type ModelGroup } from './endpointCases';
import { UNTRUSTED_TESTS_REASON, type PromptTestController } from './promptTestController';
import { toRange } from './suiteDiagnostics';

export type { PromptTestRunSummary } from './caseOutcomes';

export class PromptTestRunner {
  private readonly onDidFinishEmitter = new vscode.EventEmitter<PromptTestRunSummary>();
  /** Fires when a run ends (tests wait on it). */
  readonly onDidFinish = this.onDidFinishEmitter.event;
  private readonly onDidStartCaseEmitter = new vscode.EventEmitter<string>();
  /** Fires with a case item's id as it starts (tests cancel mid-case on it). */
  readonly onDidStartCase = this.onDidStartCaseEmitter.event;

  constructor(
    private readonly panel: PanelProvider,
    private readonly session: ModelSession,
    private readonly log: vscode.LogOutputChannel,
    /** The model's risk calibration, for max-risk; undefined = uncalibrated. */
    private readonly calibrationFor: (model: string) => Calibration | undefined = () => undefined,
    /** Opens engines on the user's endpoints, for suites that run on one (`model: endpoint:NAME`). */
    private readonly endpointEngines?: EndpointEngines,
  ) {}

  private readonly active = new Set<vscode.CancellationTokenSource>();

  /** Prompt test runs in progress. */
  get activeRuns(): number {
    return this.active.size;
  }

  /** Cancels the runs in progress ("Sampling Lab: Stop" as well as the Testing view's); true if there was one. */
  stop(): boolean {
    for (const cts of this.active) cts.cancel();
    return this.active.size > 0;
  }

  async run(tests: PromptTestController, request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<PromptTestRunSummary> {
    const cts = linkedCancellation(token);
    this.active.add(cts);
    try {
      return await this.runCases(tests, request, cts.token);
    } finally {
      this.active.delete(cts);
      cts.dispose();
    }
  }

  private async runCases(tests: PromptTestController, request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<PromptTestRunSummary> {
    if (!workspaceTrusted()) {
      // Nothing of the repository's is read, so nothing to run (and no model to load for it).
      const run = tests.controller.createTestRun(request);
      run.appendOutput(`${UNTRUSTED_TESTS_REASON}\r\n`);
      run.end();
      this.log.info(`Prompt tests: not run. ${UNTRUSTED_TESTS_REASON}`);
      const summary = emptySummary();
      this.onDidFinishEmitter.fire(summary);
      return summary;
    }
    await tests.discoverAll();
    const excluded = new Set((request.exclude ?? []).flatMap((item) => tests.casesOf(item)).map((item) => item.id));
    const roots: vscode.TestItem[] = [];
    if (request.include) roots.push(...request.include);
    else tests.controller.items.forEach((item) => roots.push(item));
    // By id: a suite and one of its cases may both be asked for.
    const byId = new Map(roots.flatMap((item) => tests.casesOf(item)).map((item) => [item.id, item]));
    const cases = [...byId.values()].filter((item) => !excluded.has(item.id));

    const run = tests.controller.createTestRun(request);
    const out = new CaseOutcomes(run);
    const summary = out.summary;
    try {
      for (const item of cases) run.enqueued(item);
      let settings: LabSettings;
      try {
        settings = readSettings();
      } catch (e) {
        // Before any case ran: every case says why, in the Test Explorer.
        const message = new vscode.TestMessage(`Sampling Lab could not start the run: ${(e as Error).message}`);
        for (const item of cases) run.errored(item, message);
        summary.errored += cases.length;
        this.log.error(`Prompt tests: ${(e as Error).message}`);
        return summary;
      }
      // Each suite runs on its own model: (else the setting's); an endpoint's cases run here in the host.
      for (const group of groupByModel(cases.map((item) => ({ item, entry: tests.entry(item)! })), settings.model)) {
        if (suiteEndpointName(group.model) !== undefined) await runCasesOnEndpoint(group, out, token, this.endpointDeps(settings));
        else await this.runInPanel(group, out, settings, token);
      }
    } finally {
      run.end();
      this.log.info(`Prompt tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.errored} errored, ${summary.skipped} skipped (${summary.cached} from the cache).`);
      this.onDidFinishEmitter.fire(summary);
    }
    return summary;
  }

  private endpointDeps(settings: LabSettings): EndpointCaseDeps {
    return {
      trusted: workspaceTrusted,
      endpoints: readEndpoints,
      selected: (model) => selectedEndpoint(model)!,
      open: (endpoint, signal) => {
        if (!this.endpointEngines) throw new Error('no endpoint engines in this host');
        return this.endpointEngines.open(endpoint, signal);
      },
      concurrency: endpointConcurrency,
      cacheFor: (uri) => this.cacheFor(uri, settings),
      calibrationFor: this.calibrationFor,
      onStartCase: (item) => this.onDidStartCaseEmitter.fire(item.id),
    };
  }

  /** The cache beside a suite (`.sampling-lab/cache` of its workspace folder), when caching is on. */
  private cacheFor(uri: vscode.Uri, settings: LabSettings): PromptTestCache | undefined {
    if (!settings.cacheEnabled) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const root = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
    // Checked from the workspace root down: a repository may ship .sampling-lab/cache as a symlink.
    return new PromptTestCache(path.join(root, DEFAULT_CACHE_DIR), root);
  }

  /** One model's cases in the panel's worker: the model is loaded (a suite's own model: too), then the cases run in turn. */
  private async runInPanel(group: ModelGroup, out: CaseOutcomes, settings: LabSettings, token: vscode.CancellationToken): Promise<void> {
    const { run } = out;
    let model: Awaited<ReturnType<ModelSession['ensureLoaded']>>;
    try {
      // The model runs in the Strategies panel: open it if it never was, then give the sidebar
      // back to the Test Explorer, where the run is watched.
      if (await this.panel.ensureRunning()) void vscode.commands.executeCommand('workbench.view.testing.focus').then(undefined, () => undefined);
      model = await this.session.ensureLoaded(group.model, settings.device, token);
    } catch (e) {
      // Before any case of this model ran: every case says why, at the suite's model: when it named the model.
      const first = group.cases[0]?.entry;
      const at = group.fromSuite && first?.modelRange ? toRange(first.modelRange) : undefined;
      if (isCancellation(e)) group.cases.forEach((c) => out.skipped(c));
      else {
        const why = group.fromSuite ? `The suite's model "${group.model}" could not be loaded: ${(e as Error).message}` : `Sampling Lab could not start the run: ${(e as Error).message}`;
        group.cases.forEach((c) => out.errored(c, why, at));
        this.log.error(`Prompt tests: ${(e as Error).message}`);
      }
      return;
    }
    const riskCalibration = this.calibrationFor(group.model);
    const identity: ModelIdentity = { name: model.name, device: model.backend, fingerprint: this.session.current.status === 'ready' ? this.session.current.key : undefined };
    out.say(`Prompt tests on ${model.name} (${model.backend.toUpperCase()})${group.fromSuite ? ", the suite's model" : ''}: ${group.cases.length} cases`);

    for (const c of group.cases) {
      const { item, entry } = c;
      if (token.isCancellationRequested) {
        out.skipped(c);
        continue;
      }
      run.started(item);
      this.onDidStartCaseEmitter.fire(item.id);
      const started = Date.now();
      try {
        const plan = planGeneration(entry.case);
        const key = generationCacheKeyText(plan, identity);
        const cache = this.cacheFor(entry.uri, settings);
        let generation = cache?.get(key, plan);
        const cached = generation !== undefined;
        if (!generation) {
          generation = await generateInPanel(this.panel, plan, token);
          cache?.set(key, generation);
        }
        out.result(c, evaluateCase(entry.case, generation, { cached, durationMs: Date.now() - started, riskCalibration }));
      } catch (e) {
        if (isCancellation(e) || token.isCancellationRequested) out.skipped(c);
        else out.errored(c, `The model could not run this case: ${(e as Error).message}`, undefined, Date.now() - started);
      }
    }
  }

  dispose(): void {
    this.onDidFinishEmitter.dispose();
    this.onDidStartCaseEmitter.dispose();
  }
}

function isCancellation(e: unknown): boolean {
  return (
    e instanceof vscode.CancellationError ||
    e instanceof CaseCancelledError ||
    (e instanceof RequestFailedError && (e.name === 'CaseCancelledError' || e.name === 'AbortError'))
  );
}

/** One plan's outputs from the model in the panel's worker (prompt test cases, risk calibration questions). */
export async function generateInPanel(panel: PanelProvider, plan: GenerationPlan, token: vscode.CancellationToken, idPrefix = 'test'): Promise<CaseGeneration> {
  const reply = await request(panel, { type: 'promptTest', requestId: newRequestId(idPrefix), plan }, { token });
  return reply.generation;
}
