/**
 * The assertions, each a check of one run's output. A failure says what was expected and what
 * came out, in words a reader of a CI log can act on.
 */
import { ConsistencyError, scoreConsistency, type Calibration } from '../consistency';
import { checkSchema, formatIssues, type CheckedSchema } from '../structured/schema';
import { riskSamplesKey } from './generate';
import { compileLinearRegex, type LinearRegex } from './linearRegex';
import type { Assertion, AssertionOutcome, RunOutput } from './types';

export interface AssertionContext {
  prompt: string;
  /** Sampled answers by riskSamplesKey, for max-risk. */
  riskSamples: Readonly<Record<string, readonly string[]>>;
  /** The model's risk calibration; absent = uncalibrated (max-risk then bounds the mean of the sample parts). */
  riskCalibration?: Calibration;
}

/** How an assertion reads in reports: `contains "Belcastro"`, `max-risk ≤ 0.3`. */
export function describeAssertion(a: Assertion): string {
  switch (a.type) {
    case 'contains':
    case 'not-contains':
    case 'equals':
      return `${a.type} ${JSON.stringify(a.value)}${a.ignoreCase ? ' (ignoring case)' : ''}`;
    case 'regex':
      return `regex /${a.pattern}/${a.flags}`;
    case 'json-schema':
      return `json-schema ${a.source}`;
    case 'max-risk':
      return `max-risk ≤ ${a.max}`;
    case 'min-mean-logprob':
      return `min-mean-logprob ≥ ${a.min}`;
    case 'max-tokens':
      return `max-tokens ≤ ${a.max}`;
  }
}

/** Compiled validators and patterns per assertion: a suite checks the same one once per run. */
const compiled = new WeakMap<Assertion, CheckedSchema>();
const compiledRegex = new WeakMap<Assertion, LinearRegex>();

export function checkAssertion(a: Assertion, run: RunOutput, context: AssertionContext): AssertionOutcome {
  const text = run.text;
  const outcome = (pass: boolean, actual: string, failure: string): AssertionOutcome => ({ pass, actual, message: pass ? '' : failure });
  switch (a.type) {
    case 'contains':
    case 'not-contains': {
      const found = fold(text, a.ignoreCase).includes(fold(a.value, a.ignoreCase));
      const want = a.type === 'contains';
      return outcome(found === want, quote(text), `expected the output ${want ? 'to contain' : 'not to contain'} ${JSON.stringify(a.value)}; got ${quote(text)}`);
    }
    case 'equals': {
      // Leading and trailing whitespace never counts: models often answer " Belcastro." after "A:".
      const same = fold(text.trim(), a.ignoreCase) === fold(a.value.trim(), a.ignoreCase);
      return outcome(same, quote(text), `expected the output to equal ${JSON.stringify(a.value.trim())}; got ${quote(text.trim())}`);
    }
    case 'regex': {
      // RE2, not RegExp: the pattern comes from a repository, and a backtracking engine can take years on one output.
      let regex = compiledRegex.get(a);
      if (!regex) compiledRegex.set(a, (regex = compileLinearRegex(a.pattern, a.flags)));
      const match = regex.test(text);
      return outcome(match, quote(text), `expected the output to match /${a.pattern}/${a.flags}; got ${quote(text)}`);
    }
    case 'json-schema': {
      let checked = compiled.get(a);
      if (!checked) compiled.set(a, (checked = checkSchema(a.schema, a.source)));
      const result = checked.validateText(text);
      const issues = formatIssues(result.issues).join('; ');
      return outcome(result.valid, result.valid ? 'valid JSON' : issues, `the output does not match ${a.source}: ${issues}; got ${quote(text)}`);
    }
    case 'max-risk': {
      const samples = context.riskSamples[riskSamplesKey(a)];
      if (!samples) return outcome(false, 'no samples', `no risk samples were drawn for ${a.samples} samples at T=${a.temperature}; run the case again`);
      try {
        const scored = scoreConsistency({ prompt: context.prompt, main: { text, tokenLogprobs: run.tokenLogprobs }, samples, calibration: context.riskCalibration });
        const actual = `risk ${scored.risk.toFixed(2)} (${scored.band})`;
        return outcome(scored.risk <= a.max, actual, `${actual} is above max-risk ${a.max}: ${scored.explanation.replace(/\.$/, "")}; got ${quote(text)}`);
      } catch (e) {
        if (!(e instanceof ConsistencyError)) throw e;
        return outcome(false, 'not scored', `the risk could not be scored: ${e.message}`);
      }
    }
    case 'min-mean-logprob': {
      const actual = `mean log-prob ${formatLogprob(run.meanLogprob)}`;
      return outcome(run.meanLogprob >= a.min, actual, `${actual} is below min-mean-logprob ${a.min}; got ${quote(text)}`);
    }
    case 'max-tokens': {
      const n = run.tokenLogprobs.length;
      return outcome(n <= a.max, `${n} tokens`, `${n} tokens is more than max-tokens ${a.max}; got ${quote(text)}`);
    }
  }
}

function fold(text: string, ignoreCase: boolean): string {
  return ignoreCase ? text.toLocaleLowerCase() : text;
}

export function formatLogprob(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : String(value);
}

/** The output as JSON text, cut to `max` characters so one log line stays readable. */
export function quote(text: string, max = 120): string {
  const json = JSON.stringify(text);
  return json.length <= max ? json : `${json.slice(0, max - 2)}…"`;
}
