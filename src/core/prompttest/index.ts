/**
 * Prompt tests: suites of cases in `*.prompttest.yaml`, run N times each on the model, passing
 * when at least `pass_rate` of the runs meet every assertion. Pure: files and the cache are the
 * Node runner's (src/node/promptTestRunner.ts), the Test Explorer is the extension's.
 */
export { checkAssertion, describeAssertion, quote, type AssertionContext } from './assertions';
export { evaluateCase, requiredRuns, type EvaluateOptions } from './evaluate';
export {
  CaseCancelledError,
  generateCase,
  generateCaseWith,
  generationCacheKeyText,
  generationFitsPlan,
  planGeneration,
  riskSamplesKey,
  riskFirstSample,
  type CompareFn,
  type GenerateOptions,
  type GenerationPlan,
  type ModelIdentity,
  type RiskSampling,
} from './generate';
export { suiteCounts, toJUnitXml, type SuiteCounts, type SuiteReport } from './junit';
export { CASE_DEFAULTS, didYouMean, ENDPOINT_PREFIX, suiteEndpointName, LIMITS, parseSuite, SUITE_KEYS, suiteFileReferences, type ParseSuiteOptions, type SuiteFileReference } from './parseSuite';
export { compileLinearRegex, REGEX_FLAGS, RegexSyntaxError, type LinearRegex } from './linearRegex';
export { fillTemplate, templateNames } from './template';
export * from './types';

import type { SuiteProblem } from './types';

/** `file:line:col: message`, the shape editors and CI logs link to. */
export function formatProblem(file: string, p: SuiteProblem): string {
  return `${file}:${p.range.line}:${p.range.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}
