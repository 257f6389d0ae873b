/** The known part of a step a server sampled, as the panel and `explore --endpoint` both read it. */
import * as assert from 'node:assert/strict';
import type { TokenInfo } from '../../../src/core/decode/types';
import { explainKnownStep, unreplayableStages } from '../../../src/core/explorer';

/** llama.cpp's shape: ids with the texts; " Paris" chosen, 0.95 of the mass known. */
const step: TokenInfo = {
  token: 11,
  text: ' Paris',
  logprobRaw: Math.log(0.6),
  logprobSampling: Math.log(0.6),
  candidates: 0,
  alternatives: [
    { token: 11, text: ' Paris', prob: 0.6, logprob: Math.log(0.6) },
    { token: 12, text: ' Lyon', prob: 0.2, logprob: Math.log(0.2) },
    { token: 13, text: ' Nice', prob: 0.1, logprob: Math.log(0.1) },
    { token: 14, text: ' Rome', prob: 0.05, logprob: Math.log(0.05) },
  ],
};

describe('explainKnownStep (a server\'s top log-probs)', () => {
  it('keeps the server\'s ids and raw probabilities, and counts the known tokens not shown into the tail', () => {
    const s = explainKnownStep(step, { temperature: 1 }, { topN: 2 });
    assert.deepEqual(s.known.ids, [11, 12, 13, 14]);
    assert.deepEqual(s.explanation.tokens.map((t) => s.known.texts[t.token]), [' Paris', ' Lyon']);
    assert.ok(Math.abs(s.explanation.tokens[1]!.prob - 0.2) < 1e-6, 'the raw probability is the server\'s, not renormalised');
    assert.ok(Math.abs(s.unknownTail - 0.05) < 1e-6);
    assert.ok(Math.abs(s.explanation.tailMass - 0.2) < 1e-6, `Nice + Rome + the unknown tail: ${s.explanation.tailMass}`);
    assert.ok(Math.abs(s.explanation.chosen!.rawProb - 0.6) < 1e-6);
    assert.ok(Math.abs(s.explanation.chosen!.finalProb - 0.6 / 0.95) < 1e-5, 'the final one is over the known part');
  });

  it('names the stages that need the history or token ids, which the known part cannot replay', () => {
    assert.deepEqual(unreplayableStages({ temperature: 1, topP: 0.9 }), []);
    assert.deepEqual(unreplayableStages({ temperature: 1, repetitionPenalty: 1.3, logitBias: { '5': 2 } }), ['logit_bias', 'repetition_penalty']);
  });
});
