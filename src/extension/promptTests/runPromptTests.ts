/**
 * Runs prompt test cases from the Test Explorer. The model is the panel's (loaded once, in its
 * worker): each case's generation plan goes there as a `promptTest` request, and the assertions
 * are checked here on what comes back. Outputs are cached on disk by everything that decides
 * them, as `sampling-lab test` does, so an unchanged case re-runs instantly and editing only an
 * assertion never needs the model. The Testing view's Stop cancels the case in progress.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Calibration } from '../../core/consistency';
import {
  CaseCancelledError,
  evaluateCase,
  generationCacheKeyText,
  planGeneration,
  type CaseGeneration,
  type GenerationPlan,
  type ModelIdentity,
} from '../../core/prompttest';
import { DEFAULT_CACHE_DIR, PromptTestCache } from '../../node/promptTestRunner';
import type { ModelSession } from '../modelSession';
import type { PanelProvider } from '../panelProvider';
import { linkedCancellation, newRequestId, RequestFailedError, request } from '../requests';
import { readSettings } from '../settings';
import { workspaceTrusted } from '../workspaceTrust';
import { UNTRUSTED_TESTS_REASON, type PromptTestController } from './promptTestController';
import { failureMessages } from './testMessages';

export interface PromptTestRunSummary {
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  cached: number;
}

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
      const summary: PromptTestRunSummary = { passed: 0, failed: 0, errored: 0, skipped: 0, cached: 0 };
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
    const summary: PromptTestRunSummary = { passed: 0, failed: 0, errored: 0, skipped: 0, cached: 0 };
    try {
      for (const item of cases) run.enqueued(item);
      const settings = readSettings();
      // The model runs in the Strategies panel: open it if it never was, then give the sidebar
      // back to the Test Explorer, where the run is watched.
      if (await this.panel.ensureRunning()) void vscode.commands.executeCommand('workbench.view.testing.focus').then(undefined, () => undefined);
      const model = await this.session.ensureLoaded(settings.model, settings.device, token);
      const riskCalibration = this.calibrationFor(settings.model);
      const identity: ModelIdentity = { name: model.name, device: model.backend, fingerprint: this.session.current.status === 'ready' ? this.session.current.key : undefined };
      run.appendOutput(`Prompt tests on ${model.name} (${model.backend.toUpperCase()}): ${cases.length} cases\r\n`);

      for (const item of cases) {
        const entry = tests.entry(item)!;
        if (token.isCancellationRequested) {
          run.skipped(item);
          summary.skipped++;
          continue;
        }
        run.started(item);
        this.onDidStartCaseEmitter.fire(item.id);
        const started = Date.now();
        try {
          const plan = planGeneration(entry.case);
          const key = generationCacheKeyText(plan, identity);
          const folder = vscode.workspace.getWorkspaceFolder(entry.uri);
          const root = folder?.uri.fsPath ?? path.dirname(entry.uri.fsPath);
          // Checked from the workspace root down: a repository may ship .sampling-lab/cache as a symlink.
          const cache = settings.cacheEnabled ? new PromptTestCache(path.join(root, DEFAULT_CACHE_DIR), root) : undefined;
          let generation = cache?.get(key, plan);
          const cached = generation !== undefined;
          if (!generation) {
            generation = await generateInPanel(this.panel, plan, token);
            cache?.set(key, generation);
          }
          const result = evaluateCase(entry.case, generation, { cached, durationMs: Date.now() - started, riskCalibration });
          if (cached) summary.cached++;
          run.appendOutput(`${result.pass ? '✓' : '✗'} ${entry.case.name}: ${result.summary}${cached ? ' (cached)' : ''}\r\n`, undefined, item);
          if (result.pass) {
            run.passed(item, result.durationMs);
            summary.passed++;
          } else {
            run.failed(item, failureMessages(entry.case, result, entry.uri), result.durationMs);
            summary.failed++;
          }
        } catch (e) {
          if (isCancellation(e) || token.isCancellationRequested) {
            run.skipped(item);
            summary.skipped++;
          } else {
            const message = new vscode.TestMessage(`The model could not run this case: ${(e as Error).message}`);
            message.location = new vscode.Location(entry.uri, item.range ?? new vscode.Range(0, 0, 0, 0));
            run.errored(item, message, Date.now() - started);
            summary.errored++;
          }
        }
      }
    } catch (e) {
      // Before any case ran: a setting or the model. Every case says why, in the Test Explorer.
      const message = new vscode.TestMessage(isCancellation(e) ? 'Cancelled while the model loaded.' : `Sampling Lab could not start the run: ${(e as Error).message}`);
      for (const item of cases) {
        if (isCancellation(e)) run.skipped(item);
        else run.errored(item, message);
      }
      if (isCancellation(e)) summary.skipped += cases.length;
      else summary.errored += cases.length;
      if (!isCancellation(e)) this.log.error(`Prompt tests: ${(e as Error).message}`);
    } finally {
      run.end();
      this.log.info(`Prompt tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.errored} errored, ${summary.skipped} skipped (${summary.cached} from the cache).`);
      this.onDidFinishEmitter.fire(summary);
    }
    return summary;
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
