import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../src/core/sampling/chain';
import type { SamplerSpec, StageConfig } from '../../../src/core/sampling/types';
import { SamplingConfigError, validateSamplerSpec } from '../../../src/core/sampling/validate';

const withStage = (stage: unknown): SamplerSpec => ({ stages: [stage as StageConfig], select: 'sample' });

/** Asserts the spec is rejected naming `parameter`, with every fragment in the message. */
function rejects(spec: SamplerSpec, parameter: string, ...fragments: string[]) {
  assert.throws(
    () => validateSamplerSpec(spec),
    (e: unknown) => {
      assert.ok(e instanceof SamplingConfigError, 'a SamplingConfigError');
      assert.equal(e.parameter, parameter);
      for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" should include "${f}"`);
      return true;
    },
  );
}

describe('sampler spec validation', () => {
  it('accepts a sensible spec and returns it', () => {
    const spec: SamplerSpec = {
      stages: [
        { type: 'repetition_penalty', penalty: 1.1, lastN: 0 },
        { type: 'temperature', t: 0 },
        { type: 'top_k', k: 1 },
        { type: 'top_p', p: 1 },
        { type: 'min_p', p: 0 },
        { type: 'typical_p', p: 1 },
      ],
      select: 'greedy',
    };
    assert.equal(validateSamplerSpec(spec), spec);
  });

  it('a negative temperature names the parameter, its range, the value and the greedy hint', () => {
    rejects(withStage({ type: 'temperature', t: -1 }), 'temperature', 'temperature must be ≥ 0 (got -1). Use 0 for greedy decoding.');
  });

  it('an infinite or missing temperature is rejected', () => {
    rejects(withStage({ type: 'temperature', t: Infinity }), 'temperature', 'finite', '≥ 0', 'Infinity');
    rejects(withStage({ type: 'temperature', t: NaN }), 'temperature', 'NaN');
    rejects(withStage({ type: 'temperature' }), 'temperature', 'temperature must be');
  });

  it('top_p must be in (0, 1]', () => {
    rejects(withStage({ type: 'top_p', p: 0 }), 'top_p', 'top_p must be in (0, 1] (got 0)');
    rejects(withStage({ type: 'top_p', p: 1.5 }), 'top_p', '(0, 1]', '1.5');
  });

  it('top_k must be an integer ≥ 1', () => {
    rejects(withStage({ type: 'top_k', k: 0 }), 'top_k', 'top_k must be an integer ≥ 1 (got 0)');
    rejects(withStage({ type: 'top_k', k: 2.5 }), 'top_k', 'integer', '2.5');
  });

  it('min_p must be in [0, 1]', () => {
    rejects(withStage({ type: 'min_p', p: -0.1 }), 'min_p', 'min_p must be in [0, 1] (got -0.1)');
    rejects(withStage({ type: 'min_p', p: 2 }), 'min_p', '[0, 1]', '2');
  });

  it('typical_p must be in (0, 1]', () => {
    rejects(withStage({ type: 'typical_p', p: 0 }), 'typical_p', 'typical_p must be in (0, 1] (got 0)');
  });

  it('the repetition penalty must be > 0 and finite', () => {
    rejects(withStage({ type: 'repetition_penalty', penalty: 0 }), 'repetition_penalty', 'repetition_penalty must be > 0 (got 0). Use 1 for no penalty.');
    rejects(withStage({ type: 'repetition_penalty', penalty: Infinity }), 'repetition_penalty', 'finite', 'Infinity');
  });

  it("the penalty's lastN must be an integer ≥ 0", () => {
    rejects(withStage({ type: 'repetition_penalty', penalty: 1.1, lastN: -1 }), 'repetition_penalty.lastN', 'lastN must be an integer ≥ 0 (got -1)');
    rejects(withStage({ type: 'repetition_penalty', penalty: 1.1, lastN: 3.5 }), 'repetition_penalty.lastN', '3.5');
  });

  it('a non-number value is shown as given', () => {
    rejects(withStage({ type: 'top_p', p: '0.9' }), 'top_p', '(got "0.9")');
  });

  it('an unknown stage type is named, with the known ones listed', () => {
    rejects(withStage({ type: 'top_a', p: 0.2 }), 'stages[0].type', '"top_a"', 'logit_bias, repetition_penalty, penalties, dry, temperature, top_k, top_n_sigma, typical_p, top_p, min_p, eta, epsilon, xtc, mirostat_v2');
  });

  it('select must be "sample" or "greedy"', () => {
    rejects({ stages: [], select: 'beam' as never }, 'select', 'select must be "sample" or "greedy" (got "beam")');
  });

  it('reports which stage was at fault', () => {
    try {
      validateSamplerSpec({ stages: [{ type: 'top_k', k: 5 }, { type: 'top_p', p: 9 }], select: 'sample' });
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof SamplingConfigError);
      assert.equal(e.stageIndex, 1);
    }
  });

  it('createSamplerChain validates its spec and vocabulary size', () => {
    assert.throws(() => createSamplerChain(withStage({ type: 'temperature', t: -2 }), 10), SamplingConfigError);
    assert.throws(() => createSamplerChain({ stages: [], select: 'sample' }, 0), /vocabSize must be an integer ≥ 1 \(got 0\)/);
  });
});
