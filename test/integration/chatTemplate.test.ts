/**
 * Chat templates on a real runtime: the generated Qwen3-shaped model (Qwen3's tokenizer and chat
 * template, random weights) renders prompts through the template by default, raw on request, with a
 * system message; chat_template.jinja counts as a template; generation stops on
 * generation_config.json's end ids; a model without a template runs raw and refuses chat: true.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { withPromptFormat } from '../../src/core/model/promptFormat';
import type { CausalLM } from '../../src/core/model/types';
import { loadNodeModel } from '../../src/node/loadNodeModel';
import { QWEN3_ENDOFTEXT, QWEN3_IM_END, writeQwen3Random } from '../support/qwen3Model';

const greedy = strategyFromSettings({ kind: 'greedy' }, 'test');
const IM_START = 151644;

/** ChatML as Qwen's template writes it for a system and a user turn, assistant turn opened (no <think> block asked for). */
const CHATML = '{% for m in messages %}{{ "<|im_start|>" + m.role + "\\n" + m.content + "<|im_end|>\\n" }}{% endfor %}{% if add_generation_prompt %}{{ "<|im_start|>assistant\\n" }}{% endif %}';

describe('chat templates on the Qwen3-shaped model', function () {
  this.timeout(300_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-'));
  let qwen: CausalLM;

  before(async () => {
    writeQwen3Random(path.join(root, 'qwen3'));
    qwen = await loadNodeModel({ model: path.join(root, 'qwen3'), dtype: 'q8' });
  });
  after(async () => {
    await qwen?.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('renders the prompt through the template by default, with the system message, and reports it', async () => {
    assert.equal(qwen.hasChatTemplate, true);
    const chat = withPromptFormat(qwen, { system: 'Answer briefly.' });
    const r = await compareStrategies(chat, 'Where is Paris?', [greedy], { maxNewTokens: 3, seed: 1 });
    const rendered = '<|im_start|>system\nAnswer briefly.<|im_end|>\n<|im_start|>user\nWhere is Paris?<|im_end|>\n<|im_start|>assistant\n';
    assert.equal(r.renderedPrompt, rendered);
    assert.equal(r.promptFormat, 'chat');
    const ids = chat.encodePrompt('Where is Paris?');
    assert.equal(ids[0], IM_START, 'special tokens in the rendering are single ids');
    assert.equal(ids.filter((t) => t === QWEN3_IM_END).length, 2);
    assert.equal(r.promptTokens, ids.length);
    assert.deepEqual(ids, qwen.encode(rendered));
  });

  it('raw sends the text alone: Qwen3 adds no BOS (tokenizer_config add_bos_token: false)', async () => {
    const raw = withPromptFormat(qwen, { chat: false });
    assert.deepEqual(raw.encodePrompt('Hello'), qwen.encode('Hello'));
    const r = await compareStrategies(raw, 'Hello', [greedy], { maxNewTokens: 2, seed: 1 });
    assert.equal(r.promptFormat, 'raw');
    assert.equal(r.renderedPrompt, 'Hello');
  });

  it("stops on every end id of generation_config.json, not only config.json's", async () => {
    assert.deepEqual([...qwen.eosTokenIds].sort(), [QWEN3_ENDOFTEXT, QWEN3_IM_END].sort());
    const raw = withPromptFormat(qwen, { chat: false });
    // Greedy repeats the last token on this model (see qwen3Model.ts), so a prompt ending in an end id stops at once.
    for (const [end, id] of [['<|endoftext|>', QWEN3_ENDOFTEXT], ['<|im_end|>', QWEN3_IM_END]] as const) {
      const r = await compareStrategies(raw, `Hi${end}`, [greedy], { maxNewTokens: 4, seed: 1 });
      assert.equal(r.results[0]!.best.finishReason, 'eos', end);
      assert.deepEqual(r.results[0]!.best.tokens.map((t) => t.token), [id], `${end}: the end id is the one token`);
    }
    const control = await compareStrategies(raw, 'Hi there', [greedy], { maxNewTokens: 4, seed: 1 });
    assert.equal(control.results[0]!.best.finishReason, 'length');
  });

  it('reads chat_template.jinja; a model with no template runs raw and refuses chat: true', async () => {
    const jinja = path.join(root, 'jinja');
    const none = path.join(root, 'none');
    for (const dir of [jinja, none]) {
      writeQwen3Random(dir);
      fs.rmSync(path.join(dir, 'onnx', 'model.onnx'));
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
      delete config.chat_template;
      fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    }
    fs.writeFileSync(path.join(jinja, 'chat_template.jinja'), CHATML);
    const withFile = await loadNodeModel({ model: jinja });
    try {
      assert.equal(withFile.hasChatTemplate, true);
      assert.equal(withPromptFormat(withFile, {}).renderPrompt!('Hi'), '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    } finally {
      await withFile.dispose();
    }
    const plain = await loadNodeModel({ model: none });
    try {
      assert.equal(plain.hasChatTemplate, false);
      assert.equal(withPromptFormat(plain, {}), plain, 'raw by default');
      assert.throws(() => withPromptFormat(plain, { chat: true }), /has no chat template .* Run it raw/);
    } finally {
      await plain.dispose();
    }
  });
});
