/**
 * Runs prompt test cases from the Test Explorer, each suite on its model: its own `model:`, else
 * samplingLab.model. Cases are grouped by model, each group's engine is opened once (the panel's
 * model loaded in its worker, one model at a time; an endpoint's in this host), and the cases run
 * on it (engineCases.ts) with the same runPromptTestCase as `sampling-lab test`. Outputs are
 * cached on disk by everything that decides them, so an unchanged case re-runs instantly and
 * editing only an assertion never needs the model. The Testing view's Stop cancels the cases in
 * progress.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isWebviewBackend } from '../../core/model/backends';
import type { Calibration } from '../../core/consistency';
import type { Engine } from '../../core/engine/types';
import { suiteEndpointName, type CaseGeneration, type GenerationPlan } from '../../core/prompttest';
import { DEFAULT_CACHE_DIR, PromptTestCache } from '../../node/promptTestRunner';
import type { RunEngines } from '../engines/runEngines';
import { endpointConcurrency, readEndpoints, selectedEndpoint, type EndpointEngines } from '../endpoints';
import type { ModelSession } from '../modelSession';
import type { PanelProvider } from '../panelProvider';
import { linkedCancellation, newRequestId, request } from '../requests';
import { readSettings, type LabSettings } from '../settings';
import { workspaceTrusted } from '../workspaceTrust';
import { CaseOutcomes, emptySummary, type PromptTestRunSummary } from './caseOutcomes';
import { groupByModel } from './caseModels';
import { openEndpointCases, type EndpointCaseDeps } from './endpointCases';
import { casesNotOpened, CasesNotRun, isCancellation, runCasesOnEngine, type CasesEngine, type ModelGroup } from './engineCases';
import { UNTRUSTED_TESTS_REASON, type PromptTestController } from './promptTestController';

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
    /** Opens the panel's model for a group of cases. */
    private readonly engines: RunEngines,
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
      // Each suite runs on its own model: (else the setting's): its engine is opened once per group, and the cases run on it.
      for (const group of groupByModel(cases.map((item) => ({ item, entry: tests.entry(item)! })), settings.model)) {
        const deps = this.endpointDeps(settings);
        let opened: CasesEngine;
        try {
          // A suite is workspace content: an endpoint it names is checked (trust, the user's own endpoints) before it opens;
          // any other model is the panel's, or a GGUF file's in this host.
          opened = suiteEndpointName(group.model) !== undefined ? await openEndpointCases(group, token, deps) : await this.openPanelCases(group, settings, token);
        } catch (e) {
          casesNotOpened(group, out, e, token);
          if (!(e instanceof CasesNotRun) && !token.isCancellationRequested) this.log.error(`Prompt tests: ${(e as Error).message}`);
          continue;
        }
        await runCasesOnEngine(group, opened, out, token, deps);
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

  /**
   * The panel's model for a group's cases, loaded (a suite's own model: too). The model runs in
   * the Strategies panel: it is opened if it never was, and the sidebar goes back to the Test
   * Explorer, where the run is watched.
   */
  private async openPanelCases(group: ModelGroup, settings: LabSettings, token: vscode.CancellationToken): Promise<CasesEngine> {
    if (await this.panel.ensureRunning()) void vscode.commands.executeCommand('workbench.view.testing.focus').then(undefined, () => undefined);
    let engine: Engine;
    try {
      engine = await this.engines.open(group.model, settings.device, token);
    } catch (e) {
      if (token.isCancellationRequested || isCancellation(e) || !group.fromSuite) throw e;
      throw new CasesNotRun(`The suite's model "${group.model}" could not be loaded: ${(e as Error).message}`);
    }
    // A GGUF file runs in this host, not in the panel: its cached outputs are keyed by its own content.
    const inPanel = isWebviewBackend(engine.backend);
    const fingerprint = !inPanel ? this.engines.cacheIdentity(group.model) : this.session.current.status === 'ready' ? this.session.current.key : undefined;
    return { engine, name: engine.model, label: `${engine.model} (${inPanel ? engine.where.toUpperCase() : engine.where})`, identity: { name: engine.model, device: engine.where, fingerprint }, concurrency: 1 };
  }

  dispose(): void {
    this.onDidFinishEmitter.dispose();
    this.onDidStartCaseEmitter.dispose();
  }
}
