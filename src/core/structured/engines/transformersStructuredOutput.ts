/**
 * `@huggingface/transformers-structured-output` behind our engine interface. The package exports
 * only a transformers.js LogitsProcessor (batch size 1), so each sequence gets its own processor
 * and we call it on a one-row tensor view of our logits copy. The module is passed in: importing
 * it loads transformers.js, which must not happen before Node's WASM backend is registered.
 */
import type * as StructuredOutput from '@huggingface/transformers-structured-output';
import type { CompiledSchema, ConstraintEngine, ConstraintVocab, TokenMatcher } from './types';

export type StructuredOutputModule = Pick<typeof StructuredOutput, 'StructuredOutputProcessor'>;
type Processor = InstanceType<StructuredOutputModule['StructuredOutputProcessor']>;
type TensorArg = Parameters<Processor['_call']>[1];

export function createStructuredOutputEngine(module: StructuredOutputModule, vocab: ConstraintVocab): ConstraintEngine {
  // The package caches its token tries per tokenizer object: keep one object for every matcher.
  const tokenizer = { tokenizer_json: vocab.tokenizerJson, eos_token_id: vocab.eosTokenIds[0] };
  module.StructuredOutputProcessor.warmup(tokenizer);
  return {
    name: 'transformers-structured-output',
    vocab,
    async compile(schema) {
      const responseFormat = { type: 'json_schema', json_schema: schema } as StructuredOutput.ResponseFormat;
      // The constructor compiles the schema: a refused keyword throws here, before any decoding.
      new module.StructuredOutputProcessor(tokenizer, responseFormat);
      const compiled: CompiledSchema = {
        createMatcher: async () => structuredOutputMatcher(new module.StructuredOutputProcessor(tokenizer, responseFormat), vocab),
        createMatcherAfter: async (history) => structuredOutputMatcher(new module.StructuredOutputProcessor(tokenizer, responseFormat), vocab, history),
        dispose: () => {},
      };
      return compiled;
    },
    dispose: () => {},
  };
}

function structuredOutputMatcher(processor: Processor, vocab: ConstraintVocab, history: readonly number[] = []): TokenMatcher {
  const ids: bigint[] = [];
  const input = [ids];
  let lastRow: Float32Array | undefined;
  let terminated = false;
  const eos = vocab.eosTokenIds[0];
  if (history.length > 0) {
    // The processor reads the ids present at its first call as the prompt, and commits only those
    // appended after: one call on no ids first, then the history, which the next mask commits.
    processor._call(input, { data: new Float32Array(vocab.vocabSize), dims: [1, vocab.vocabSize] } as unknown as TensorArg);
    for (const token of history) ids.push(BigInt(token));
    terminated = eos !== undefined && history.includes(eos);
  }
  return {
    async mask(row) {
      // The processor commits the tokens appended to `ids` since its last call, then masks.
      try {
        processor._call(input, { data: row, dims: [1, row.length] } as unknown as TensorArg);
      } catch (e) {
        // Its own dead end ("The constraint reached a dead end…"): no token is allowed, and the glue ends the sequence.
        if (!(e instanceof Error && /dead end/.test(e.message))) throw e;
        row.fill(-Infinity);
        lastRow = row;
        return 0;
      }
      lastRow = row;
      let allowed = 0;
      for (let i = 0; i < row.length; i++) if (row[i] !== -Infinity) allowed++;
      return allowed;
    },
    accept(token) {
      if (lastRow && lastRow[token] === -Infinity) return false;
      ids.push(BigInt(token));
      if (token === eos) terminated = true;
      return true;
    },
    isTerminated: () => terminated,
    dispose: () => {},
  };
}
