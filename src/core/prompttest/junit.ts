/**
 * JUnit XML for CI: one <testsuite> per suite file, one <testcase> per case. A failing case gets
 * a <failure> with its rate and each failed run's assertion and output; a file that does not
 * parse gets one <testcase> with an <error> listing its problems at their lines.
 */
import { describeAssertion } from './assertions';
import type { CaseResult, SuiteProblem } from './types';

export interface SuiteReport {
  /** The suite file as the user should see it (relative to the working folder). */
  file: string;
  problems: SuiteProblem[];
  results: CaseResult[];
  /** Cases that could not run at all (the model failed), with why. */
  errors: Array<{ name: string; message: string }>;
  durationMs: number;
}

export interface SuiteCounts {
  tests: number;
  failures: number;
  errors: number;
}

/** Counts as JUnit reports them: a file with parse errors counts as one test in error. */
export function suiteCounts(report: SuiteReport): SuiteCounts {
  const broken = report.problems.some((p) => p.severity === 'error') ? 1 : 0;
  return {
    tests: report.results.length + report.errors.length + broken,
    failures: report.results.filter((r) => !r.pass).length,
    errors: report.errors.length + broken,
  };
}

export function toJUnitXml(reports: readonly SuiteReport[], name = 'sampling-lab prompt tests'): string {
  const total = { tests: 0, failures: 0, errors: 0, seconds: 0 };
  const suites = reports.map((report) => {
    const counts = suiteCounts(report);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.seconds += report.durationMs / 1000;
    const cases: string[] = [];
    const problems = report.problems.filter((p) => p.severity === 'error');
    if (problems.length > 0) {
      const lines = problems.map((p) => `${report.file}:${p.range.line}:${p.range.column}: ${p.message}`);
      cases.push(
        `    <testcase name="${attr(`${report.file} parses`)}" classname="${attr(report.file)}" time="0">\n` +
          `      <error type="SuiteError" message="${attr(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${report.file}: ${problems[0]!.message}`)}">${text(lines.join('\n'))}</error>\n` +
          `    </testcase>`,
      );
    }
    for (const r of report.results) cases.push(testcase(report.file, r));
    for (const e of report.errors) {
      cases.push(
        `    <testcase name="${attr(e.name)}" classname="${attr(report.file)}" time="0">\n` +
          `      <error type="RunError" message="${attr(e.message)}">${text(e.message)}</error>\n` +
          `    </testcase>`,
      );
    }
    return (
      `  <testsuite name="${attr(report.file)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="0" time="${seconds(report.durationMs)}">\n` +
      cases.map((c) => `${c}\n`).join('') +
      `  </testsuite>`
    );
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="${attr(name)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" time="${total.seconds.toFixed(3)}">\n` +
    suites.map((s) => `${s}\n`).join('') +
    `</testsuites>\n`
  );
}

function testcase(file: string, r: CaseResult): string {
  const open = `    <testcase name="${attr(r.name)}" classname="${attr(file)}" time="${seconds(r.durationMs)}">`;
  if (r.pass) return `${open}</testcase>`;
  const details = r.failures.map((f) => {
    const a = r.assertions[f.assertionIndex]!.assertion;
    return `run ${f.run + 1}: ${describeAssertion(a)} (${file}:${a.range.line}): ${f.message}`;
  });
  const type = r.assertions.find((a) => a.passed < r.runs)?.assertion.type ?? 'pass_rate';
  return `${open}\n      <failure type="${attr(type)}" message="${attr(r.summary)}">${text([r.summary, ...details].join('\n'))}</failure>\n    </testcase>`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Characters XML 1.0 cannot hold at all (model output may contain them); dropped. */
const NOT_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function text(s: string): string {
  return s.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  // Line breaks in attributes would be normalised to spaces by parsers; keep them explicit.
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
