/** The cards' plain-word chain and their tokens/s measured as the run's (webview-ui/panel/format.ts): pure, so tested here. */
import * as assert from 'node:assert/strict';
import { describeSampler } from '../../../src/core/sampling/chain';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import { cardRate, plainChain } from '../../../webview-ui/panel/format';

const chainOf = (settings: object) => describeSampler(strategyFromSettings(settings, 'test').sampler);

describe('card text', () => {
  it('says "sample" for llama.cpp\'s dist, and arrows for the order', () => {
    assert.equal(plainChain(chainOf({ kind: 'top_p', topP: 0.9 })), chainOf({ kind: 'top_p', topP: 0.9 }).replace(/ -> /g, ' → ').replace(/dist$/, 'sample'));
    assert.match(plainChain(chainOf({ kind: 'top_p', topP: 0.9 })), /^logits → .* → sample$/);
    assert.equal(plainChain(chainOf({ kind: 'greedy' })), 'logits → greedy');
    assert.equal(plainChain('logits -> dist, best of 4 by mean log-prob'), 'logits → sample, best of 4 by mean log-prob');
    // A stage named like it is left alone: only the final draw is renamed.
    assert.equal(plainChain('logits -> distance(2) -> dist'), 'logits → distance(2) → sample');
  });

  it("measures a card's tokens/s over the run's wall time, so six cards add up to the run's figure", () => {
    // Six strategies decoded in one batch of 1,000 ms; each ends at its own time.
    const cards = [24, 24, 18, 24, 9, 96].map((tokens, i) => ({ elapsedMs: 600 + i * 60, tokensPerSecond: (tokens * 1000) / (600 + i * 60) }));
    const total = 24 + 24 + 18 + 24 + 9 + 96;
    const run = { elapsedMs: 1000, tokensPerSecond: total };
    const rates = cards.map((c) => cardRate(c, run));
    assert.deepEqual(rates.map((r) => r.tokens), [24, 24, 18, 24, 9, 96]);
    assert.ok(Math.abs(rates.reduce((a, r) => a + r.perSecond, 0) - run.tokensPerSecond) < 1e-9);
    assert.match(rates[0]!.explanation, /24 generated tokens over the run's 1000 ms/);
  });
});
