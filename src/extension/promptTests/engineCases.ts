/**
 * One model's prompt test cases on its engine, whichever it is: the panel's model (loaded in its
 * worker) or an endpoint's (in this host). Each case runs with the same runPromptTestCase as
 * `sampling-lab test`; a strategy the engine cannot honour fails its case by name, with nothing
 * sent for it. Cases run side by side up to the engine's concurrency; Stop aborts the requests in
 * flight and keeps the cases that finished.
 */
import * as vscode from 'vscode';
import type { Calibration } from '../../core/consistency';
import { capabilityNotes, type Engine } from '../../core/engine/types';
import { CaseCancelledError, type ModelIdentity } from '../../core/prompttest';
import { Limiter, RemoteAbortedError } from '../../node/engines/remote/http';
import { runPromptTestCase, type PromptTestCache } from '../../node/promptTestRunner';
import { abortSignalOf, RequestFailedError } from '../requests';
import type { CaseOutcomes, CaseToRun } from './caseOutcomes';
import { toRange } from './suiteDiagnostics';

/** Cases that run on one model: the suite's `model:` (fromSuite) or the samplingLab.model setting. */
export interface ModelGroup {
  model: string;
  fromSuite: boolean;
  cases: CaseToRun[];
}

/** The engine a group's cases run on, opened, and what the run says of it. */
export interface CasesEngine {
  engine: Engine;
  /** How case messages name it: "endpoint gpu-box", "facts-lm". */
  name: string;
  /** How the run's first line names it: "endpoint gpu-box (Qwen3-8B, vllm at …)", "facts-lm (WASM)". */
  label: string;
  /** What its cached outputs are keyed by. */
  identity: ModelIdentity;
  /** Cases in flight at once: a server runs them side by side; the panel's model one at a time. */
  concurrency: number;
}

export interface EngineCaseDeps {
  cacheFor(suite: vscode.Uri): PromptTestCache | undefined;
  /** The model's own risk calibration (an endpoint's: Calibrate Hallucination Risk on it), or undefined. */
  calibrationFor?(model: string): Calibration | undefined;
  onStartCase?(item: vscode.TestItem): void;
}

/** What the engine changes for these cases, one line each: nothing for the panel's own model. */
export function engineNotes(engine: Engine, cases: readonly CaseToRun[], calibrated: boolean): string[] {
  const notes = capabilityNotes(engine.capabilities);
  if (engine.capabilities.sampling === 'server' && cases.some((c) => c.entry.case.assertions.some((a) => a.type === 'max-risk'))) {
    notes.push(
      calibrated
        ? "max-risk: the server samples the answers, and they are scored by lexical agreement, with this endpoint's own calibration."
        : 'max-risk: the server samples the answers, and they are scored by lexical agreement, uncalibrated (run Calibrate Hallucination Risk with this endpoint selected for bands).',
    );
  }
  return notes;
}

/** Why none of a group's cases runs: each case errors with it, at the suite's model: line when the suite named the model. */
export class CasesNotRun extends Error {}

/** Every case of a group whose engine did not open: skipped when stopped, else errored with the reason. */
export function casesNotOpened(group: ModelGroup, out: CaseOutcomes, e: unknown, token: vscode.CancellationToken): void {
  if (token.isCancellationRequested || isCancellation(e)) return group.cases.forEach((c) => out.skipped(c));
  const first = group.cases[0]?.entry;
  const at = group.fromSuite && first?.modelRange ? toRange(first.modelRange) : undefined;
  const text = e instanceof CasesNotRun ? e.message : `Sampling Lab could not start the run: ${(e as Error).message}`;
  group.cases.forEach((c) => out.errored(c, text, at));
}

export async function runCasesOnEngine(group: ModelGroup, opened: CasesEngine, out: CaseOutcomes, token: vscode.CancellationToken, deps: EngineCaseDeps): Promise<void> {
  const { engine, identity, name, label } = opened;
  const server = engine.capabilities.sampling === 'server';
  out.say(`Prompt tests on ${label}${group.fromSuite ? ", the suite's model" : ''}: ${group.cases.length} cases${server ? ', sampled by the server' : ''}.`);
  const riskCalibration = deps.calibrationFor?.(group.model);
  for (const note of engineNotes(engine, group.cases, riskCalibration !== undefined)) out.say(`  ${note}`);
  const limiter = new Limiter(opened.concurrency);
  const abort = abortSignalOf(token);

  const runOne = async (c: CaseToRun): Promise<void> => {
    if (token.isCancellationRequested) return out.skipped(c);
    const testCase = c.entry.case;
    const refused = engine.refusals([testCase.strategy], { format: { chat: testCase.chat, system: testCase.system } });
    if (refused.length > 0) return out.notRun(c, `Not run on ${name}: ${refused.map((r) => r.reason).join('; ')}. The server samples, so a strategy it cannot honour is not sent.`);
    out.run.started(c.item);
    deps.onStartCase?.(c.item);
    const started = Date.now();
    try {
      out.result(c, await runPromptTestCase(engine, testCase, { identity, cache: deps.cacheFor(c.entry.uri), signal: abort.signal, riskCalibration }));
    } catch (e) {
      if (token.isCancellationRequested || isCancellation(e)) out.skipped(c);
      else out.errored(c, `Could not run this case on ${name}: ${(e as Error).message}`, undefined, Date.now() - started);
    }
  };
  try {
    await Promise.all(group.cases.map((c) => limiter.run(() => runOne(c))));
  } finally {
    abort.dispose();
  }
}

export function isCancellation(e: unknown): boolean {
  return (
    e instanceof vscode.CancellationError ||
    e instanceof CaseCancelledError ||
    e instanceof RemoteAbortedError ||
    (e instanceof RequestFailedError && (e.name === 'CaseCancelledError' || e.name === 'AbortError'))
  );
}
