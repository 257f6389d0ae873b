import * as assert from 'node:assert/strict';
import { evaluateCase, parseSuite, requiredRuns, type CaseGeneration, type PromptTestCase } from '../../../src/core/prompttest';

function caseWith(assertLines: string[], passRate = 1, repeat = 5): PromptTestCase {
  const text = ['cases:', '  - name: flaky', '    prompt: hi', '    strategy: temperature', `    repeat: ${repeat}`, `    pass_rate: ${passRate}`, '    assert:', ...assertLines.map((l) => `      ${l}`)].join('\n');
  const suite = parseSuite(text);
  assert.deepEqual(suite.problems, []);
  return suite.cases[0]!;
}

function outputs(...texts: string[]): CaseGeneration {
  return { runs: texts.map((text, i) => ({ text, tokenLogprobs: [-0.1], meanLogprob: -0.1, seed: 42 + i, finishReason: 'eos' })), deterministic: false, riskSamples: {} };
}

describe('prompt test verdicts', () => {
  it('pass a case when at least pass_rate of the runs pass, and report the rate', () => {
    const c = caseWith(['- { type: contains, value: Belcastro }'], 0.8);
    const r = evaluateCase(c, outputs(' Belcastro.', ' Belcastro.', ' Jorvale.', ' Belcastro.', ' Belcastro.'));
    assert.equal(r.pass, true);
    assert.equal(r.passedRuns, 4);
    assert.equal(r.rate, 0.8);
    assert.equal(r.summary, '4/5 runs passed (80%), needs 80%');
  });

  it('fail the same runs when pass_rate asks for more, naming the weak assertion and its line', () => {
    const c = caseWith(['- { type: contains, value: Belcastro }'], 1);
    const r = evaluateCase(c, outputs(' Belcastro.', ' Belcastro.', ' Jorvale.', ' Belcastro.', ' Belcastro.'));
    assert.equal(r.pass, false);
    assert.equal(r.summary, '4/5 runs passed (80%), needs 100% (5/5): contains "Belcastro" held in 4/5 (" Jorvale.")');
    assert.deepEqual(r.failures, [{ run: 2, output: ' Jorvale.', assertionIndex: 0, message: 'expected the output to contain "Belcastro"; got " Jorvale."' }]);
    assert.equal(r.assertions[0]!.assertion.range.line, 8);
  });

  it('count a run as passed only when every assertion holds in that same run', () => {
    const c = caseWith(['- { type: contains, value: a }', '- { type: contains, value: b }'], 0.8);
    // Each assertion holds in 4 of 5 runs, but in different runs: only 3 runs meet both.
    const r = evaluateCase(c, outputs('ab', 'ab', 'a', 'b', 'ab'));
    assert.deepEqual(r.assertions.map((a) => a.passed), [4, 4]);
    assert.equal(r.passedRuns, 3);
    assert.equal(r.pass, false);
    assert.deepEqual(r.failures.map((f) => [f.run, f.assertionIndex]), [[2, 1], [3, 0]]);
  });

  it('let pass_rate 0 pass a case whose runs all fail', () => {
    const c = caseWith(['- { type: contains, value: z }'], 0, 2);
    assert.equal(evaluateCase(c, outputs('a', 'b')).pass, true);
  });

  it('need the runs pass_rate × N rounds up to, without float error', () => {
    assert.equal(requiredRuns(0.8, 5), 4);
    assert.equal(requiredRuns(0.7, 10), 7);
    assert.equal(requiredRuns(0.81, 5), 5);
    assert.equal(requiredRuns(1, 3), 3);
    assert.equal(requiredRuns(0, 3), 0);
  });

  it('say when greedy decoded once for all runs', () => {
    const c = caseWith(['- { type: contains, value: a }'], 1, 3);
    const r = evaluateCase(c, { ...outputs('a', 'a', 'a'), deterministic: true }, { cached: true, durationMs: 3 });
    assert.equal(r.summary, '3/3 runs passed (100%), greedy: one decode for all runs');
    assert.equal(r.cached, true);
  });
});
