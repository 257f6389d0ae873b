/**
 * A suite's top-level `model:`: the same values as samplingLab.model (facts-lm, a folder, a hub id,
 * endpoint:NAME), checked for form at its line; a bad one keeps every case from running.
 */
import * as assert from 'node:assert/strict';
import { parseSuite, suiteEndpointName } from '../../../src/core/prompttest';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const CASES = ['cases:', '  - name: one', '    prompt: "Q: x\\nA:"', '    assert:', '      - type: contains', '        value: x'];

function errors(text: string) {
  return parseSuite(text).problems.filter((p) => p.severity === 'error');
}

describe('prompt test suite model:', () => {
  for (const value of ['facts-lm', 'Xenova/distilgpt2@main', './models/tiny', '~/models/x', 'endpoint:gpu-box']) {
    it(`accepts ${value} and keeps where it is written`, () => {
      const suite = parseSuite(yaml('description: d', `model: ${value}`, ...CASES));
      assert.deepEqual(suite.problems, []);
      assert.equal(suite.model, value);
      assert.equal(suite.modelRange!.line, 2);
      assert.equal(suite.cases.length, 1);
    });
  }

  it('is absent when the suite does not name one', () => {
    const suite = parseSuite(yaml(...CASES));
    assert.equal(suite.model, undefined);
    assert.equal(suite.modelRange, undefined);
  });

  it('names the endpoint of endpoint:NAME, and nothing for a local model', () => {
    assert.equal(suiteEndpointName('endpoint:gpu-box'), 'gpu-box');
    assert.equal(suiteEndpointName('facts-lm'), undefined);
    assert.equal(suiteEndpointName(undefined), undefined);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['model: 42', 'a number', /model must be text naming the model the suite runs on: facts-lm, a model folder, a hub id like owner\/name, or endpoint:NAME.*\(got a number 42\)/],
    ['model:', 'nothing', /model must be text .*\(got nothing\)\. Leave it out to run on the selected model\./],
    ['model: [a, b]', 'a list', /model must be text .*\(got a list\)/],
    ['model: "endpoint:"', 'no name', /endpoint: needs the name of one of your samplingLab\.endpoints after it, e\.g\. endpoint:gpu-box/],
    ['model: "endpoint:a:b"', 'a colon in the name', /needs the name of one of your samplingLab\.endpoints/],
    ['model: Endpoint:gpu', 'upper case', /Write an endpoint as endpoint:NAME, lower case with no space before the name \(got "Endpoint:gpu"\); e\.g\. endpoint:gpu\./],
    ['model: "endpoint: gpu"', 'a space', /lower case with no space before the name \(got "endpoint: gpu"\); e\.g\. endpoint:gpu\./],
    ['model: "a\\nb"', 'two lines', /model must be one line/],
  ];
  for (const [line, what, message] of bad) {
    it(`refuses ${what} at the model line, and runs no case`, () => {
      const text = yaml('description: d', line, ...CASES);
      const found = errors(text);
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.match(found[0]!.message, message);
      assert.equal(found[0]!.range.line, 2);
      assert.deepEqual(parseSuite(text).cases, []);
    });
  }

  it('is a top-level key only: in defaults or a case it is an unknown key', () => {
    const found = errors(yaml('defaults:', '  model: facts-lm', ...CASES));
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /Unknown key "model" in defaults/);
  });
});
