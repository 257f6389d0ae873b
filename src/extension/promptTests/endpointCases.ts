/**
 * Prompt test cases on an endpoint (a suite's `model: endpoint:NAME`, or samplingLab.model naming
 * one), run here in the extension host through the endpoint's remote engine with the same
 * runPromptTestCase as `sampling-lab test --endpoint` (src/node/promptTestRunner.ts). A suite is
 * workspace content: in Restricted Mode nothing is sent, and the endpoint must be one of the
 * user's own (samplingLab.endpoints is read from user settings only). Cases run side by side up
 * to samplingLab.endpointConcurrency; Stop aborts the requests in flight and keeps the cases that
 * finished. What the server changes (it samples; risk is lexical, calibrated only by the endpoint's own fit) is said in the
 * run's output, and a strategy it cannot honour fails its case by name, with nothing sent for it.
 */
import * as vscode from 'vscode';
import type { Calibration } from '../../core/consistency';
import { capabilityNotes, type Engine } from '../../core/engine/types';
import { CaseCancelledError, suiteEndpointName } from '../../core/prompttest';
import { Limiter, RemoteAbortedError } from '../../node/engines/remote/http';
import { engineIdentity, runPromptTestCase, type PromptTestCache } from '../../node/promptTestRunner';
import type { EndpointSetting } from '../endpoints';
import { SECTION, SettingsError } from '../settings';
import { untrustedReason } from '../workspaceTrust';
import type { CaseOutcomes, CaseToRun } from './caseOutcomes';
import { toRange } from './suiteDiagnostics';

/** Cases that run on one model: the suite's `model:` (fromSuite) or the samplingLab.model setting. */
export interface ModelGroup {
  model: string;
  fromSuite: boolean;
  cases: CaseToRun[];
}

export interface EndpointCaseDeps {
  trusted(): boolean;
  /** The user's endpoints (user settings only). */
  endpoints(): EndpointSetting[];
  /** The endpoint samplingLab.model selects, under its own rules (a workspace value is refused). */
  selected(model: string): EndpointSetting;
  open(endpoint: EndpointSetting, signal: AbortSignal): Promise<Engine>;
  /** Cases in flight at once (samplingLab.endpointConcurrency). */
  concurrency(): number;
  cacheFor(suite: vscode.Uri): PromptTestCache | undefined;
  /** The endpoint's own risk calibration (Calibrate Hallucination Risk on it), or undefined. */
  calibrationFor?(model: string): Calibration | undefined;
  onStartCase?(item: vscode.TestItem): void;
}

/** The endpoint a suite's `model: endpoint:NAME` names, among the user's; unknown: which there are, and how to add one. */
export function suiteEndpoint(model: string, endpoints: readonly EndpointSetting[]): EndpointSetting {
  const name = suiteEndpointName(model) ?? '';
  const found = endpoints.find((e) => e.name === name);
  if (found) return found;
  const known = endpoints.length > 0 ? `Your user settings list: ${endpoints.map((e) => e.name).join(', ')}.` : 'Your user settings list no endpoints.';
  throw new SettingsError(
    `This suite's model is "${model}", but ${SECTION}.endpoints has no endpoint named "${name}". ${known} Add it with Sampling Lab: Add Endpoint… (endpoints come from your user settings only), or fix the name in the suite.`,
    `${SECTION}.endpoints`,
  );
}

/** Why nothing of a suite goes to an endpoint in Restricted Mode, and how to proceed. */
export function untrustedEndpointReason(name: string): string {
  return `Nothing was sent. ${untrustedReason(`sends a suite's prompts to endpoint ${name}`)}`;
}

/** What the server changes for these cases, one line each. */
export function endpointNotes(engine: Engine, cases: readonly CaseToRun[], calibrated: boolean): string[] {
  const notes = capabilityNotes(engine.capabilities);
  if (cases.some((c) => c.entry.case.assertions.some((a) => a.type === 'max-risk'))) {
    notes.push(
      calibrated
        ? "max-risk: the server samples the answers, and they are scored by lexical agreement, with this endpoint's own calibration."
        : 'max-risk: the server samples the answers, and they are scored by lexical agreement, uncalibrated (run Calibrate Hallucination Risk with this endpoint selected for bands).',
    );
  }
  return notes;
}

export async function runCasesOnEndpoint(group: ModelGroup, out: CaseOutcomes, token: vscode.CancellationToken, deps: EndpointCaseDeps): Promise<void> {
  const name = suiteEndpointName(group.model) ?? group.model;
  const first = group.cases[0]?.entry;
  // A problem with the suite's model: is placed at its line; with the setting, at each case.
  const at = group.fromSuite && first?.modelRange ? toRange(first.modelRange) : undefined;
  const errorAll = (text: string) => group.cases.forEach((c) => out.errored(c, text, at));
  if (!deps.trusted()) return errorAll(untrustedEndpointReason(name));
  let endpoint: EndpointSetting;
  try {
    endpoint = group.fromSuite ? suiteEndpoint(group.model, deps.endpoints()) : deps.selected(group.model);
  } catch (e) {
    return errorAll((e as Error).message);
  }

  const abort = new AbortController();
  const cancelled = token.onCancellationRequested(() => abort.abort());
  try {
    let engine: Engine;
    try {
      engine = await deps.open(endpoint, abort.signal);
    } catch (e) {
      if (token.isCancellationRequested) return group.cases.forEach((c) => out.skipped(c));
      return errorAll(`Endpoint ${endpoint.name} (${endpoint.baseUrl}) could not be opened: ${(e as Error).message}`);
    }
    out.say(`Prompt tests on endpoint ${endpoint.name} (${engine.model}, ${engine.where})${group.fromSuite ? ", the suite's model" : ''}: ${group.cases.length} cases, sampled by the server.`);
    const riskCalibration = deps.calibrationFor?.(group.model);
    for (const note of endpointNotes(engine, group.cases, riskCalibration !== undefined)) out.say(`  ${note}`);
    const identity = engineIdentity(engine, endpoint.baseUrl);
    const limiter = new Limiter(deps.concurrency());

    const runOne = async (c: CaseToRun): Promise<void> => {
      if (token.isCancellationRequested) return out.skipped(c);
      const testCase = c.entry.case;
      const refused = engine.refusals([testCase.strategy], { format: { chat: testCase.chat, system: testCase.system } });
      if (refused.length > 0) return out.notRun(c, `Not run on endpoint ${endpoint.name}: ${refused.map((r) => r.reason).join('; ')}. The server samples, so a strategy it cannot honour is not sent.`);
      out.run.started(c.item);
      deps.onStartCase?.(c.item);
      const started = Date.now();
      try {
        out.result(c, await runPromptTestCase(engine, testCase, { identity, cache: deps.cacheFor(c.entry.uri), signal: abort.signal, riskCalibration }));
      } catch (e) {
        if (token.isCancellationRequested || e instanceof CaseCancelledError || e instanceof RemoteAbortedError) out.skipped(c);
        else out.errored(c, `Endpoint ${endpoint.name} could not run this case: ${(e as Error).message}`, undefined, Date.now() - started);
      }
    };
    await Promise.all(group.cases.map((c) => limiter.run(() => runOne(c))));
  } finally {
    cancelled.dispose();
  }
}
