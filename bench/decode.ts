/**
 * Decode-loop benchmarks on the bundled model, every pair measured side by side in one run,
 * interleaved, so the ratios survive a noisy machine.
 */
import { decodeBatch, type SequenceSpec } from '../src/core/decode/decodeBatch';
import { defaultStrategies, strategyFromSettings } from '../src/core/decode/strategies';
import type { Strategy } from '../src/core/decode/types';
import type { CausalLM } from '../src/core/model/types';
import { createSamplerChain } from '../src/core/sampling/chain';
import { createRng } from '../src/core/sampling/rng';
import { loadNodeModel } from '../src/node/loadNodeModel';
import { resolveModel } from '../src/node/modelFolder';

const PROMPT = 'Tell me about';

/** A model to measure: the bundled one, or the random-weight SmolLM2-135M-shaped one. */
export interface BenchModel {
  label: string;
  /** Bundled model name or folder, as `--model` takes it. */
  model?: string;
  newTokens: number;
  repeats: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function specs(model: CausalLM, strategies: Strategy[], perStrategy: number): SequenceSpec[] {
  return strategies.flatMap((strategy, s) =>
    Array.from({ length: perStrategy }, (_, i) => ({
      chain: createSamplerChain(strategy.sampler, model.vocabSize),
      rng: createRng(100 + i),
      tag: { strategy: s, sample: i },
    })),
  );
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const STOP_SAMPLES = 16;
const STOP_AFTER_STEPS = 8;

/**
 * How long the loop takes to return once stopped, next to how long one step of the same batch
 * takes. The stop comes from a timer, as a cancel message does: it lands while the loop awaits the
 * model, and the loop must not run another step for it.
 */
export async function stopLatency(model: CausalLM, promptIds: number[]): Promise<{ stopMs: number; stepMs: number }> {
  const strategies = defaultStrategies().slice(1, 4);
  const rowCount = strategies.length * STOP_SAMPLES;
  const abort = new AbortController();
  let tokens = 0;
  let firstStepAt = 0;
  let stoppedAt = 0;
  await decodeBatch(model, promptIds, specs(model, strategies, STOP_SAMPLES), {
    maxNewTokens: Math.min(200, model.maxContext - promptIds.length),
    ignoreEos: true,
    signal: abort.signal,
    onToken: () => {
      tokens++;
      if (tokens === rowCount) firstStepAt = performance.now();
      if (tokens === rowCount * (STOP_AFTER_STEPS + 1)) {
        setTimeout(() => {
          stoppedAt = performance.now();
          abort.abort();
        }, 0);
      }
    },
  });
  const returnedAt = performance.now();
  if (stoppedAt === 0) throw new Error('the stop bench run ended before it was stopped');
  return { stopMs: returnedAt - stoppedAt, stepMs: (stoppedAt - firstStepAt) / STOP_AFTER_STEPS };
}

export interface DecodeBenchRow {
  name: string;
  a: string;
  b: string;
  ratio: number;
  goal: string;
  met: boolean;
}

export async function benchDecode(
  target: BenchModel = { label: 'bundled facts-lm (1.8 M parameters)', newTokens: 64, repeats: 7 },
  log: (line: string) => void = console.log,
): Promise<{ rows: DecodeBenchRow[]; markdown: string }> {
  const NEW_TOKENS = target.newTokens;
  const REPEATS = target.repeats;
  const model = await loadNodeModel({ device: 'cpu', model: target.model });
  const promptIds = model.encodePrompt(PROMPT);
  const greedy = strategyFromSettings({ kind: 'greedy' });
  const sample = strategyFromSettings({ kind: 'temperature', temperature: 1.0 });
  const fixed = { maxNewTokens: NEW_TOKENS, ignoreEos: true };

  // transformers.js generate() on the same model files and device, for the baseline.
  const tjs = (await import('@huggingface/transformers')) as any;
  const location = resolveModel(target.model);
  tjs.env.localModelPath = location.parent + '/';
  const reference = await tjs.AutoModelForCausalLM.from_pretrained(location.id, { dtype: 'fp32', device: 'cpu' });
  const inputIds = new tjs.Tensor('int64', BigInt64Array.from(promptIds, (v) => BigInt(v)), [1, promptIds.length]);
  const attention = new tjs.Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]);
  const generate = () =>
    reference.generate({ input_ids: inputIds, attention_mask: attention, max_new_tokens: NEW_TOKENS, min_new_tokens: NEW_TOKENS, do_sample: false });

  const ours: number[] = [];
  const theirs: number[] = [];
  const one: number[] = [];
  const eight: number[] = [];
  const shared: number[] = [];
  const separate: number[] = [];
  const five = defaultStrategies().slice(0, 5);
  const stops: Array<{ stopMs: number; stepMs: number }> = [];
  // Warm-up both paths once.
  await decodeBatch(model, promptIds, specs(model, [greedy], 1), fixed);
  await generate();
  for (let r = 0; r < REPEATS; r++) {
    ours.push(await timeMs(() => decodeBatch(model, promptIds, specs(model, [greedy], 1), fixed)));
    theirs.push(await timeMs(generate));
    one.push(await timeMs(() => decodeBatch(model, promptIds, specs(model, [sample], 1), fixed)));
    eight.push(await timeMs(() => decodeBatch(model, promptIds, specs(model, [sample], 8), fixed)));
    shared.push(await timeMs(() => decodeBatch(model, promptIds, specs(model, five, 1), fixed)));
    separate.push(
      await timeMs(async () => {
        for (const s of five) await decodeBatch(model, promptIds, specs(model, [s], 1), fixed);
      }),
    );
    stops.push(await stopLatency(model, promptIds));
    log(`  decode repeat ${r + 1}/${REPEATS} done`);
  }
  await reference.dispose();
  await model.dispose();

  const tps = (ms: number) => (NEW_TOKENS * 1000) / ms;
  const rows: DecodeBenchRow[] = [
    {
      name: `greedy decode tok/s, ours vs transformers.js generate() (${NEW_TOKENS} tokens, cpu)`,
      a: `${tps(median(ours)).toFixed(0)} tok/s`,
      b: `${tps(median(theirs)).toFixed(0)} tok/s`,
      ratio: median(theirs) / median(ours),
      goal: '≥ 0.95×',
      met: median(theirs) / median(ours) >= 0.95,
    },
    {
      name: `N = 8 samples batched vs 1 sample, wall time (${NEW_TOKENS} tokens each)`,
      a: `${median(eight).toFixed(0)} ms`,
      b: `${median(one).toFixed(0)} ms`,
      ratio: median(eight) / median(one),
      goal: '≤ 2.5×',
      met: median(eight) / median(one) <= 2.5,
    },
    {
      name: '5 strategies, shared prefill in one batch vs 5 separate runs, wall time',
      a: `${median(shared).toFixed(0)} ms`,
      b: `${median(separate).toFixed(0)} ms`,
      ratio: median(shared) / median(separate),
      goal: '< 1×',
      met: median(shared) / median(separate) < 1,
    },
    {
      name: `Stop during the heavy run of issue 16 (${STOP_SAMPLES} samples × 3 strategies in one batch): stop → loop returns, vs one step of that batch`,
      a: `${median(stops.map((x) => x.stopMs)).toFixed(1)} ms`,
      b: `${median(stops.map((x) => x.stepMs)).toFixed(1)} ms`,
      ratio: median(stops.map((x) => x.stopMs)) / median(stops.map((x) => x.stepMs)),
      goal: '≤ 1×',
      met: median(stops.map((x) => x.stopMs)) <= median(stops.map((x) => x.stepMs)),
    },
  ];
  const markdown = [
    `Model: ${target.label} on ${model.device} (onnxruntime-node), prompt "${PROMPT}", ${NEW_TOKENS} new tokens, median of ${REPEATS} interleaved repeats.`,
    '',
    '| measure | ours / batched | baseline | ratio | goal | met |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.a} | ${r.b} | ${r.ratio.toFixed(2)}× | ${r.goal} | ${r.met ? 'yes' : 'no'} |`),
  ].join('\n');
  return { rows, markdown };
}
