import { strict as assert } from 'node:assert';
import { explainStep, explainStepWithSpec, rankOf } from '../../../src/core/explorer/explainStep';
import { samplerSpecOf, type ExplorerSettings } from '../../../src/core/explorer/settings';
import { createSamplerChain, traceChain } from '../../../src/core/sampling/chain';
import { createRng } from '../../../src/core/sampling/rng';
import { logitsOf, randomLogits, softmax } from '../sampling/fixtures';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** Settings the live controls can take, in several orders. */
const SETTINGS: ExplorerSettings[] = [
  { temperature: 1 },
  { temperature: 0.7 },
  { temperature: 1.6, topK: 12 },
  { temperature: 0.9, topP: 0.8 },
  { temperature: 1.3, minP: 0.05 },
  { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.02 },
  { temperature: 2, topK: 25, topP: 0.7, order: ['top_p', 'top_k', 'temperature'] },
  { temperature: 0.5, topP: 0.9, minP: 0.1, order: ['min_p', 'top_p', 'temperature'] },
  { temperature: 1.4, topP: 0.6, order: ['top_p', 'temperature'] },
  { temperature: 0 },
  { temperature: 0, topK: 5 },
];

describe('distribution explorer: one step explained', () => {
  it('gives the sampled token the probability the sampler itself reports (chain.step().logprobSampling), for every setting and order', () => {
    for (const [i, settings] of SETTINGS.entries()) {
      const logits = randomLogits(300, 100 + i, 2.5);
      const history = [3, 1, 4];
      const chain = createSamplerChain(samplerSpecOf(settings), logits.length);
      for (let seed = 0; seed < 25; seed++) {
        const step = chain.step(logits, history, createRng(seed));
        const view = explainStep(logits, history, settings, { chosenToken: step.token });
        const chosen = view.chosen!;
        assert.equal(chosen.finalLogprob, step.logprobSampling, `${view.chain}, seed ${seed}`);
        close(chosen.rawLogprob, step.logprobRaw);
        assert.equal(view.final.surviving, step.candidates, view.chain);
        assert.ok(chosen.finalProb > 0, 'a sampled token survived every stage');
        // The shown bars are step()'s alternatives, with the same numbers.
        step.alternatives.forEach((a, r) => {
          assert.equal(view.tokens[r]!.token, a.token);
          close(view.tokens[r]!.prob, a.prob);
          close(view.tokens[r]!.logprob, a.logprob);
        });
      }
    }
  });

  it('shows the 30 most likely raw tokens with softmax(logits) probabilities, most likely first', () => {
    const logits = randomLogits(200, 7);
    const probs = softmax(Array.from(logits));
    const view = explainStep(logits, [], { temperature: 1 });
    assert.equal(view.tokens.length, 30);
    const expectedOrder = Array.from({ length: 200 }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
    assert.deepEqual(view.tokens.map((t) => t.token), expectedOrder.slice(0, 30));
    view.tokens.forEach((t, r) => {
      assert.equal(t.rank, r);
      close(t.prob, probs[t.token]!);
      close(t.logprob, Math.log(probs[t.token]!));
    });
  });

  it('computes the entropy in nats and bits, by hand: (1/2, 1/4, 1/4) has 1.5 bits', () => {
    const view = explainStep(logitsOf([0.5, 0.25, 0.25]), [], { temperature: 1 });
    close(view.entropyBits, 1.5, 1e-7);
    close(view.entropyNats, 1.5 * Math.LN2, 1e-7);
    const uniform = explainStep(new Float32Array(8), [], { temperature: 1 });
    close(uniform.entropyBits, 3);
  });

  it('gives the tail mass not shown, by hand: (0.4, 0.3, 0.2, 0.1) with 2 shown leaves 0.3', () => {
    const view = explainStep(logitsOf([0.4, 0.3, 0.2, 0.1]), [], { temperature: 1 }, { topN: 2 });
    close(view.tailMass, 0.3, 1e-7);
    close(view.tailMass + view.tokens.reduce((m, t) => m + t.prob, 0), 1, 1e-12);
  });

  it('keeps a tiny tail mass exact instead of rounding 1 − shown to 0', () => {
    // Tokens 1 and 2 hold e^-40 each: 1 − p(token 0) is 0 in double precision, the tail is not.
    const view = explainStep(Float32Array.from([0, -40, -40]), [], { temperature: 1 }, { topN: 1 });
    const expected = (2 * Math.exp(-40)) / (1 + 2 * Math.exp(-40));
    assert.equal(1 - view.tokens[0]!.prob, 0);
    close(view.tailMass, expected, 1e-30);
  });

  it('marks the chosen token, shown or not, with its raw rank', () => {
    const logits = randomLogits(100, 3);
    const shown = explainStep(logits, [], { temperature: 1 }, { chosenToken: rankedIds(logits)[4]! });
    assert.equal(shown.tokens.filter((t) => t.chosen).length, 1);
    assert.equal(shown.tokens[4]!.chosen, true);
    assert.deepEqual([shown.chosen!.rank, shown.chosen!.shown], [4, true]);
    const deep = rankedIds(logits)[60]!;
    const hidden = explainStep(logits, [], { temperature: 1 }, { chosenToken: deep });
    assert.deepEqual([hidden.chosen!.rank, hidden.chosen!.shown], [60, false]);
    assert.ok(hidden.tokens.every((t) => !t.chosen));
    close(hidden.chosen!.rawProb, softmax(Array.from(logits))[deep]!);
  });

  it('shows which tokens each stage keeps, and who cut the rest: top_k(3) then top_p(0.5)', () => {
    // Probabilities 0.3, 0.25, 0.2, 0.15, 0.1: top-k 3 keeps three; renormalised 0.4, 0.33, 0.27, so top-p 0.5 keeps two.
    const logits = logitsOf([0.3, 0.25, 0.2, 0.15, 0.1]);
    const view = explainStep(logits, [], { temperature: 1, topK: 3, topP: 0.5 }, { chosenToken: 2 });
    assert.deepEqual(view.stages.map((s) => [s.name, s.survivors]), [['logits', 5], ['temperature(1)', 5], ['top_k(3)', 3], ['top_p(0.5)', 2]]);
    assert.deepEqual(view.stages[2]!.survives, [true, true, true, false, false]);
    assert.deepEqual(view.stages[3]!.survives, [true, true, false, false, false]);
    close(view.stages[2]!.probs[0]!, 0.3 / 0.75, 1e-7);
    assert.deepEqual(view.tokens.map((t) => t.cutBy), [undefined, undefined, 'top_p(0.5)', 'top_k(3)', 'top_k(3)']);
    close(view.tokens[0]!.finalProb, 0.3 / 0.55, 1e-7);
    close(view.tokens[1]!.finalProb, 0.25 / 0.55, 1e-7);
    assert.deepEqual([view.chosen!.finalProb, view.chosen!.finalLogprob, view.chosen!.cutBy], [0, -Infinity, 'top_p(0.5)']);
    assert.equal(view.final.surviving, 2);
    close(view.final.shownMass, 1);
  });

  it('renormalises what survives as softmax(logits / T) over the survivors, and order changes the result', () => {
    const logits = Float32Array.from([2, 1.5, 1, 0, -1, -3]);
    const T = 2;
    // Temperature first: softmax(x / 2) = 0.33, 0.25, 0.20, 0.12, 0.07, 0.03, so top-p 0.6 needs three.
    const tFirst = explainStep(logits, [], { temperature: T, topP: 0.6, order: ['temperature', 'top_p'] });
    const scaled = softmax(Array.from(logits, (x) => x / T));
    assert.equal(tFirst.final.surviving, 3);
    const z3 = scaled[0]! + scaled[1]! + scaled[2]!;
    [0, 1, 2].forEach((i) => close(tFirst.tokens[i]!.finalProb, scaled[i]! / z3, 1e-7));
    // Top-p first sees the sharper raw distribution (0.46, 0.28, 0.17…) and keeps two.
    const pFirst = explainStep(logits, [], { temperature: T, topP: 0.6, order: ['top_p', 'temperature'] });
    assert.equal(pFirst.final.surviving, 2);
    close(pFirst.tokens[0]!.finalProb, scaled[0]! / (scaled[0]! + scaled[1]!), 1e-7);
    assert.equal(pFirst.chain, 'logits -> top_p(0.6) -> temperature(2) -> dist');
  });

  it('agrees with the whole-vocabulary trace on which shown tokens survive, for every setting', () => {
    for (const [i, settings] of SETTINGS.entries()) {
      const logits = randomLogits(400, 900 + i, 2, i % 2 ? 0.25 : 0); // every other row has ties
      const view = explainStep(logits, [], settings);
      const full = traceChain(samplerSpecOf(settings), logits, [], logits.length);
      view.stages.forEach((stage, s) => {
        const kept = new Set(full.stages[s]!.top.map((t) => t.token));
        assert.equal(stage.survivors, full.stages[s]!.survivors);
        assert.deepEqual(stage.survives, view.tokens.map((t) => kept.has(t.token)), `${view.chain}, stage ${stage.name}`);
      });
    }
  });

  it('follows a card spec with a repetition penalty, which reorders tokens', () => {
    const logits = Float32Array.from([3, 2.9, 2.5, 2, 1.5, 1, 0, -1]);
    const spec = { stages: [{ type: 'repetition_penalty' as const, penalty: 2, lastN: 4 }, { type: 'top_k' as const, k: 2 }], select: 'sample' as const };
    const view = explainStepWithSpec(logits, [0], spec, { chosenToken: 0 });
    // Token 0 is penalised to 1.5: the top two are now tokens 1 and 2.
    assert.deepEqual(view.stages[2]!.survives.slice(0, 3), [false, true, true]);
    assert.equal(view.chosen!.cutBy, 'top_k(2)');
    const step = createSamplerChain(spec, logits.length).step(logits, [0], createRng(1));
    assert.equal(explainStepWithSpec(logits, [0], spec, { chosenToken: step.token }).chosen!.finalLogprob, step.logprobSampling);
  });

  it('makes T = 0 greedy: one survivor with probability 1', () => {
    const logits = randomLogits(50, 11);
    const view = explainStep(logits, [], { temperature: 0, topP: 0.9 });
    assert.equal(view.final.select, 'greedy');
    assert.equal(view.final.surviving, 1);
    assert.equal(view.tokens[0]!.finalProb, 1);
    assert.equal(view.tokens[1]!.cutBy, 'temperature(0)');
  });

  it('follows a chosen token below the shown bars: its final probability, or the stage that cut it', () => {
    const logits = randomLogits(500, 5);
    const deep = rankedIds(logits)[60]!;
    const kept = explainStep(logits, [], { temperature: 1, minP: 0.001 }, { chosenToken: deep });
    assert.ok(kept.final.surviving > 60);
    const step = createSamplerChain(samplerSpecOf({ temperature: 1, minP: 0.001 }), 500);
    const reference = step.distribution(logits, []);
    assert.equal(kept.chosen!.finalLogprob, reference.logprobs[Array.from(reference.tokens).indexOf(deep)]);
    const cut = explainStep(logits, [], { temperature: 0.9, topK: 40, topP: 0.99 }, { chosenToken: deep });
    assert.deepEqual([cut.chosen!.finalProb, cut.chosen!.cutBy], [0, 'top_k(40)']);
  });

  it('refuses a chosen token outside the vocabulary and a bad topN', () => {
    const logits = randomLogits(10, 1);
    assert.throws(() => explainStep(logits, [], { temperature: 1 }, { chosenToken: 10 }), /chosenToken must be a token id in \[0, 10\)/);
    assert.throws(() => explainStep(logits, [], { temperature: 1 }, { topN: 0 }), /topN must be an integer ≥ 1/);
    assert.throws(() => explainStep(logits, [], { temperature: -1 }), /temperature must be ≥ 0/);
  });

  it('ranks ties by lower id first, as the chain does', () => {
    const logits = Float32Array.from([1, 2, 2, 0]);
    assert.deepEqual([0, 1, 2, 3].map((t) => rankOf(logits, t)), [2, 0, 1, 3]);
  });
});

function rankedIds(logits: Float32Array): number[] {
  return Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
}
