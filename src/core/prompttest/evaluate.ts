/**
 * A case's verdict from its runs. A run passes when every assertion holds in it; the case passes
 * when at least `pass_rate` of its N runs pass (pass^N when pass_rate is 1). A flaky prompt so
 * shows up as a rate, e.g. "3/5 runs passed (60%)", instead of a coin-flip red or green.
 */
import { checkAssertion, describeAssertion } from './assertions';
import type { Calibration } from '../consistency';
import type { AssertionResult, CaseGeneration, CaseResult, PromptTestCase, RunFailure } from './types';

/** Runs needed out of `runs` to reach `passRate` (tolerating float error: 0.8 × 5 is 4). */
export function requiredRuns(passRate: number, runs: number): number {
  return Math.min(runs, Math.max(0, Math.ceil(passRate * runs - 1e-9)));
}

export interface EvaluateOptions {
  durationMs?: number;
  cached?: boolean;
  /** The model's risk calibration, for max-risk; absent = uncalibrated. */
  riskCalibration?: Calibration;
}

export function evaluateCase(c: PromptTestCase, generation: CaseGeneration, options: EvaluateOptions = {}): CaseResult {
  const runs = generation.runs;
  const context = { prompt: c.prompt, riskSamples: generation.riskSamples, riskCalibration: options.riskCalibration };
  const assertions: AssertionResult[] = c.assertions.map((assertion) => {
    const outcomes = runs.map((run) => checkAssertion(assertion, run, context));
    return { assertion, outcomes, passed: outcomes.filter((o) => o.pass).length };
  });
  const failures: RunFailure[] = [];
  let passedRuns = 0;
  runs.forEach((run, i) => {
    const failed = assertions.findIndex((a) => !a.outcomes[i]!.pass);
    if (failed < 0) passedRuns++;
    else failures.push({ run: i, output: run.text, assertionIndex: failed, message: assertions[failed]!.outcomes[i]!.message });
  });
  const n = runs.length;
  const needed = requiredRuns(c.passRate, n);
  const pass = n > 0 && passedRuns >= needed;
  const rate = n > 0 ? passedRuns / n : 0;
  return {
    name: c.name,
    pass,
    passedRuns,
    runs: n,
    rate,
    passRate: c.passRate,
    deterministic: generation.deterministic,
    assertions,
    failures,
    summary: summarize(pass, passedRuns, n, needed, c.passRate, assertions, generation.deterministic),
    durationMs: options.durationMs ?? 0,
    cached: options.cached ?? false,
  };
}

function summarize(pass: boolean, passed: number, n: number, needed: number, passRate: number, assertions: AssertionResult[], deterministic: boolean): string {
  const head = `${passed}/${n} runs passed (${percent(n > 0 ? passed / n : 0)})${deterministic ? ', greedy: one decode for all runs' : ''}`;
  if (pass) return passRate < 1 ? `${head}, needs ${percent(passRate)}` : head;
  const weak = assertions
    .filter((a) => a.passed < n)
    .map((a) => {
      const firstFailing = a.outcomes.find((o) => !o.pass)!;
      return `${describeAssertion(a.assertion)} held in ${a.passed}/${n} (${firstFailing.actual})`;
    });
  return `${head}, needs ${percent(passRate)} (${needed}/${n}): ${weak.join('; ')}`;
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
