import { strict as assert } from 'node:assert';
import { branchIds, forceFirstToken, stepHistory } from '../../../src/core/explorer/branch';
import { createSamplerChain } from '../../../src/core/sampling/chain';
import { createRng } from '../../../src/core/sampling/rng';
import { randomLogits } from '../sampling/fixtures';

describe('branching helpers', () => {
  it('continue from the prompt, the first k generated tokens, then the alternative', () => {
    assert.deepEqual(stepHistory([0, 7], [5, 6, 9], 2), [0, 7, 5, 6]);
    assert.deepEqual(branchIds([0, 7], [5, 6, 9], 0, 42), [0, 7, 42]);
    assert.deepEqual(branchIds([0, 7], [5, 6, 9], 2, 42), [0, 7, 5, 6, 42]);
    assert.throws(() => branchIds([0], [5], 1, 3), /step must be an integer in \[0, 1\)/);
  });

  it('force the first token with the numbers the chain gives it, then sample as usual', () => {
    const logits = randomLogits(100, 4);
    const spec = { stages: [{ type: 'top_k' as const, k: 5 }], select: 'sample' as const };
    const plain = createSamplerChain(spec, 100);
    const forced = forceFirstToken(createSamplerChain(spec, 100), 99);
    const first = forced.step(logits, [], createRng(1), 3);
    assert.equal(first.token, 99);
    assert.equal(first.logprobSampling, -Infinity, 'top-k 5 would have cut it');
    assert.equal(first.candidates, 5);
    assert.deepEqual(first.alternatives, plain.step(logits, [], createRng(1), 3).alternatives);
    assert.deepEqual(forced.step(logits, [], createRng(2)), plain.step(logits, [], createRng(2)));
    assert.equal(forced.describe(), plain.describe());
  });
});
