import * as assert from 'node:assert/strict';
import { evaluateCase, parseSuite, toJUnitXml, type CaseGeneration, type SuiteReport } from '../../../src/core/prompttest';
import { parseJUnit } from '../../support/junit';

const SUITE = [
  'cases:',
  '  - name: passes',
  '    prompt: hi',
  '    assert: [{ type: contains, value: ok }]',
  '  - name: "fails <with> & \\"quotes\\""',
  '    prompt: hi',
  '    assert:',
  '      - type: contains',
  '        value: ok',
].join('\n');

function generation(text: string): CaseGeneration {
  return { runs: [{ text, tokenLogprobs: [-0.1], meanLogprob: -0.1, seed: 42, finishReason: 'eos' }], deterministic: false, riskSamples: {} };
}

describe('JUnit XML', () => {
  const parsed = parseSuite(SUITE);
  const [ok, bad] = parsed.cases;
  // Model output may hold characters XML cannot: a NUL, an escape, "]]>".
  const ugly = 'no\u0000 \u001b[0m <tag> ]]> & done';
  const report: SuiteReport = {
    file: 'prompts/a.prompttest.yaml',
    problems: [],
    results: [evaluateCase(ok!, generation('ok')), evaluateCase(bad!, generation(ugly))],
    errors: [],
    durationMs: 12,
  };
  const broken: SuiteReport = {
    file: 'prompts/broken.prompttest.yaml',
    problems: parseSuite('cases:\n  - name: x\n    prompt: hi\n    repeat: 0\n    assert: [{ type: contains, value: x }]\n').problems,
    results: [],
    errors: [],
    durationMs: 0,
  };

  it('is well-formed, with testsuite and testcase counts that match the results', () => {
    const doc = parseJUnit(toJUnitXml([report, broken]));
    assert.deepEqual([doc.testsuites['@_tests'], doc.testsuites['@_failures'], doc.testsuites['@_errors']], ['3', '1', '1']);
    const [a, b] = doc.testsuites.testsuite;
    assert.deepEqual([a!['@_name'], a!['@_tests'], a!['@_failures'], a!['@_errors']], ['prompts/a.prompttest.yaml', '2', '1', '0']);
    assert.equal(a!.testcase.length, 2);
    assert.equal(a!.testcase.filter((c) => c.failure).length, 1);
    assert.deepEqual([b!['@_tests'], b!['@_failures'], b!['@_errors']], ['1', '0', '1']);
  });

  it('gives a failing case its rate, the assertion’s line and the output, escaped', () => {
    const doc = parseJUnit(toJUnitXml([report]));
    const failing = doc.testsuites.testsuite[0]!.testcase[1]!;
    assert.equal(failing['@_name'], 'fails <with> & "quotes"');
    assert.match(failing.failure!['@_message'], /^0\/1 runs passed \(0%\), needs 100% \(1\/1\): contains "ok" held in 0\/1/);
    assert.match(failing.failure!['#text'], /run 1: contains "ok" \(prompts\/a\.prompttest\.yaml:8\): expected the output to contain "ok"; got "no\\u0000 \\u001b\[0m <tag> ]]> & done"/);
  });

  it('drops characters XML cannot hold from raw text', () => {
    const withRaw: SuiteReport = { ...report, errors: [{ name: 'model failed', message: `bad\u0000 byte\u001b <here>` }] };
    const doc = parseJUnit(toJUnitXml([withRaw]));
    assert.equal(doc.testsuites.testsuite[0]!.testcase[2]!.error!['#text'], 'bad byte <here>');
  });

  it('reports a file that does not parse as one error naming each problem’s line and column', () => {
    const doc = parseJUnit(toJUnitXml([broken]));
    const error = doc.testsuites.testsuite[0]!.testcase[0]!.error!;
    assert.match(error['#text'], /^prompts\/broken\.prompttest\.yaml:4:13: repeat must be an integer in \[1, 64\]/);
  });
});
