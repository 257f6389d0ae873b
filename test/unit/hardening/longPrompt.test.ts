/** A huge prompt is cut by characters before it is tokenized (issue 12, item 8: 5 MB once took 33 s and 621 MB). */
import * as assert from 'node:assert/strict';
import { preparePrompt } from '../../../src/core/decode/compare';
import type { CausalLM } from '../../../src/core/model/types';

/** A word-level tokenizer (a token per word with its leading space) that records how much text it was given. */
const vocab = new Map<string, number>();

function wordModel(maxContext: number) {
  const seen: number[] = [];
  const model = {
    name: 'words',
    maxContext,
    encodePrompt(text: string): number[] {
      seen.push(text.length);
      return (text.match(/\s*\S+/g) ?? []).map((w) => {
        if (!vocab.has(w)) vocab.set(w, vocab.size);
        return vocab.get(w)!;
      });
    },
  } as unknown as CausalLM;
  return { model, seen };
}

describe('hardening: long prompts', () => {
  it('hardening: a 5 MB prompt is cut by characters first, so tokenizing it reads a bounded tail', () => {
    const words = Array.from({ length: 700_000 }, (_, i) => `w${i % 5000}`);
    const prompt = words.join(' ');
    assert.ok(prompt.length > 4_000_000);
    const { model, seen } = wordModel(256);
    const prepared = preparePrompt(model, prompt, 32);
    assert.ok(Math.max(...seen) < 20_000, `tokenized ${Math.max(...seen)} characters of ${prompt.length}`);
    // The same tokens as tokenizing it whole and keeping the end.
    const all = wordModel(256).model.encodePrompt(prompt);
    assert.deepEqual(prepared.ids, all.slice(all.length - (256 - 32)));
    assert.match(prepared.truncatedNotice ?? '', /^The prompt has [\d,]+ characters but words reads at most 256 tokens; kept the last 224 tokens/);
  });

  it('hardening: a tail of long tokens (a run of one long word) grows until it holds enough tokens', () => {
    const prompt = `${'start '.repeat(10)}${'x'.repeat(40)} `.repeat(2000);
    const { model, seen } = wordModel(64);
    const prepared = preparePrompt(model, prompt, 8);
    assert.equal(prepared.ids.length, 64 - 8);
    assert.ok(seen.length >= 1 && Math.max(...seen) < prompt.length, 'never the whole prompt');
  });

  it('hardening: a prompt that fits is tokenized whole, once, and not cut', () => {
    const { model, seen } = wordModel(256);
    const prepared = preparePrompt(model, 'Q: Where was Ada born?\nA:', 32);
    assert.deepEqual(seen, [25]);
    assert.equal(prepared.truncatedNotice, undefined);
  });
});
