/**
 * The conformance harness: peers' test vectors run through our chain. A case either passes as
 * the peer wrote it, or differs by a convention that docs/samplers.md names (its id is the
 * table's first column); the counts go into the suite's closing line.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSamplerChain } from '../../../../src/core/sampling/chain';
import type { SamplerSpec, StageConfig } from '../../../../src/core/sampling/types';

export interface PeerCase {
  /** Where the vector comes from: file, function and (for llama.cpp) the call. */
  source: string;
  name: string;
  /** Set when we differ from the peer by convention: the docs table's id. The case then asserts our behaviour. */
  convention?: string;
  run(): void;
}

export const tally = { pass: 0, convention: 0 };

const DOCS = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'samplers.md'), 'utf8');

/** Registers the cases as mocha tests and counts them; a convention must have its row in docs/samplers.md. */
export function peerCases(cases: readonly PeerCase[]): void {
  for (const c of cases) {
    it(`${c.convention ? `[convention ${c.convention}] ` : ''}${c.name} (${c.source})`, () => {
      c.run();
      if (c.convention) {
        assert.ok(DOCS.includes(`| \`${c.convention}\` |`), `docs/samplers.md has no row for convention ${c.convention}`);
        tally.convention++;
      } else tally.pass++;
    });
  }
}

// The closing line of the conformance suite, once every file has run.
after(() => {
  if (tally.pass + tally.convention > 0) console.log(`      conformance: ${tally.pass} peer cases pass as written, ${tally.convention} differ by a documented convention`);
});

/** llama.cpp's sampler_tester: logits = logf(p) in float32. */
export function rowOf(probs: readonly number[]): Float32Array {
  return Float32Array.from(probs, (p) => Math.log(p));
}

/** The final distribution as token id → probability (tokens the chain dropped are absent). */
export function finalProbs(stages: StageConfig[], row: Float32Array, history: number[] = [], extra: Partial<SamplerSpec> = {}): Map<number, number> {
  const spec: SamplerSpec = { stages, select: 'sample', ...extra };
  const d = createSamplerChain(spec, row.length).distribution(row, history);
  return new Map(Array.from(d.tokens, (t, i) => [t, d.probs[i]!]));
}

/**
 * llama.cpp's check(): the kept probabilities equal the expected ones within 1e-5. Their order
 * is llama.cpp's internal position order, so both sides are compared sorted; expected zeros are
 * tokens the peer keeps at p = 0 and we drop (the same distribution).
 */
export function assertProbs(got: Map<number, number>, expected: readonly number[], tol = 1e-5): void {
  const want = expected.filter((p) => p > tol).sort((a, b) => b - a);
  const have = [...got.values()].filter((p) => p > tol).sort((a, b) => b - a);
  assert.equal(have.length, want.length, `kept ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`);
  have.forEach((p, i) => assert.ok(Math.abs(p - want[i]!) < tol, `p ${p} vs ${want[i]}`));
}

/** The expected vector renormalised: for llama.cpp tests that check p before a dist sampler. */
export function normalised(xs: readonly number[]): number[] {
  const z = xs.reduce((s, x) => s + x, 0);
  return xs.map((x) => x / z);
}

/** Token ids kept, ascending. */
export function kept(got: Map<number, number>): number[] {
  return [...got.keys()].sort((a, b) => a - b);
}
