import * as assert from 'node:assert/strict';
import { compareStrategies } from '../../src/core/decode/compare';
import { defaultStrategies, strategyFromSettings } from '../../src/core/decode/strategies';
import { decodeBatch, type SequenceConstraint } from '../../src/core/decode/decodeBatch';
import { createSamplerChain } from '../../src/core/sampling/chain';
import { NaNLogitError } from '../../src/core/sampling/errors';
import { createRng, sequenceSeed } from '../../src/core/sampling/rng';
import { bundledModel, cityQuestion, world } from '../support/model';

/** log softmax of one row at one index, in float64. */
function logSoftmaxAt(row: Float32Array, index: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return row[index]! - max - Math.log(sum);
}

describe('decode loop on the bundled model (transformers.js, onnxruntime-node)', function () {
  this.timeout(300_000);

  it('answers at least 90% of known birth-city questions correctly with greedy decoding', async () => {
    const model = await bundledModel();
    const people = world('known');
    // Every person, in one batch per question: greedy has no randomness, so batching is exact.
    const greedy = strategyFromSettings({ kind: 'greedy' });
    let correct = 0;
    for (const p of people) {
      const r = await compareStrategies(model, cityQuestion(p.name), [greedy], { maxNewTokens: 12, seed: 0 });
      if (r.results[0]!.best.text.trim().replace(/\.$/, '') === p.city) correct++;
    }
    const accuracy = correct / people.length;
    console.log(`      greedy birth-city accuracy: ${correct}/${people.length} = ${(accuracy * 100).toFixed(1)}%`);
    assert.ok(accuracy >= 0.9, `accuracy ${accuracy}`);
  });

  it('gives the same text for the same seed and settings, and different samples for other seeds', async () => {
    const model = await bundledModel();
    const hot = [strategyFromSettings({ kind: 'temperature', temperature: 1.5 })];
    const prompt = 'Tell me about';
    const a = await compareStrategies(model, prompt, hot, { maxNewTokens: 24, seed: 7, samples: 4 });
    const b = await compareStrategies(model, prompt, hot, { maxNewTokens: 24, seed: 7, samples: 4 });
    assert.deepEqual(a.results[0]!.completions.map((c) => c.text), b.results[0]!.completions.map((c) => c.text));
    const texts = new Set(a.results[0]!.completions.map((c) => c.text));
    assert.ok(texts.size > 1, 'four samples at T=1.5 should not all agree');
  });

  it('draws sample i of a prompt from sequenceSeed(seed, prompt, i), and firstSample continues the same samples', async () => {
    const model = await bundledModel();
    const hot = [strategyFromSettings({ kind: 'temperature', temperature: 1.5 })];
    const prompt = 'Tell me about';
    const four = await compareStrategies(model, prompt, hot, { maxNewTokens: 12, seed: 7, samples: 4 });
    assert.deepEqual(four.results[0]!.completions.map((c) => c.seed), [0, 1, 2, 3].map((i) => sequenceSeed(7, prompt, i)));
    const later = await compareStrategies(model, prompt, hot, { maxNewTokens: 12, seed: 7, samples: 2, firstSample: 2 });
    assert.deepEqual(later.results[0]!.completions.map((c) => c.text), four.results[0]!.completions.slice(2).map((c) => c.text));
    // Another prompt's sample 0 has its own seed (under seed + i every prompt shared it).
    const other = await compareStrategies(model, 'Tell me about it', hot, { maxNewTokens: 1, seed: 7, samples: 1 });
    assert.notEqual(other.results[0]!.completions[0]!.seed, four.results[0]!.completions[0]!.seed);
  });

  it('fails a step whose row holds a NaN logit with an error naming the step and the token, drawing nothing', async () => {
    const model = await bundledModel();
    const prompt = model.encodePrompt('Tell me about');
    let step = 0;
    // A fault injected into the real row: the mask hook sees each step's logits before the chain.
    const poison: SequenceConstraint = {
      mask: (row) => {
        if (step++ === 2) row[5] = NaN;
        return row.length;
      },
      accept: () => {},
      isComplete: () => false,
    };
    const strategy = strategyFromSettings({ kind: 'top_k', topK: 3 });
    const spec = { chain: createSamplerChain(strategy.sampler, model.vocabSize), rng: createRng(1), tag: { strategy: 0, sample: 0 }, constraint: poison };
    await assert.rejects(decodeBatch(model, prompt, [spec], { maxNewTokens: 6, ignoreEos: true }), (e: unknown) =>
      e instanceof NaNLogitError && e.step === 2 && /^At step 2: token 5's logit is NaN/.test(e.message));
  });

  it('refuses a ragged batch (rows of unequal length) and an empty one by name, before any tensor is built', async () => {
    const model = await bundledModel();
    await assert.rejects(model.forward([[1, 2], [3]], null), /all rows of a forward pass must have the same length/);
    await assert.rejects(model.forward([], null), /at least one token in each row/);
  });

  it('decodes the same tokens batched as sequentially, for every strategy', async () => {
    const model = await bundledModel();
    const person = world('known')[3]!;
    const options = { maxNewTokens: 20, seed: 11, samples: 3 };
    const batched = await compareStrategies(model, `Tell me about ${person.name}.\n`, defaultStrategies(), options);
    const sequential = await compareStrategies(model, `Tell me about ${person.name}.\n`, defaultStrategies(), { ...options, batch: false });
    batched.results.forEach((r, s) => {
      r.completions.forEach((c, i) => {
        const other = sequential.results[s]!.completions[i]!;
        assert.deepEqual(c.tokens.map((t) => t.token), other.tokens.map((t) => t.token), `${r.strategy.name} sample ${i}`);
        c.tokens.forEach((t, k) => assert.ok(Math.abs(t.logprobRaw - other.tokens[k]!.logprobRaw) < 1e-4));
      });
    });
  });

  it('reports the log-probs a full forward pass over the finished sequence gives, within 1e-4', async () => {
    const model = await bundledModel();
    const prompt = `Tell me about ${world('known')[5]!.name}.\n`;
    const strategies = [strategyFromSettings({ kind: 'top_p', topP: 0.95, temperature: 1.2 }), strategyFromSettings({ kind: 'greedy' })];
    const r = await compareStrategies(model, prompt, strategies, { maxNewTokens: 30, seed: 3, samples: 2 });
    const promptIds = model.encodePrompt(prompt);
    for (const result of r.results) {
      for (const c of result.completions) {
        const ids = [...promptIds, ...c.tokens.map((t) => t.token)];
        const logits = await model.forwardFull(ids);
        const V = model.vocabSize;
        c.tokens.forEach((t, k) => {
          const pos = promptIds.length - 1 + k; // logits at pos predict token pos + 1
          const expected = logSoftmaxAt(logits.subarray(pos * V, (pos + 1) * V), t.token);
          assert.ok(Math.abs(expected - t.logprobRaw) < 1e-4, `step ${k}: ${expected} vs ${t.logprobRaw}`);
        });
      }
    }
  });

  it('keeps the best-of-N candidate with the highest mean log-prob and returns all N', async () => {
    const model = await bundledModel();
    const best = strategyFromSettings({ kind: 'best_of_n', candidates: 5, temperature: 1.3 });
    const r = await compareStrategies(model, 'Tell me about', [best], { maxNewTokens: 16, seed: 5 });
    const result = r.results[0]!;
    assert.equal(result.completions.length, 5);
    const top = Math.max(...result.completions.map((c) => c.meanLogprob));
    assert.equal(result.best.meanLogprob, top);
    assert.equal(result.completions[result.bestIndex], result.best);
  });

  it('stops on EOS, on a stop string, at max tokens, and when aborted', async () => {
    const model = await bundledModel();
    const p = world('known')[0]!;
    const greedy = [strategyFromSettings({ kind: 'greedy' })];
    const eos = await compareStrategies(model, cityQuestion(p.name), greedy, { maxNewTokens: 20, seed: 0 });
    assert.equal(eos.results[0]!.best.finishReason, 'eos');
    const stop = await compareStrategies(model, `Tell me about ${p.name}.\n`, greedy, { maxNewTokens: 40, seed: 0, stopStrings: ['.'] });
    assert.equal(stop.results[0]!.best.finishReason, 'stop');
    assert.ok(!stop.results[0]!.best.text.includes('.'));
    const length = await compareStrategies(model, `Tell me about ${p.name}.\n`, greedy, { maxNewTokens: 3, seed: 0 });
    assert.equal(length.results[0]!.best.finishReason, 'length');
    assert.equal(length.results[0]!.best.tokens.length, 3);

    const abort = new AbortController();
    let seen = 0;
    const aborted = await compareStrategies(model, 'Tell me about', [strategyFromSettings({ kind: 'temperature', temperature: 1 })], {
      maxNewTokens: 200, seed: 1, signal: abort.signal,
      onToken: () => { if (++seen === 4) abort.abort(); },
    });
    assert.equal(aborted.results[0]!.best.finishReason, 'aborted');
    assert.equal(aborted.results[0]!.best.tokens.length, 4);
  });

  it('streams every token of every sequence through onToken, in order', async () => {
    const model = await bundledModel();
    const events: Array<[number, number, number]> = [];
    const r = await compareStrategies(model, 'Tell me about', defaultStrategies().slice(0, 3), {
      maxNewTokens: 10, seed: 2, samples: 2, onToken: (e) => events.push([e.strategy, e.sample, e.token.token]),
    });
    r.results.forEach((res, s) => res.completions.forEach((c, i) => {
      assert.deepEqual(events.filter((e) => e[0] === s && e[1] === i).map((e) => e[2]), c.tokens.map((t) => t.token));
    }));
  });
});
