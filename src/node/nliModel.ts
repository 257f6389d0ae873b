/**
 * An NLI cross-encoder the user picks (an ONNX export of a DeBERTa-v3 MNLI model, say
 * MoritzLaurer/DeBERTa-v3-large-mnli-fever-anli-ling-wanli exported with optimum), loaded through
 * transformers.js like the LM: a folder with config.json, tokenizer.json and onnx/model.onnx,
 * read with AutoTokenizer and AutoModelForSequenceClassification on onnxruntime-node. Its
 * config's id2label names which output is entailment, neutral and contradiction.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NliJudge, NliProbabilities } from '../core/consistency';
import { ModelLoadError } from '../core/model/errors';

interface TjsTensor {
  dims: number[];
  data: Float32Array;
}
type Tokenizer = (texts: string[], options: Record<string, unknown>) => Record<string, unknown>;
type Classifier = ((inputs: Record<string, unknown>) => Promise<{ logits: TjsTensor }>) & { dispose(): Promise<unknown> };

export interface NliModel extends NliJudge {
  dispose(): Promise<void>;
}

/** Which output index is which label, from config.json's id2label (entailment, neutral, contradiction in any case or order). */
export function nliLabelIndices(config: { id2label?: Record<string, string> }, where: string): Record<keyof NliProbabilities, number> {
  const labels = Object.entries(config.id2label ?? {}).map(([i, name]) => [Number(i), name.toLowerCase()] as const);
  const find = (name: keyof NliProbabilities) => labels.find(([, l]) => l.startsWith(name.slice(0, 7)))?.[0];
  const out = { entailment: find('entailment'), neutral: find('neutral'), contradiction: find('contradiction') };
  const missing = Object.entries(out).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length > 0) {
    throw new ModelLoadError(
      `${where} is not an NLI model: its config.json id2label (${JSON.stringify(config.id2label ?? {})}) has no ${missing.join(', ')} label. Pick an MNLI cross-encoder (entailment / neutral / contradiction).`,
      where,
    );
  }
  return out as Record<keyof NliProbabilities, number>;
}

export async function loadNliModel(dir: string, options: { batchSize?: number } = {}): Promise<NliModel> {
  const full = path.resolve(dir);
  for (const file of ['config.json', 'tokenizer.json', path.join('onnx', 'model.onnx')]) {
    if (!fs.existsSync(path.join(full, file))) {
      throw new ModelLoadError(`The NLI model folder ${full} has no ${file}. Export an MNLI cross-encoder to ONNX (optimum-cli export onnx --task text-classification) and pick its folder.`, path.join(full, file));
    }
  }
  const config = JSON.parse(fs.readFileSync(path.join(full, 'config.json'), 'utf8')) as { id2label?: Record<string, string> };
  const labels = nliLabelIndices(config, full);
  const tjs = (await import('@huggingface/transformers')) as unknown as {
    env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
    AutoTokenizer: { from_pretrained(id: string, o?: Record<string, unknown>): Promise<Tokenizer> };
    AutoModelForSequenceClassification: { from_pretrained(id: string, o?: Record<string, unknown>): Promise<Classifier> };
  };
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = path.dirname(full) + path.sep;
  const id = path.basename(full);
  const tokenizer = await tjs.AutoTokenizer.from_pretrained(id);
  const model = await tjs.AutoModelForSequenceClassification.from_pretrained(id, { dtype: 'fp32', device: 'cpu' });
  const batchSize = options.batchSize ?? 16;
  return {
    name: id,
    async classify(pairs) {
      const out: NliProbabilities[] = [];
      for (let start = 0; start < pairs.length; start += batchSize) {
        const batch = pairs.slice(start, start + batchSize);
        const inputs = tokenizer(batch.map((p) => p[0]), { text_pair: batch.map((p) => p[1]), padding: true, truncation: true });
        const { logits } = await model(inputs);
        const width = logits.dims[1]!;
        for (let r = 0; r < batch.length; r++) {
          const row = logits.data.subarray(r * width, (r + 1) * width);
          const max = Math.max(...row);
          const exp = Array.from(row, (v) => Math.exp(v - max));
          const z = exp.reduce((a, b) => a + b, 0);
          out.push({ entailment: exp[labels.entailment]! / z, neutral: exp[labels.neutral]! / z, contradiction: exp[labels.contradiction]! / z });
        }
      }
      return out;
    },
    async dispose() {
      await model.dispose();
    },
  };
}
