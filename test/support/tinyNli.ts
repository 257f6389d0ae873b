/**
 * A tiny NLI cross-encoder written at test time (no download): a word-level tokenizer and an ONNX
 * graph, built with the project's protobuf writer, whose logits say "entailment" when premise and
 * hypothesis share a word and "contradiction" otherwise. "lutetia" shares its embedding with
 * "paris", so the model calls them equivalent where lexical matching cannot. It checks plumbing
 * (tokenizer → ONNX → id2label → entailment matrix → clusters), not accuracy.
 *
 * Graph (opset 11): X = Gather(E, input_ids) [b, s, V] with E one-hot per word and zero rows for
 * special tokens; C = ReduceSum(X, axis 1) counts words; S = ReduceSum(C·C − C, axis 1) is > 0
 * exactly when a word occurs twice; logits = S × [2, 0, −2] + [−1, 0, 1].
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { file, message, packedFloats, str, uint, type Part } from '../unit/anatomy/protoWriter';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];
const WORDS = ['paris', 'lutetia', 'rome', 'oslo', 'lima', 'born', 'in', 'was', 'the', 'capital', 'of', 'france', 'he', 'she'];
/** Row of each word in the one-hot embedding: synonyms share one. */
const ROW: Record<string, number> = Object.fromEntries(WORDS.map((w, i) => [w, i]));
ROW.lutetia = ROW.paris!;

const FLOAT = 1;
const INT64 = 7;

function tensor(name: string, dims: number[], values: number[]): Part {
  return message(5, ...dims.map((d) => uint(1, d)), uint(2, FLOAT), packedFloats(4, values), str(8, name));
}
function valueInfo(field: number, name: string, elemType: number, dims: Array<number | string>): Part {
  const shape = message(2, ...dims.map((d) => message(1, typeof d === 'number' ? uint(1, d) : str(2, d))));
  return message(field, str(1, name), message(2, message(1, uint(1, elemType), shape)));
}
function node(op: string, inputs: string[], outputs: string[], attributes: Part[] = []): Part {
  return message(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op), ...attributes);
}
const intAttr = (name: string, value: number): Part => message(5, str(1, name), uint(3, value), uint(20, 2));
const intsAttr = (name: string, values: number[]): Part => message(5, str(1, name), ...values.map((v) => uint(8, v)), uint(20, 7));

export function tinyNliOnnx(): Uint8Array {
  const vocab = SPECIAL.length + WORDS.length;
  const dim = WORDS.length;
  const embedding: number[] = [];
  for (let id = 0; id < vocab; id++) {
    const row = new Array<number>(dim).fill(0);
    if (id >= SPECIAL.length) row[ROW[WORDS[id - SPECIAL.length]!]!] = 1;
    embedding.push(...row);
  }
  const graph = message(
    7,
    node('Gather', ['embedding', 'input_ids'], ['x'], [intAttr('axis', 0)]),
    node('ReduceSum', ['x'], ['counts'], [intsAttr('axes', [1]), intAttr('keepdims', 0)]),
    node('Mul', ['counts', 'counts'], ['squares']),
    node('Sub', ['squares', 'counts'], ['repeats']),
    node('ReduceSum', ['repeats'], ['shared'], [intsAttr('axes', [1]), intAttr('keepdims', 1)]),
    node('MatMul', ['shared', 'weight'], ['scaled']),
    node('Add', ['scaled', 'bias'], ['logits']),
    str(2, 'tiny-nli'),
    tensor('embedding', [vocab, dim], embedding),
    tensor('weight', [1, 3], [2, 0, -2]),
    tensor('bias', [3], [-1, 0, 1]),
    valueInfo(11, 'input_ids', INT64, ['batch', 'sequence']),
    valueInfo(11, 'attention_mask', INT64, ['batch', 'sequence']),
    valueInfo(12, 'logits', FLOAT, ['batch', 3]),
  );
  return file(uint(1, 7), str(2, 'sampling-lab-tests'), graph, message(8, str(1, ''), uint(2, 11)));
}

/** Writes the model folder under `parent` and returns its path. */
export function writeTinyNli(parent: string, name = 'tiny-nli'): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), tinyNliOnnx());
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'deberta-v2',
      architectures: ['DebertaV2ForSequenceClassification'],
      id2label: { 0: 'ENTAILMENT', 1: 'NEUTRAL', 2: 'CONTRADICTION' },
      label2id: { ENTAILMENT: 0, NEUTRAL: 1, CONTRADICTION: 2 },
    }),
  );
  const vocab = Object.fromEntries([...SPECIAL, ...WORDS].map((w, i) => [w, i]));
  const special = (t: string) => ({ id: t, ids: [vocab[t]], tokens: [t] });
  const sp = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  fs.writeFileSync(
    path.join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIAL.map((t, i) => ({ id: i, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [sp('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, sp('[SEP]')],
        pair: [sp('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, sp('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, sp('[SEP]')],
        special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
      },
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'PreTrainedTokenizer', model_max_length: 64, pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]' }),
  );
  return dir;
}
