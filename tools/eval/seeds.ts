/**
 * How much the base seed moves agreement among the samples, under the old seed rule (sample i
 * of every prompt uses seed + i, reproduced here) and the current one (sequenceSeed(seed,
 * prompt, i), core/sampling/rng.ts). Same model, questions, sampler and decode loop; only the
 * seeds differ. Under the old rule every question's sample i drew the same uniforms, so one base
 * seed could make many questions agree (or disagree) at once.
 *
 *   node -r ./test/support/register.cjs tools/eval/seeds.ts
 */
import { clusterAnswers } from '../../src/core/consistency';
import { preparePrompt } from '../../src/core/decode/compare';
import { decodeBatch } from '../../src/core/decode/decodeBatch';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import type { CausalLM } from '../../src/core/model/types';
import { createSamplerChain } from '../../src/core/sampling/chain';
import { createRng, sequenceSeed } from '../../src/core/sampling/rng';
import { loadNodeModel } from '../../src/node/loadNodeModel';
import { cityQuestionTemplate, readWorld, splitHalves } from './facts';

export const SEED_RULES = {
  'seed + i (old)': (seed: number, _prompt: string, i: number) => seed + i,
  'sequenceSeed(seed, prompt, i) (now)': sequenceSeed,
} as const;

export interface SeedSensitivity {
  questions: number;
  samples: number;
  seeds: number[];
  /** Rule → per base seed: questions whose N samples all agree, and mean agreement (majority share). */
  rules: Record<string, { unanimous: number[]; meanMajority: number[] }>;
}

/** N samples of a prompt with the given per-sample seeds, through the same decode loop as every run. */
export async function samplesWithSeeds(model: CausalLM, prompt: string, seeds: readonly number[], temperature: number, maxNewTokens: number): Promise<string[]> {
  const sampler = strategyFromSettings({ kind: 'temperature', temperature }).sampler;
  const prepared = preparePrompt(model, prompt, maxNewTokens);
  const specs = seeds.map((seed, i) => ({ chain: createSamplerChain(sampler, model.vocabSize), rng: createRng(seed), tag: { strategy: 0, sample: i } }));
  const r = await decodeBatch(model, prepared.ids, specs, { maxNewTokens, stopStrings: ['\n'], topAlternatives: 0 });
  return r.sequences.map((s) => s.text);
}

export async function measureSeedSensitivity(
  model: CausalLM,
  options: { questions?: number; samples?: number; seeds?: number[]; temperature?: number; maxNewTokens?: number } = {},
): Promise<SeedSensitivity> {
  const n = options.samples ?? 8;
  const seeds = options.seeds ?? Array.from({ length: 10 }, (_, k) => 1000 * (k + 1));
  // The held-out people of the evaluation half: the questions where agreement varies.
  const people = splitHalves(readWorld('heldout'), 2025).evaluation.slice(0, options.questions ?? 40);
  const template = cityQuestionTemplate();
  const rules: SeedSensitivity['rules'] = {};
  for (const [name, rule] of Object.entries(SEED_RULES)) {
    rules[name] = { unanimous: [], meanMajority: [] };
    for (const seed of seeds) {
      let unanimous = 0;
      let majority = 0;
      for (const person of people) {
        const prompt = template.split('{name}').join(person.name);
        const texts = await samplesWithSeeds(model, prompt, Array.from({ length: n }, (_, i) => rule(seed, prompt, i)), options.temperature ?? 1, options.maxNewTokens ?? 12);
        const c = clusterAnswers(texts);
        if (c.clusters.length === 1) unanimous++;
        majority += c.majorityShare;
      }
      rules[name]!.unanimous.push(unanimous);
      rules[name]!.meanMajority.push(majority / people.length);
    }
  }
  return { questions: people.length, samples: n, seeds, rules };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

export function formatSeedSensitivity(s: SeedSensitivity): string {
  const lines = [
    `${s.questions} held-out people (evaluation half), ${s.samples} samples each at T=1, the same questions under ${s.seeds.length} base seeds ` +
      `(${s.seeds.join(', ')}). "Unanimous" = all ${s.samples} samples in one lexical cluster.`,
    '',
    '| seed rule | unanimous questions per base seed | min–max | mean ± sd | mean majority share: min–max |',
    '|---|---|---|---|---|',
  ];
  for (const [rule, r] of Object.entries(s.rules)) {
    lines.push(
      `| ${rule} | ${r.unanimous.join(', ')} | ${Math.min(...r.unanimous)}–${Math.max(...r.unanimous)} | ${mean(r.unanimous).toFixed(1)} ± ${sd(r.unanimous).toFixed(1)} | ` +
        `${Math.min(...r.meanMajority).toFixed(3)}–${Math.max(...r.meanMajority).toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  (async () => {
    const model = await loadNodeModel({ device: 'cpu' });
    try {
      console.log(formatSeedSensitivity(await measureSeedSensitivity(model)));
    } finally {
      await model.dispose();
    }
  })().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
