/**
 * What the decode loop needs from a constrained-decoding engine, whichever engine it is: compile
 * a JSON schema once, then one matcher per sequence that masks a logits row and follows the
 * tokens the sampler picked.
 */

/** A tokenizer's vocabulary as the engines read it. */
export interface ConstraintVocab {
  /** Token strings as tokenizer.json stores them (byte-level encoded), indexed by id. */
  encodedTokens: string[];
  /** How `encodedTokens` map to bytes, in XGrammar's words. */
  vocabType: 'byte_level' | 'byte_fallback' | 'raw';
  /** The logits width; may exceed `encodedTokens.length` (padded vocabularies, e.g. Qwen3's 151,936). */
  vocabSize: number;
  /** The tokens that end a document once the schema is satisfied. */
  eosTokenIds: number[];
  /** The parsed tokenizer.json (the transformers.js engine reads it itself). */
  tokenizerJson: Record<string, unknown>;
}

export type EngineName = 'xgrammar' | 'transformers-structured-output';

export interface ConstraintEngine {
  readonly name: EngineName;
  readonly vocab: ConstraintVocab;
  /** Compiles a schema for this vocabulary. Throws the engine's own error for what it refuses. */
  compile(schema: object): Promise<CompiledSchema>;
  dispose(): void;
}

export interface CompiledSchema {
  createMatcher(): Promise<TokenMatcher>;
  /**
   * A matcher that has accepted `history` already, unchecked (the tokens another matcher of this
   * schema accepted), where the engine can replay them: how the closing planner walks an engine
   * that cannot step back (closing.ts: withShadow).
   */
  createMatcherAfter?(history: readonly number[]): Promise<TokenMatcher>;
  dispose(): void;
}

/** One sequence's position in the grammar. */
export interface TokenMatcher {
  /**
   * Writes -Infinity into `row` (a copy of one logits row, owned by the caller) at every token
   * the grammar forbids next, and returns how many tokens stay allowed.
   */
  mask(row: Float32Array): Promise<number>;
  /** Advances past `token`; false when the grammar rejects it. */
  accept(token: number): boolean;
  /** The document is finished: a stop token was accepted. */
  isTerminated(): boolean;
  /** Undoes the last `tokens` accepts, where the engine can (XGrammar). */
  rollBack?(tokens: number): void;
  /**
   * The grammar's own bitmask of the next tokens (bit t of word t >> 5 set: allowed), where the
   * engine has one (XGrammar): the closing planner reads a few bits of it instead of masking a
   * vocabulary-sized row for every byte it plans.
   */
  allowedBits?(): Promise<Int32Array | Uint32Array>;
  dispose(): void;
}

/** Builds the vocabulary view from a parsed tokenizer.json (BPE `model.vocab` plus `added_tokens`). */
export function constraintVocabFromTokenizerJson(
  tokenizerJson: Record<string, unknown>,
  vocabSize: number,
  eosTokenIds: readonly number[],
): ConstraintVocab {
  const model = tokenizerJson.model as { vocab?: Record<string, number> | Array<[string, number]> } | undefined;
  const encodedTokens: string[] = [];
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] pairs in id order.
    vocab.forEach(([piece], id) => (encodedTokens[id] = piece));
  } else if (vocab && typeof vocab === 'object') {
    for (const [piece, id] of Object.entries(vocab)) encodedTokens[id] = piece;
  } else {
    throw new Error('tokenizer.json has no model.vocab: constrained decoding needs the vocabulary.');
  }
  const added = tokenizerJson.added_tokens;
  if (Array.isArray(added)) {
    for (const a of added as Array<{ id: number; content: string }>) encodedTokens[a.id] = a.content;
  }
  for (let i = 0; i < encodedTokens.length; i++) encodedTokens[i] ??= '';
  const decoder = JSON.stringify(tokenizerJson.decoder ?? null);
  const vocabType = decoder.includes('"ByteLevel"') ? 'byte_level' : decoder.includes('"ByteFallback"') ? 'byte_fallback' : 'raw';
  return {
    encodedTokens,
    vocabType,
    vocabSize: Math.max(vocabSize, encodedTokens.length),
    eosTokenIds: [...eosTokenIds],
    tokenizerJson,
  };
}
