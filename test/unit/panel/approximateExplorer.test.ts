/**
 * The explorer on a run a server sampled: only the server's top log-probs are known, the rest is
 * an unknown tail, and the controls renormalise the known part. The step fixture is OpenAI's
 * chat.completion.chunk logprobs shape (openai/openai-openapi, ChatCompletionTokenLogprob:
 * token, logprob, bytes, top_logprobs[{ token, logprob, bytes }]), read by the remote engine's
 * own wire reader, so the explorer sees exactly what a real stream gives it.
 */
import * as assert from 'node:assert/strict';
import type { TokenInfo } from '../../../src/core/decode/types';
import { tokensOf } from '../../../src/node/engines/remote/wire';
import { knownTokens, NoDistributionError } from '../../../src/core/explorer';
import { approximateStep } from '../../../webview-ui/panel/approximateExplorer';

/** One streamed step: " Paris" chosen, four alternatives known (0.6 + 0.2 + 0.1 + 0.05 = 0.95 of the mass). */
function step(chosen = ' Paris', chosenLogprob = Math.log(0.6)): TokenInfo {
  const [token] = tokensOf({
    content: [
      {
        token: chosen,
        logprob: chosenLogprob,
        bytes: [...Buffer.from(chosen)],
        top_logprobs: [
          { token: ' Paris', logprob: Math.log(0.6), bytes: [32, 80, 97, 114, 105, 115] },
          { token: ' Lyon', logprob: Math.log(0.2), bytes: [32, 76, 121, 111, 110] },
          { token: ' Nice', logprob: Math.log(0.1), bytes: [32, 78, 105, 99, 101] },
          { token: ' Rome', logprob: Math.log(0.05), bytes: [32, 82, 111, 109, 101] },
        ],
      },
    ],
  });
  return token!;
}

describe('the approximate explorer (top log-probs from a server)', () => {
  it('shows the known tokens at the server’s probabilities and the rest as an unknown tail', () => {
    const r = approximateStep('explorer-1', step(), { temperature: 1 });
    assert.deepEqual(r.bars.map((b) => b.text), [' Paris', ' Lyon', ' Nice', ' Rome']);
    assert.ok(Math.abs(r.bars[1]!.prob - 0.2) < 1e-6);
    assert.ok(Math.abs(r.tailMass - 0.05) < 1e-6, `tail ${r.tailMass}`);
    assert.deepEqual(r.approximate && { known: r.approximate.known, mass: r.approximate.knownMass.toFixed(4) }, { known: 4, mass: '0.9500' });
    assert.equal(r.chosen.text, ' Paris');
    assert.ok(r.bars[0]!.chosen);
  });

  it('renormalises the known part at temperature 1, and again after top-k cuts it', () => {
    const plain = approximateStep('explorer-1', step(), { temperature: 1 });
    for (const b of plain.bars) assert.ok(Math.abs(b.finalProb - b.prob / 0.95) < 1e-5, `${b.text}: ${b.finalProb}`);
    const topK = approximateStep('explorer-2', step(), { temperature: 1, topK: 2 });
    assert.ok(Math.abs(topK.bars[0]!.finalProb - 0.75) < 1e-5, `top-k 2 keeps 0.6 of 0.8: ${topK.bars[0]!.finalProb}`);
    assert.equal(topK.bars[2]!.finalProb, 0);
    assert.ok(topK.bars[2]!.cutBy?.startsWith('top_k'), topK.bars[2]!.cutBy);
    assert.equal(topK.surviving, 2);
  });

  it('sharpens the known part as temperature falls, as the sweep shows', () => {
    const cold = approximateStep('explorer-3', step(), { temperature: 0.5 });
    // p^(1/T) renormalised over the known four: 0.36 / (0.36 + 0.04 + 0.01 + 0.0025).
    assert.ok(Math.abs(cold.bars[0]!.finalProb - 0.36 / 0.4125) < 1e-4, String(cold.bars[0]!.finalProb));
    const first = cold.sweep[0]!;
    const last = cold.sweep[cold.sweep.length - 1]!;
    assert.ok(first.chosenProb > last.chosenProb, 'p(chosen) falls as T rises');
  });

  it('keeps a chosen token sampled from outside the top list, by its own log-prob', () => {
    const known = knownTokens(step(' Oslo', Math.log(0.01)));
    assert.deepEqual(known.texts, [' Paris', ' Lyon', ' Nice', ' Rome', ' Oslo']);
    assert.equal(known.chosen, 4);
  });

  it('refuses a step without log-probs (LM Studio) by saying there is nothing to explore', () => {
    const bare: TokenInfo = { token: -1, text: ' Paris', logprobRaw: Number.NaN, logprobSampling: Number.NaN, alternatives: [], candidates: 0 };
    assert.throws(() => approximateStep('explorer-4', bare, { temperature: 1 }), (e: unknown) => e instanceof NoDistributionError && /no log-probs/.test((e as Error).message));
  });

  it('names the stages set that need the tokens before the step (repetition penalty, DRY): a top-K step cannot replay them', () => {
    const plain = approximateStep('explorer-5', step(), { temperature: 1 });
    assert.deepEqual(plain.approximate?.unreplayed, []);
    const r = approximateStep('explorer-6', step(), { temperature: 1, repetitionPenalty: 1.3, dryMultiplier: 0.8 });
    assert.deepEqual(r.approximate?.unreplayed, ['Repetition penalty', 'DRY']);
    assert.deepEqual(r.bars.map((b) => b.finalProb.toFixed(4)), plain.bars.map((b) => b.finalProb.toFixed(4)), 'and indeed they change nothing here');
  });
});
