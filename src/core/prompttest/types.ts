/**
 * Prompt test suites: the cases a `*.prompttest.yaml` file holds once parsed, what running them
 * produces, and the results the CLI, JUnit and the Test Explorer report. Every case and
 * assertion keeps where it was written, so a failure can point at its line.
 */
import type { Strategy } from '../decode/types';

/** A span in the suite file: lines and columns count from 1, and the end column is exclusive. */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A mistake in a suite file, at the place to fix it. */
export interface SuiteProblem {
  message: string;
  range: SourceRange;
  severity: 'error' | 'warning';
}

export const ASSERTION_TYPES = [
  'contains',
  'not-contains',
  'equals',
  'regex',
  'json-schema',
  'max-risk',
  'min-mean-logprob',
  'max-tokens',
] as const;

export type AssertionType = (typeof ASSERTION_TYPES)[number];

interface AssertionBase {
  /** Where the assertion is written (its whole list item). */
  range: SourceRange;
}

export type Assertion = AssertionBase &
  (
    | { type: 'contains' | 'not-contains' | 'equals'; value: string; ignoreCase: boolean }
    | { type: 'regex'; pattern: string; flags: string }
    /** `schema` is already checked against the 2020-12 meta-schema; `source` names where it came from. */
    | { type: 'json-schema'; schema: Record<string, unknown> | boolean; source: string }
    /** The self-consistency risk of each run's output, against `samples` answers drawn at `temperature`. */
    | { type: 'max-risk'; max: number; samples: number; temperature: number }
    /** Mean log-prob of the output's tokens under the raw distribution (the best-of-N score). */
    | { type: 'min-mean-logprob'; min: number }
    | { type: 'max-tokens'; max: number }
  );

export interface PromptTestCase {
  name: string;
  /** The prompt after `{{var}}` substitution: exactly what the model reads. */
  prompt: string;
  /** `prompt_file` as written, when the prompt came from a file. */
  promptFile?: string;
  vars: Record<string, string>;
  strategy: Strategy;
  /** N: how many times the case runs (run i is sample i of the prompt: core/sampling/rng.ts sequenceSeed). */
  repeat: number;
  maxNewTokens: number;
  seed: number;
  stopStrings: string[];
  /** Share of the N runs that must pass every assertion, in [0, 1]. */
  passRate: number;
  /** true: through the model's chat template; false: raw; absent: the template when the model has one. */
  chat?: boolean;
  /** A system message before the prompt (chat only). */
  system?: string;
  assertions: Assertion[];
  /** The whole case (its list item), and its `name` value: where the Test Explorer puts it. */
  range: SourceRange;
  nameRange: SourceRange;
}

export interface ParsedSuite {
  description?: string;
  /**
   * The suite's `model:` as written (trimmed), with the same values as samplingLab.model:
   * `facts-lm`, a model folder, a hub id, or `endpoint:NAME`; absent: the runner's own model.
   */
  model?: string;
  /** Where `model:` is written, for messages about it (unknown endpoint, no --endpoint). */
  modelRange?: SourceRange;
  /** The cases that parsed cleanly, in file order. A case with a problem is left out. */
  cases: PromptTestCase[];
  problems: SuiteProblem[];
}

/** One run's output: what the assertions look at. */
export interface RunOutput {
  text: string;
  /** log P of each generated token under the raw distribution (logprobRaw). */
  tokenLogprobs: number[];
  meanLogprob: number;
  seed: number;
  finishReason: string;
}

/**
 * Everything the model produced for one case: N runs, and the risk samples each max-risk
 * assertion needs. Plain JSON (bar −∞ log-probs), so it can be cached and sent between processes.
 */
export interface CaseGeneration {
  runs: RunOutput[];
  /** Greedy decoding is deterministic: one decode stands for all N runs. */
  deterministic: boolean;
  /** Sampled answers by `riskSamplesKey(samples, temperature)`. */
  riskSamples: Record<string, string[]>;
}

export interface AssertionOutcome {
  pass: boolean;
  /** What was measured, in words: "risk 0.71 (High)", "mean log-prob −0.004". */
  actual: string;
  /** Why it failed, naming the expectation; empty when it passed. */
  message: string;
}

export interface AssertionResult {
  assertion: Assertion;
  /** Runs in which the assertion held, and its outcome in each run. */
  passed: number;
  outcomes: AssertionOutcome[];
}

/** A run that failed, with its first failing assertion: what the Test Explorer shows inline. */
export interface RunFailure {
  run: number;
  output: string;
  assertionIndex: number;
  message: string;
}

export interface CaseResult {
  name: string;
  pass: boolean;
  /** Runs in which every assertion held, out of `runs`. */
  passedRuns: number;
  runs: number;
  /** passedRuns / runs, to compare with `passRate`. */
  rate: number;
  passRate: number;
  deterministic: boolean;
  assertions: AssertionResult[];
  failures: RunFailure[];
  /** One line: "3/5 runs passed (60%), needs 80%: max-risk ≤ 0.3 held in 3/5 (risk 0.71 (High))". */
  summary: string;
  durationMs: number;
  cached: boolean;
}
