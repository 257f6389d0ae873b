/**
 * XGrammar (mlc-ai/xgrammar compiled to WebAssembly, `@mlc-ai/web-xgrammar`) behind our engine
 * interface. The module is passed in, as transformers.js is: the webview imports the package, and
 * Node loads it with src/node/loadXGrammar.ts (the package's UMD file is marked `"type": "module"`,
 * so Node's own loader refuses it). The .wasm is inlined in the package's JS (2.4 MB): nothing else
 * ships with the webview.
 */
import type * as XGrammar from '@mlc-ai/web-xgrammar';
import type { CompiledSchema, ConstraintEngine, ConstraintVocab, TokenMatcher } from './types';

export type XGrammarModule = Pick<typeof XGrammar, 'TokenizerInfo' | 'GrammarCompiler' | 'GrammarMatcher'>;

/** One line, with the separators the model was trained on: `{"name": "…", "born": 1953}`. */
const ANY_WHITESPACE = false;
const ONE_LINE = -1;
const SEPARATORS: [string, string] = [', ', ': '];
/** Properties the schema does not name are refused (ajv allows them unless additionalProperties is false). */
const STRICT = true;

export async function createXGrammarEngine(xgrammar: XGrammarModule, vocab: ConstraintVocab): Promise<ConstraintEngine> {
  const fatal = fatalMessages(xgrammar);
  const info = await fatal.duringInit(() =>
    xgrammar.TokenizerInfo.createTokenizerInfo(vocab.encodedTokens, vocab.vocabType, false, vocab.vocabSize, vocab.eosTokenIds),
  );
  const compiler = await xgrammar.GrammarCompiler.createGrammarCompiler(info, true);
  const words = Math.ceil(vocab.vocabSize / 32);
  return {
    name: 'xgrammar',
    vocab,
    async compile(schema) {
      const compiled = await fatal.explain(() =>
        compiler.compileJSONSchema(JSON.stringify(schema), ANY_WHITESPACE, ONE_LINE, SEPARATORS, STRICT),
      );
      const result: CompiledSchema = {
        async createMatcher() {
          const matcher = await xgrammar.GrammarMatcher.createGrammarMatcher(compiled, vocab.eosTokenIds);
          return xgrammarMatcher(matcher, vocab.vocabSize, words);
        },
        dispose: () => compiled.dispose(),
      };
      return result;
    },
    dispose() {
      compiler.dispose();
      info.dispose();
    },
  };
}

/**
 * XGrammar reports a schema it cannot compile by printing "[FATAL] file.cc:902: Unsupported type"
 * to stderr and aborting with a bare "Aborted()". Its print function is console.error, bound
 * once when the WASM module starts: routing that through a forwarder lets compile() put the
 * reason into the error it throws, instead of into the terminal.
 */
interface FatalMessages {
  duringInit<T>(start: () => Promise<T>): Promise<T>;
  explain<T>(compile: () => Promise<T>): Promise<T>;
}
const fatalByModule = new WeakMap<object, FatalMessages>();

function fatalMessages(xgrammar: XGrammarModule): FatalMessages {
  const known = fatalByModule.get(xgrammar);
  if (known) return known;
  let lines: string[] | null = null;
  let installed = false;
  const messages: FatalMessages = {
    async duringInit(start) {
      if (installed) return start();
      installed = true;
      const original = console.error;
      console.error = (...args: unknown[]) => {
        if (lines) lines.push(args.map(String).join(' '));
        else original.apply(console, args);
      };
      try {
        return await start();
      } finally {
        console.error = original;
      }
    },
    async explain(compile) {
      lines = [];
      try {
        return await compile();
      } catch (e) {
        const fatal = lines.find((l) => l.includes('[FATAL]'));
        throw new Error(fatal ? fatal.replace(/^.*\[FATAL\]\s*\S+:\d+:\s*/, '') : e instanceof Error ? e.message : String(e));
      } finally {
        lines = null;
      }
    },
  };
  fatalByModule.set(xgrammar, messages);
  return messages;
}

function xgrammarMatcher(matcher: XGrammar.GrammarMatcher, vocabSize: number, words: number): TokenMatcher {
  return {
    async mask(row) {
      const bitmask = await matcher.getNextTokenBitmask();
      return applyBitmask(row, bitmask, vocabSize, words);
    },
    accept: (token) => matcher.acceptToken(token),
    isTerminated: () => matcher.isTerminated(),
    rollBack: (tokens) => matcher.rollBack(tokens),
    dispose: () => matcher.dispose(),
  };
}

/**
 * Sets row[t] = -Infinity where bit t of `bitmask` is clear; returns the count of set bits below
 * `vocabSize`. Whole words are handled at once: most words are all-allowed or all-forbidden.
 */
export function applyBitmask(row: Float32Array, bitmask: Int32Array | Uint32Array, vocabSize: number, words = Math.ceil(vocabSize / 32)): number {
  let allowed = 0;
  const n = Math.min(row.length, vocabSize);
  for (let w = 0; w < words; w++) {
    const bits = w < bitmask.length ? bitmask[w]! | 0 : 0;
    const start = w << 5;
    if (start >= n) break;
    const end = Math.min(start + 32, n);
    if (bits === -1 && end - start === 32) {
      allowed += 32;
      continue;
    }
    if (bits === 0) {
      row.fill(-Infinity, start, end);
      continue;
    }
    for (let t = start; t < end; t++) {
      if (bits & (1 << (t - start))) allowed++;
      else row[t] = -Infinity;
    }
  }
  if (row.length > n) row.fill(-Infinity, n);
  return allowed;
}
