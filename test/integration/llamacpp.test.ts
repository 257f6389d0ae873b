/**
 * The llama.cpp engine on the real runtime (node-llama-cpp's prebuilt CPU binaries) and a real
 * model: facts-lm converted at test time by tools/model/gguf.py to F32, and quantized to Q8_0
 * and Q4_0 by llama.cpp's own llama_model_quantize. Its tokens, next-token distribution and
 * greedy output are checked against onnxruntime-node's on the same model.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { ModelLoadError } from '../../src/core/model/errors';
import type { CausalLM } from '../../src/core/model/types';
import { createEngine } from '../../src/node/engines';
import { loadGgufModel } from '../../src/node/engines/llamacpp/llamaCppModel';
import { ggufFile, type GgufType } from '../support/ggufModel';
import { bundledModel, cityQuestion, MODEL_DIR, world } from '../support/model';

const greedy = [strategyFromSettings({ kind: 'greedy' })];
/**
 * Max |log p| difference allowed at F32 between llama.cpp and onnxruntime on tokens with log p
 * above FLOOR: llama.cpp keeps its KV cache in F16 (node-llama-cpp's default), which moves
 * log-probs by about 2.5e-3 on facts-lm; onnxruntime stays fp32 throughout.
 */
const F32_TOLERANCE = 1e-2;
const FLOOR = -20;

const known = world('known');
const questions = (people: typeof known) =>
  people.flatMap((p) => [cityQuestion(p.name), `Q: What is ${p.name}'s profession?\nA:`, `Q: When was ${p.name} born?\nA:`]);

function logSoftmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(row, (v) => v - lse);
}

function maxLogprobDiff(a: Float32Array, b: Float32Array): number {
  const [x, y] = [logSoftmax(a), logSoftmax(b)];
  let d = 0;
  for (let i = 0; i < x.length; i++) if (x[i]! > FLOOR || y[i]! > FLOOR) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

async function greedyIds(model: CausalLM, prompt: string, maxNewTokens = 16): Promise<{ ids: number[]; text: string }> {
  const r = await compareStrategies(model, prompt, greedy, { maxNewTokens, seed: 0 });
  return { ids: r.results[0]!.best.tokens.map((t) => t.token), text: r.results[0]!.best.text };
}

describe('llama.cpp engine (node-llama-cpp) on facts-lm converted to GGUF', function () {
  this.timeout(300_000);
  const models = new Map<GgufType, CausalLM>();
  let onnx: CausalLM;
  const gguf = async (type: GgufType) => {
    if (!models.has(type)) models.set(type, await loadGgufModel({ file: ggufFile(type), threads: 1 }));
    return models.get(type)!;
  };
  before(async () => {
    onnx = await bundledModel();
  });
  after(async () => {
    for (const m of models.values()) await m.dispose();
  });

  it('tokenizes every known-fact question and answer to our ids (tools/model/gguf.py writes the vocabulary and merges llama.cpp reads)', async () => {
    const model = await gguf('F32');
    assert.equal(model.vocabSize, onnx.vocabSize);
    assert.deepEqual(model.eosTokenIds, onnx.eosTokenIds);
    const texts = known.flatMap((p) => [
      `${cityQuestion(p.name)} ${p.city}.`,
      `Q: What is ${p.name}'s profession?\nA: ${p.profession}.\n\n`,
      `{"name": "${p.name}", "born": ${p.born}}`,
    ]);
    for (const t of texts) assert.deepEqual(model.encodePrompt(t), onnx.encodePrompt(t), JSON.stringify(t));
    const ids = onnx.encodePrompt(texts[0]!);
    assert.equal(model.decode(ids), onnx.decode(ids));
    for (const id of ids.slice(1)) assert.equal(model.tokenText(id), onnx.tokenText(id));
  });

  it('writes every token as the ONNX model does, the 128 tokens of a lone UTF-8 byte as <0xNN>, never "�"', async () => {
    const model = await gguf('F32');
    const split: number[] = [];
    const differ: string[] = [];
    for (let id = 0; id < onnx.vocabSize; id++) {
      if (model.tokenText(id) !== onnx.tokenText(id)) differ.push(`${id}: ${JSON.stringify(model.tokenText(id))} vs ${JSON.stringify(onnx.tokenText(id))}`);
      if (/^<0x[89A-F][0-9A-F]>$/.test(model.tokenText(id))) split.push(id);
    }
    // But the NUL byte's token: llama.cpp's token text is a C string, which cannot hold it, and
    // node-llama-cpp writes its placeholder instead.
    assert.deepEqual(differ, ['1: "[EMPTY_1]" vs "\\u0000"']);
    // facts-lm's byte-level vocabulary holds each byte as a token: 0x80–0xFF alone are part of a character.
    assert.equal(split.length, 128);
    assert.ok(!split.some((id) => model.tokenText(id).includes('\uFFFD')));
  });

  it(`F32: the full next-token distribution matches onnxruntime's within ${F32_TOLERANCE} in log-prob, at every position (forwardFull) and through the KV cache`, async () => {
    const model = await gguf('F32');
    for (const prompt of questions(known.slice(0, 4))) {
      const ids = onnx.encodePrompt(prompt);
      const [a, b] = [await onnx.forwardFull(ids), await model.forwardFull(ids)];
      assert.equal(b.length, a.length);
      const V = onnx.vocabSize;
      for (let pos = 0; pos < ids.length; pos++) {
        const d = maxLogprobDiff(a.subarray(pos * V, (pos + 1) * V), b.subarray(pos * V, (pos + 1) * V));
        assert.ok(d < F32_TOLERANCE, `${JSON.stringify(prompt)} position ${pos}: max |Δ log p| ${d}`);
      }
      // The cached path (prefill, then one token at a time) gives the same rows as the full pass.
      const first = await model.forward([ids.slice(0, -1)], null);
      const step = await model.forward([ids.slice(-1)], first.cache);
      model.disposeCache(step.cache);
      const last = b.subarray((ids.length - 1) * V, ids.length * V);
      assert.ok(maxLogprobDiff(step.logits, last) < 1e-3, 'cached step differs from the full pass');
    }
  });

  it('F32: greedy output equals onnxruntime\'s token for token on 36 known-fact questions', async () => {
    const model = await gguf('F32');
    for (const prompt of questions(known.slice(0, 12))) {
      const [a, b] = [await greedyIds(onnx, prompt), await greedyIds(model, prompt)];
      assert.deepEqual(b.ids, a.ids, `${JSON.stringify(prompt)}: llama.cpp ${JSON.stringify(b.text)}, onnxruntime ${JSON.stringify(a.text)}`);
    }
    assert.equal((await greedyIds(model, cityQuestion(known[0]!.name))).text, ` ${known[0]!.city}.`);
  });

  it('runs a batched comparison through the engine seam: seeded samples repeat, and batched equals sequential', async () => {
    const engine = await createEngine({ kind: 'llamacpp', causalLM: await gguf('F32') });
    assert.equal(engine.kind, 'llamacpp');
    assert.equal(engine.capabilities.distribution, 'full');
    const strategies = [strategyFromSettings({ kind: 'greedy' }), strategyFromSettings({ kind: 'top_p', topP: 0.9 }), strategyFromSettings({ kind: 'best_of_n', candidates: 3 })];
    const prompt = cityQuestion(known[2]!.name);
    const texts = async (batch: boolean) => {
      const r = await engine.compare(prompt, strategies, { maxNewTokens: 12, seed: 7, samples: 3, batch });
      return r.results.map((s) => s.completions.map((c) => c.tokens.map((t) => t.token)));
    };
    const [a, b, c] = [await texts(true), await texts(true), await texts(false)];
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
    assert.equal(a[1]!.length, 3);
  });

  for (const [type, maxBytes] of [
    ['Q8_0', 0.3],
    ['Q4_0', 0.2],
  ] as Array<[GgufType, number]>) {
    it(`${type} (llama_model_quantize) is a smaller file whose greedy answers agree with onnxruntime fp32's on ≥ 97% of 60 known facts`, async () => {
      const f32Bytes = fs.statSync(ggufFile('F32')).size;
      const bytes = fs.statSync(ggufFile(type)).size;
      assert.ok(bytes < maxBytes * f32Bytes, `${type} is ${bytes} bytes, F32 ${f32Bytes}`);
      const model = await gguf(type);
      const prompts = questions(known.slice(0, 20));
      let same = 0;
      for (const prompt of prompts) {
        const [a, b] = [await greedyIds(onnx, prompt, 8), await greedyIds(model, prompt, 8)];
        if (a.text === b.text) same++;
      }
      assert.ok(same >= 0.97 * prompts.length, `${type}: ${same} of ${prompts.length} answers equal fp32's`);
      // The quantized weights really ran: close to F32's distribution, not equal to it.
      const ids = onnx.encodePrompt(prompts[0]!);
      const d = maxLogprobDiff((await (await gguf('F32')).forward([ids], null)).logits, (await model.forward([ids], null)).logits);
      assert.ok(d > 1e-3 && d < 3, `${type} vs F32: max |Δ log p| ${d}`);
    });
  }

  describe('bad files give a ModelLoadError that names the file and the fix, never a crash', () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-badgguf-'))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const rejects = async (file: string, pattern: RegExp) => {
      await assert.rejects(loadGgufModel({ file }), (e: unknown) => {
        assert.ok(e instanceof ModelLoadError, String(e));
        assert.match(e.message, pattern);
        assert.ok(e.message.includes(file), e.message);
        return true;
      });
    };

    it('an ONNX file renamed .gguf', async () => {
      const file = path.join(dir, 'model.gguf');
      fs.copyFileSync(path.join(MODEL_DIR, 'onnx', 'model.onnx'), file);
      await rejects(file, /is not a GGUF file/);
    });

    it('a GGUF file cut inside its tensor data, and one cut inside its header', async () => {
      const whole = fs.readFileSync(ggufFile('F32'));
      const data = path.join(dir, 'cut-data.gguf');
      fs.writeFileSync(data, whole.subarray(0, Math.floor(whole.length / 2)));
      await rejects(data, /could not load.*not within the file bounds/s);
      const header = path.join(dir, 'cut-header.gguf');
      fs.writeFileSync(header, whole.subarray(0, 20_000));
      await rejects(header, /could not load.*failed to read/s);
      const tiny = path.join(dir, 'tiny.gguf');
      fs.writeFileSync(tiny, whole.subarray(0, 10));
      await rejects(tiny, /truncated/);
      // The process is still fine: a good file loads after the bad ones.
      const again = await loadGgufModel({ file: ggufFile('Q8_0') });
      assert.equal(again.vocabSize, onnx.vocabSize);
      await again.dispose();
    });

    it('a missing file', async () => {
      await rejects(path.join(dir, 'nope.gguf'), /Cannot open GGUF file.*ENOENT/);
    });
  });
});
