import { strict as assert } from 'node:assert';
import { entropyOfLogprobs } from '../../../src/core/explorer/entropy';
import { temperatureSweep } from '../../../src/core/explorer/temperatureSweep';
import { finalDistribution } from '../../../src/core/sampling/chain';
import { randomLogits, softmax } from '../sampling/fixtures';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('temperature sweep', () => {
  const logits = randomLogits(300, 21, 2);
  const top = Array.from(logits).indexOf(Math.max(...logits));

  it('runs from T = 0.1 to 2.0 in evenly spaced steps, ends included', () => {
    const points = temperatureSweep(logits, top, { from: 0.1, to: 2.0, steps: 20 });
    assert.equal(points.length, 20);
    close(points[0]!.temperature, 0.1);
    close(points[19]!.temperature, 2.0);
    close(points[1]!.temperature - points[0]!.temperature, 0.1);
    assert.equal(temperatureSweep(logits, top).length, 20, 'defaults: 0.1 to 2.0, 20 points');
  });

  it('raises the entropy with T, and lowers the most likely token’s probability', () => {
    const points = temperatureSweep(logits, top, { steps: 40 });
    for (let i = 1; i < points.length; i++) {
      assert.ok(points[i]!.entropyNats > points[i - 1]!.entropyNats, `entropy at T=${points[i]!.temperature}`);
      assert.ok(points[i]!.chosenProb < points[i - 1]!.chosenProb, `p(top) at T=${points[i]!.temperature}`);
    }
    close(points[0]!.entropyBits * Math.LN2, points[0]!.entropyNats);
  });

  it('gives softmax(logits / T) for the chosen token, the numbers the chain samples from at that T', () => {
    const chosen = 17;
    for (const p of temperatureSweep(logits, chosen, { from: 0.25, to: 1.75, steps: 7 })) {
      const reference = softmax(Array.from(logits, (x) => x / p.temperature))[chosen]!;
      close(p.chosenProb, reference, 1e-9 * Math.max(reference, 1e-300) + 1e-15);
      const d = finalDistribution({ stages: [{ type: 'temperature', t: p.temperature }], select: 'sample' }, logits, []);
      assert.equal(p.chosenLogprob, d.logprobs[Array.from(d.tokens).indexOf(chosen)]);
      // The entropy over the chain's whole tempered distribution.
      close(p.entropyNats, entropyOfLogprobs(d.logprobs), 1e-12);
    }
  });

  it('meets the raw distribution at T = 1', () => {
    const [p] = temperatureSweep(logits, 5, { from: 1, to: 1, steps: 1 });
    close(p!.chosenProb, softmax(Array.from(logits))[5]!);
  });

  it('keeps a rare token’s probability rising with T (it gains what the top token loses)', () => {
    const rare = Array.from(logits).indexOf(Math.min(...logits));
    const points = temperatureSweep(logits, rare);
    for (let i = 1; i < points.length; i++) assert.ok(points[i]!.chosenProb > points[i - 1]!.chosenProb);
  });

  it('refuses T ≤ 0, a reversed range and a bad step count', () => {
    assert.throws(() => temperatureSweep(logits, 0, { from: 0 }), /0 < from ≤ to/);
    assert.throws(() => temperatureSweep(logits, 0, { from: 2, to: 1 }), /0 < from ≤ to/);
    assert.throws(() => temperatureSweep(logits, 0, { steps: 0 }), /steps must be an integer/);
    assert.throws(() => temperatureSweep(logits, 300), /chosenToken must be a token id/);
  });
});
