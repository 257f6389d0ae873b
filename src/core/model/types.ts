/**
 * The language model as the decode loop sees it: a forward pass over a batch with a KV cache.
 * The transformers.js adapter implements it; the core never imports transformers.js directly,
 * so the same loop runs with onnxruntime-node, onnxruntime-web (WASM) and WebGPU.
 */

/** Opaque KV cache handle owned by the model adapter. */
export interface KvCache {
  /** Sequence length already cached. */
  readonly length: number;
  readonly batchSize: number;
}

export interface ForwardResult {
  /** Logits for the last position of each batch row: row r is logits[r * vocabSize .. (r+1) * vocabSize). */
  logits: Float32Array;
  cache: KvCache;
}

/** One turn of a conversation, as chat templates take it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CausalLM {
  readonly name: string;
  /** The backend that actually runs: a Backend (core/model/backends.ts), or an engine's own name (`cpu (llama.cpp)`). */
  readonly device: string;
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly eosTokenIds: readonly number[];
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /**
   * Text of one token, as it would appear when streaming; a token holding only part of a UTF-8
   * character is written as its bytes (`<0xE4><0xBD>`, core/model/tokenBytes.ts), never "�".
   */
  tokenText(id: number): string;
  /** The ids the model sees for a prompt: BOS (when the model has one) then the prompt's tokens; the chat template's rendering when withPromptFormat chose chat. */
  encodePrompt(text: string): number[];
  /** The exact text encodePrompt tokenizes (BOS written out, or the chat template's rendering). */
  renderPrompt?(text: string): string;
  /** 'chat' when prompts go through the chat template (withPromptFormat), else raw. */
  readonly promptFormat?: 'raw' | 'chat';
  /** Whether the model has a chat template (tokenizer_config.json's chat_template or chat_template.jinja). */
  readonly hasChatTemplate?: boolean;
  /** Renders a conversation through the chat template with the assistant's turn opened. */
  renderChat?(messages: readonly ChatMessage[]): string;
  /**
   * Runs the model on `ids` (one row per sequence, all the same length) after `cache`.
   * Returns the last position's logits for each row and the grown cache.
   */
  forward(ids: number[][], cache: KvCache | null): Promise<ForwardResult>;
  /** A cache whose rows are `rows` of `cache` (repeat a row to fan out a shared prefill, drop finished rows). */
  selectRows(cache: KvCache, rows: readonly number[]): Promise<KvCache>;
  /** Logits for every position of one sequence in a single full pass: [seqLen * vocabSize]. */
  forwardFull(ids: readonly number[]): Promise<Float32Array>;
  disposeCache(cache: KvCache): void;
  dispose(): Promise<void>;
}
