/**
 * The bundled model's quantized weights on the real runtime: q8 (model_quantized.onnx,
 * MatMulInteger; shipped) and q4 (model_q4.onnx, MatMulNBits; written here by
 * tools/model/quantize.py, which needs Debian's python3-onnx) load through onnxruntime-node and
 * answer known facts as fp32 does, token for token.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { onnxFileFor, type Dtype } from '../../src/core/model/hubModel';
import type { CausalLM } from '../../src/core/model/types';
import { ensureModel } from '../../src/node/modelFolder';
import { loadNodeModel } from '../../src/node/loadNodeModel';
import { bundledModel, cityQuestion, MODEL_DIR, REPO, world } from '../support/model';

const greedy = [strategyFromSettings({ kind: 'greedy' })];

async function greedyText(model: CausalLM, prompt: string): Promise<{ text: string; ids: number[] }> {
  const r = await compareStrategies(model, prompt, greedy, { maxNewTokens: 16, seed: 0 });
  const best = r.results[0]!.best;
  return { text: best.text, ids: best.tokens.map((t) => t.token) };
}

async function lastLogits(model: CausalLM, prompt: string): Promise<Float32Array> {
  return (await model.forward([model.encodePrompt(prompt)], null)).logits.slice(0, model.vocabSize);
}

/** A copy of the bundled model's fp32 files, quantized to q8 and q4 by tools/model/quantize.py. */
function quantizedCopy(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-quant-')), 'facts-lm');
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    fs.copyFileSync(path.join(MODEL_DIR, f), path.join(dir, f));
  }
  const r = spawnSync('/usr/bin/python3', [path.join(REPO, 'tools', 'model', 'quantize.py'), dir, 'q8', 'q4'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tools/model/quantize.py failed (it needs Debian's python3-onnx: apt-get install python3-onnx):\n${r.stderr}`);
  return dir;
}

describe('quantized weights of the bundled model (onnxruntime-node)', function () {
  this.timeout(300_000);
  let copy: string;
  before(() => {
    copy = quantizedCopy();
  });
  after(() => fs.rmSync(path.dirname(copy), { recursive: true, force: true }));

  it('tools/model/quantize.py writes the shipped q8 file byte for byte', () => {
    assert.ok(fs.readFileSync(path.join(copy, 'onnx', 'model_quantized.onnx')).equals(fs.readFileSync(path.join(MODEL_DIR, 'onnx', 'model_quantized.onnx'))));
  });

  const people = world('known').slice(0, 12);
  const prompts = people.flatMap((p) => [cityQuestion(p.name), `Q: What is ${p.name}'s profession?\nA:`, `Q: When was ${p.name} born?\nA:`]);

  for (const [dtype, file, size, where] of [
    ['q8', 'model_quantized.onnx', 0.35, 'the bundled model'],
    ['q4', 'model_q4.onnx', 0.25, 'the quantized copy'],
  ] as Array<[Dtype, string, number, string]>) {
    it(`${dtype} (${file}, ${where}) is a smaller file, loads, and answers ${prompts.length} known facts exactly as fp32 does`, async () => {
      const dir = dtype === 'q8' ? MODEL_DIR : copy;
      const model = dtype === 'q8' ? undefined : copy;
      assert.equal(onnxFileFor(dtype), `onnx/${file}`);
      const fp32Bytes = fs.statSync(path.join(MODEL_DIR, 'onnx', 'model.onnx')).size;
      const bytes = fs.statSync(path.join(dir, 'onnx', file)).size;
      assert.ok(bytes < size * fp32Bytes, `${file} is ${bytes} bytes, fp32 ${fp32Bytes}`);
      assert.equal((await ensureModel(model, { dtype })).dtype, dtype);

      const reference = await bundledModel();
      const quantized = await loadNodeModel({ device: 'cpu', dtype, model });
      assert.equal(quantized.device, 'cpu');
      for (const prompt of prompts) {
        const [a, b] = [await greedyText(reference, prompt), await greedyText(quantized, prompt)];
        assert.deepEqual(b.ids, a.ids, `${dtype} differs from fp32 on ${JSON.stringify(prompt)}: ${JSON.stringify(b.text)} vs ${JSON.stringify(a.text)}`);
      }
      const p = people[0]!;
      assert.equal((await greedyText(quantized, cityQuestion(p.name))).text, ` ${p.city}.`);

      // The quantized graph really ran: its logits are close to fp32's but not the same numbers.
      const [x, y] = [await lastLogits(reference, prompts[0]!), await lastLogits(quantized, prompts[0]!)];
      let maxDiff = 0;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i]! - y[i]!));
      assert.ok(maxDiff > 1e-4, `${dtype} logits equal fp32's (max diff ${maxDiff}): the fp32 file was loaded`);
      assert.ok(maxDiff < 2, `${dtype} logits are far from fp32's (max diff ${maxDiff})`);
    });
  }
});
