/** The stages added with the registry, beyond the peers' vectors: state, coins and text-configured parameters. */
import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../src/core/sampling/chain';
import { breakerMask } from '../../../src/core/sampling/dry';
import { createRng } from '../../../src/core/sampling/rng';
import type { TokenVocabulary } from '../../../src/core/sampling/stage';
import type { SamplerSpec } from '../../../src/core/sampling/types';
import { logitsOf, randomLogits } from './fixtures';

/** A six-token vocabulary whose tokenizer splits on spaces. */
const TEXTS = ['the', ' cat', ':', ' sat', '\n', 'Paris'];
const vocabulary: TokenVocabulary = {
  vocabSize: TEXTS.length,
  tokenText: (id) => TEXTS[id]!,
  encode: (text) => text.split(/(?= )/).map((piece) => TEXTS.indexOf(piece)).filter((id) => id >= 0),
};

describe('new sampler stages', () => {
  it('logit bias by text biases every token of its tokenization; by id one token; false bans; text without a tokenizer is refused', () => {
    const spec: SamplerSpec = { stages: [{ type: 'logit_bias', bias: { 'the cat': 1, '5': false } }], select: 'sample' };
    const d = createSamplerChain(spec, 6, undefined, vocabulary).distribution(new Float32Array(6), []);
    const p = new Map(Array.from(d.tokens, (t, i) => [t, d.probs[i]!]));
    assert.equal(p.get(5) ?? 0, 0, 'banned');
    assert.ok(Math.abs(p.get(0)! / p.get(2)! - Math.E) < 1e-9 && Math.abs(p.get(1)! / p.get(2)! - Math.E) < 1e-9);
    assert.throws(() => createSamplerChain(spec, 6), /logit_bias by text \("the cat"\) needs the model's tokenizer/);
    assert.throws(() => createSamplerChain({ stages: [{ type: 'logit_bias', bias: { '9': 1 } }], select: 'sample' }, 6), /names token 9, but the vocabulary has 6 tokens/);
  });

  it('DRY breakers given as text mark every token whose text contains one', () => {
    assert.deepEqual(Array.from(breakerMask(6, [':', '\n'], vocabulary)), [0, 0, 1, 0, 1, 0]);
    // ": the cat : the" — the repeat ": the" (2 tokens) would continue with " cat", but it
    // reaches back across the breaker ":", so only "the" counts, below the allowed length 2.
    const spec: SamplerSpec = { stages: [{ type: 'dry', multiplier: 5, allowedLength: 2, breakers: [':'] }], select: 'sample' };
    const flat = new Float32Array(6);
    const cut = createSamplerChain(spec, 6, undefined, vocabulary).distribution(flat, [2, 0, 1, 2, 0]);
    assert.ok(Array.from(cut.probs).every((p) => Math.abs(p - 1 / 6) < 1e-12), 'nothing penalised across the breaker');
    const open = createSamplerChain({ ...spec, stages: [{ type: 'dry', multiplier: 5, allowedLength: 2, breakers: [] }] }, 6, undefined, vocabulary).distribution(flat, [2, 0, 1, 2, 0]);
    const catProb = open.probs[Array.from(open.tokens).indexOf(1)]!;
    assert.ok(catProb < open.probs[0]! / 100, `" cat" would repeat "the cat": p ${catProb}`);
  });

  it('XTC fires with its probability, drawn from the sequence PRNG: about half the steps at 0.5', () => {
    const row = logitsOf([0.4, 0.3, 0.2, 0.1]);
    const chain = createSamplerChain({ stages: [{ type: 'xtc', probability: 0.5, threshold: 0.15 }], select: 'sample' }, 4);
    const rng = createRng(5);
    let fired = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) if (chain.step(row, [], rng).candidates === 2) fired++;
    assert.ok(Math.abs(fired / n - 0.5) < 0.05, `fired ${fired} of ${n}`);
  });

  it('mirostat 2.0 steers the observed surprise towards τ over a sequence', () => {
    const tau = 3;
    const chain = createSamplerChain({ stages: [{ type: 'mirostat_v2', tau, eta: 0.2 }], select: 'sample' }, 3000);
    const rng = createRng(8);
    const surprises: number[] = [];
    for (let i = 0; i < 400; i++) surprises.push(-chain.step(randomLogits(3000, 100 + i, 3), [], rng).logprobSampling / Math.LN2);
    const late = surprises.slice(200);
    const mean = late.reduce((s, x) => s + x, 0) / late.length;
    assert.ok(Math.abs(mean - tau) < 0.5, `mean surprise ${mean} bits, target ${tau}`);
  });

  it('dynamic temperature: a flat set gets T + range, a peaked one nearly T − range', () => {
    const spec = (row: Float32Array) => createSamplerChain({ stages: [{ type: 'temperature', t: 1, range: 0.5, exponent: 1 }], select: 'sample' }, row.length).trace(row, [], 4);
    const flat = spec(new Float32Array(4));
    assert.ok(flat.stages[1]!.top.every((t) => Math.abs(t.prob - 0.25) < 1e-12));
    // Peaked: entropy near 0, so T ≈ 0.5: the top token's logit doubles.
    const peaked = spec(Float32Array.from([20, 0, 0, 0]));
    assert.ok(Math.abs(peaked.stages[1]!.top[0]!.logit - 40) < 0.1, `logit ${peaked.stages[1]!.top[0]!.logit}`);
  });
});
