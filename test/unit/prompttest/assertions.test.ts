import * as assert from 'node:assert/strict';
import { FACTS_LM_CALIBRATION } from '../../../src/core/consistency';
import { checkAssertion, parseSuite, riskSamplesKey, type Assertion, type AssertionContext, type RunOutput } from '../../../src/core/prompttest';

const RANGE = { line: 1, column: 1, endLine: 1, endColumn: 2 };

/** One run's output, with plausible per-token log-probs. */
function run(text: string, tokenLogprobs = [-0.01, -0.02]): RunOutput {
  const meanLogprob = tokenLogprobs.reduce((a, b) => a + b, 0) / tokenLogprobs.length;
  return { text, tokenLogprobs, meanLogprob, seed: 42, finishReason: 'eos' };
}

const NO_SAMPLES = { prompt: 'Q: Where was Kawe Steiga born?\nA:', riskSamples: {} };

function check(a: Assertion, output: RunOutput, context: AssertionContext = NO_SAMPLES) {
  return checkAssertion(a, output, context);
}

describe('prompt test assertions', () => {
  it('contains finds the text, optionally ignoring case, and says what came out when it does not', () => {
    const a: Assertion = { type: 'contains', value: 'Belcastro', ignoreCase: false, range: RANGE };
    assert.equal(check(a, run(' Belcastro.')).pass, true);
    const miss = check(a, run(' belcastro.'));
    assert.equal(miss.pass, false);
    assert.equal(miss.message, 'expected the output to contain "Belcastro"; got " belcastro."');
    assert.equal(check({ ...a, ignoreCase: true }, run(' belcastro.')).pass, true);
  });

  it('not-contains fails when the text appears', () => {
    const a: Assertion = { type: 'not-contains', value: 'Q:', ignoreCase: false, range: RANGE };
    assert.equal(check(a, run(' Belcastro.')).pass, true);
    assert.match(check(a, run(' Belcastro.\nQ: Who')).message, /expected the output not to contain "Q:"/);
  });

  it('equals ignores leading and trailing whitespace only', () => {
    const a: Assertion = { type: 'equals', value: 'Belcastro.', ignoreCase: false, range: RANGE };
    assert.equal(check(a, run(' Belcastro.\n')).pass, true);
    assert.equal(check(a, run(' Belcastro')).pass, false);
    assert.equal(check(a, run(' Bel castro.')).pass, false);
  });

  it('regex applies its flags', () => {
    const a: Assertion = { type: 'regex', pattern: '^ [a-z]+\\.$', flags: 'i', range: RANGE };
    assert.equal(check(a, run(' Belcastro.')).pass, true);
    assert.match(check(a, run(' Zennor Cross.')).message, /expected the output to match \/\^ \[a-z\]\+\\\.\$\/i/);
  });

  it('json-schema parses the output as JSON and names each violation with its path', () => {
    const a: Assertion = {
      type: 'json-schema',
      schema: { type: 'object', properties: { born: { type: 'integer', maximum: 1999 } }, required: ['born'] },
      source: 'person.schema.json',
      range: RANGE,
    };
    assert.equal(check(a, run('{"born": 1913}')).pass, true);
    assert.match(check(a, run('{"born": 2020}')).message, /does not match person\.schema\.json: \/born must be <= 1999/);
    assert.match(check(a, run('{"born": ')).message, /\(root\) not JSON/);
  });

  it('min-mean-logprob compares the mean token log-prob', () => {
    const a: Assertion = { type: 'min-mean-logprob', min: -0.5, range: RANGE };
    assert.equal(check(a, run('x', [-0.1, -0.3])).pass, true);
    const low = check(a, run('x', [-0.4, -1.0]));
    assert.equal(low.pass, false);
    assert.equal(low.actual, 'mean log-prob -0.700');
  });

  it('max-tokens counts the generated tokens', () => {
    const a: Assertion = { type: 'max-tokens', max: 2, range: RANGE };
    assert.equal(check(a, run('x', [-0.1, -0.1])).pass, true);
    assert.match(check(a, run('x', [-0.1, -0.1, -0.1])).message, /^3 tokens is more than max-tokens 2/);
  });

  describe('max-risk', () => {
    const a: Assertion = { type: 'max-risk', max: 0.3, samples: 8, temperature: 1, range: RANGE };
    const key = riskSamplesKey(a);

    it('passes a confident answer the samples agree with', () => {
      const samples = Array(8).fill(' Belcastro.');
      const r = check(a, run(' Belcastro.', [-0.004, -0.001]), { ...NO_SAMPLES, riskSamples: { [key]: samples }, riskCalibration: FACTS_LM_CALIBRATION });
      assert.equal(r.pass, true, r.message);
      assert.match(r.actual, /^risk 0\.\d\d \(Low\)$/);
    });

    it('says "uncalibrated" for a model without a calibration, and bounds the mean of the sample parts', () => {
      const samples = [...Array(4).fill(' Belcastro.'), ' Ashgrove.', ' Glenbarra.', ' Hollin.', ' Drelling.'];
      const r = check(a, run(' Belcastro.', [-0.004, -0.001]), { ...NO_SAMPLES, riskSamples: { [key]: samples } });
      assert.match(r.actual, /^risk 0\.\d\d \(uncalibrated\)$/);
      assert.equal(r.pass, false, 'half the samples disagree: above 0.3');
    });

    it('fails an answer the samples contradict, with the risk explanation', () => {
      const samples = [' Ashgrove.', ' Glenbarra.', ' Hollin.', ' Drelling.', ' Ivelport.', ' Aldermere.', ' Dunmarrow.', ' Saltmarsh.'];
      const r = check(a, run(' Belcastro.', [-1.2, -0.4]), { ...NO_SAMPLES, riskSamples: { [key]: samples }, riskCalibration: FACTS_LM_CALIBRATION });
      assert.equal(r.pass, false);
      assert.match(r.message, /^risk \d\.\d\d \(High\) is above max-risk 0\.3: .*got " Belcastro\."$/);
    });

    it('fails, saying why, when the answer cannot be scored', () => {
      const r = check(a, run('   ', [-0.1]), { ...NO_SAMPLES, riskSamples: { [key]: Array(8).fill(' x.') } });
      assert.equal(r.pass, false);
      assert.match(r.message, /the risk could not be scored: The main answer is empty/);
    });
  });

  it('checks the assertions the parser builds', () => {
    const suite = parseSuite('cases:\n  - name: a\n    prompt: hi\n    assert:\n      - { type: contains, value: 1913 }\n');
    assert.equal(check(suite.cases[0]!.assertions[0]!, run(' 1913.')).pass, true);
  });
});
