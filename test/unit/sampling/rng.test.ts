import { strict as assert } from 'node:assert';
import { createRng, sequenceSeed, xoshiro128ss } from '../../../src/core/sampling/rng';

const take = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('seeded PRNG', () => {
  it('the same seed gives the same stream', () => {
    assert.deepEqual(take(42, 100), take(42, 100));
  });

  it('different seeds give different streams, neighbouring seeds included', () => {
    assert.notDeepEqual(take(1, 10), take(2, 10));
    assert.notDeepEqual(take(0, 10), take(2 ** 32, 10), 'the high bits of the seed count too');
  });

  it('the generator matches the xoshiro128** reference output for state (1, 2, 3, 4)', () => {
    const rng = xoshiro128ss(1, 2, 3, 4);
    assert.deepEqual([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()], [11520, 0, 5927040]);
  });

  it('the stream for seed 42 is pinned, so every engine draws the same tokens', () => {
    const rng = createRng(42);
    const words = Array.from({ length: 4 }, () => rng.nextUint32());
    assert.deepEqual(words, PINNED_WORDS);
  });

  it('next() stays in [0, 1)', () => {
    for (const x of take(7, 10000)) assert.ok(x >= 0 && x < 1);
  });

  it('next() is uniform: a chi-square test over 20 bins passes at α = 0.001', () => {
    const bins = new Array<number>(20).fill(0);
    const n = 40000;
    for (const x of take(123, n)) bins[Math.floor(x * 20)]!++;
    const expected = n / 20;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    assert.ok(chi2 < 43.82, `chi2 ${chi2}`); // critical value, 19 degrees of freedom
  });

  it('rejects a seed that is not a finite number', () => {
    assert.throws(() => createRng(NaN), /seed must be a finite number/);
  });
});

describe('per-sequence seeds: sequenceSeed(seed, prompt, index)', () => {
  const chi2Uniform = (xs: number[], bins: number) => {
    const counts = new Array<number>(bins).fill(0);
    for (const x of xs) counts[Math.floor(x * bins)]!++;
    const expected = xs.length / bins;
    return counts.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
  };
  const prompts = Array.from({ length: 2000 }, (_, k) => `Q: Where was person ${k} born?\nA:`);

  it('is a pure function of its three inputs, pinned so every engine derives the same seeds', () => {
    assert.equal(sequenceSeed(42, 'hi', 0), sequenceSeed(42, 'hi', 0));
    assert.deepEqual([sequenceSeed(42, 'hi', 0), sequenceSeed(42, 'hi', 1), sequenceSeed(0, '', 0), sequenceSeed(4294967295, 'ü €', 7)], PINNED_SEEDS);
    for (const s of PINNED_SEEDS) assert.ok(Number.isInteger(s) && s >= 0 && s <= 0xffffffff);
  });

  it('changes with each input: the seed, the prompt (one character) and the sample index', () => {
    const base = sequenceSeed(42, 'Q: hi', 3);
    assert.notEqual(sequenceSeed(43, 'Q: hi', 3), base);
    assert.notEqual(sequenceSeed(42, 'Q: hj', 3), base);
    assert.notEqual(sequenceSeed(42, 'Q: hi ', 3), base);
    assert.notEqual(sequenceSeed(42, 'Q: hi', 4), base);
  });

  it('gives distinct seeds to 64 samples of each of 2,000 prompts (no collisions among 128,000)', () => {
    const seen = new Set<number>();
    for (const p of prompts) for (let i = 0; i < 64; i++) seen.add(sequenceSeed(42, p, i));
    // Birthday bound for 128,000 draws from 2^32: about 1.9 collisions expected; allow a few.
    assert.ok(seen.size >= 128_000 - 8, `${128_000 - seen.size} collisions`);
  });

  it("draws each prompt's sample 0 independently: the first uniforms over 2,000 prompts pass a chi-square test", () => {
    // Under the old seed + i rule all 2,000 prompts drew the very same uniform.
    const first = prompts.map((p) => createRng(sequenceSeed(42, p, 0)).next());
    assert.ok(chi2Uniform(first, 20) < 43.82, `chi2 ${chi2Uniform(first, 20)}`); // α = 0.001, 19 dof
  });

  it('decorrelates neighbouring base seeds: prompt-wise draws at seed 42 and seed 43 are uncorrelated', () => {
    const a = prompts.map((p) => createRng(sequenceSeed(42, p, 0)).next());
    const b = prompts.map((p) => createRng(sequenceSeed(43, p, 0)).next());
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ma = mean(a);
    const mb = mean(b);
    let cov = 0;
    let va = 0;
    let vb = 0;
    a.forEach((x, k) => {
      cov += (x - ma) * (b[k]! - mb);
      va += (x - ma) ** 2;
      vb += (b[k]! - mb) ** 2;
    });
    const r = cov / Math.sqrt(va * vb);
    assert.ok(Math.abs(r) < 0.1, `correlation ${r}`); // |r| < 0.1 is > 4 standard errors at n = 2,000
  });

  it('flips about half the output bits when one input bit flips (avalanche)', () => {
    const popcount = (x: number) => {
      let n = 0;
      for (let v = x >>> 0; v; v >>>= 1) n += v & 1;
      return n;
    };
    let flipped = 0;
    let trials = 0;
    for (let s = 0; s < 200; s++) {
      for (let bit = 0; bit < 32; bit++) {
        flipped += popcount(sequenceSeed(s, 'p', 0) ^ sequenceSeed((s ^ (1 << bit)) >>> 0, 'p', 0));
        flipped += popcount(sequenceSeed(s, 'p', bit) ^ sequenceSeed(s, 'p', bit ^ 1));
        trials += 2;
      }
    }
    const mean = flipped / trials;
    assert.ok(mean > 15 && mean < 17, `mean bits flipped ${mean}`);
  });

  it('refuses a fractional seed or a negative index', () => {
    assert.throws(() => sequenceSeed(1.5, 'p', 0), /integer seed/);
    assert.throws(() => sequenceSeed(1, 'p', -1), /sample index/);
  });
});

const PINNED_SEEDS = [293315719, 2223862988, 503023666, 2882681729];
const PINNED_WORDS = [2837322924, 544945897, 479756282, 3500138142];
