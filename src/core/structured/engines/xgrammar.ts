/**
 * XGrammar (mlc-ai/xgrammar compiled to WebAssembly, `@mlc-ai/web-xgrammar`) behind our engine
 * interface. The module is passed in, as transformers.js is: the webview imports the package, and
 * Node loads it with src/node/loadXGrammar.ts (the package's UMD file is marked `"type": "module"`,
 * so Node's own loader refuses it). The .wasm is inlined in the package's JS (2.4 MB): nothing else
 * ships with the webview.
 */
import type * as XGrammar from '@mlc-ai/web-xgrammar';
import type { CompiledSchema, ConstraintEngine, ConstraintVocab, TokenMatcher } from './types';

export type XGrammarModule = Pick<typeof XGrammar, 'TokenizerInfo' | 'GrammarCompiler' | 'GrammarMatcher' | 'Testings'>;

/** One line, with the separators the model was trained on: `{"name": "…", "born": 1953}`. */
const ANY_WHITESPACE = false;
const ONE_LINE = -1;
const SEPARATORS: [string, string] = [', ', ': '];
export interface XGrammarOptions {
  /**
   * Refuse properties the schema does not name, even where its `additionalProperties` allows them
   * (XGrammar's strict mode). Off by default: the mask follows the schema.
   */
  strictProperties?: boolean;
}

export async function createXGrammarEngine(xgrammar: XGrammarModule, vocab: ConstraintVocab, options: XGrammarOptions = {}): Promise<ConstraintEngine> {
  const strict = options.strictProperties ?? false;
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
      const compiled = await fatal.explain(async () => {
        const ebnf = await xgrammar.Testings._jsonSchemaToEBNF(JSON.stringify(schema), ANY_WHITESPACE, ONE_LINE, SEPARATORS, strict);
        return compiler.compileGrammar(excludeDeclaredKeys(ebnf), 'root');
      });
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
 * XGrammar's grammar for an object lets a property the schema declares come back as an additional
 * property (`{"b": 1, "a": 5}` where `a` must be a string, passing as "additional"), so where a
 * schema allows additional properties its mask lets invalid documents through. Its grammar is
 * EBNF text: each object is a family of rules (`root`, `root_part_0`, `root_part_0_1`, …) that spells its
 * declared keys as literals and an additional key as `basic_string ": "`. This swaps that key
 * for one that cannot spell a declared name of the same object (a trie of the names, written out
 * as rules). An additional key is then written without escapes, which JSON never needs for a key.
 */
export function excludeDeclaredKeys(ebnf: string): string {
  const lines = ebnf.split('\n');
  // `root_part_3`, and with minProperties/maxProperties `root_part_3_2` (a count of properties so far).
  const family = (rule: string) => rule.replace(/(_part_\d+(_\d+)?)+$/, '');
  const declared = new Map<string, Set<string>>();
  const ruleOf = (line: string) => /^(\w+) ::= /.exec(line)?.[1];
  for (const line of lines) {
    const rule = ruleOf(line);
    if (!rule) continue;
    for (const m of line.matchAll(/"\\"((?:[^"\\]|\\.)*?)\\"" ": "/g)) {
      const names = declared.get(family(rule)) ?? new Set<string>();
      names.add(unescapeEbnf(m[1]!));
      declared.set(family(rule), names);
    }
  }
  const added: string[] = [];
  const out = lines.map((line) => {
    const rule = ruleOf(line);
    if (!rule || !line.includes('basic_string ": "')) return line;
    const names = declared.get(family(rule));
    if (!names || names.size === 0) return line;
    const key = `${family(rule)}_additional_key`;
    if (!added.some((l) => l.startsWith(`${key} ::=`))) added.push(...keyRules(key, [...names]));
    return line.replace(/basic_string ": "/g, `${key} ": "`);
  });
  return [...out, ...added].join('\n');
}

/** Rules for a quoted key that is none of `names`: `"`, a walk down their trie, `"`. */
function keyRules(rule: string, names: readonly string[]): string[] {
  interface Trie { end: boolean; next: Map<string, Trie> }
  const root: Trie = { end: false, next: new Map() };
  for (const name of names) {
    let node = root;
    for (const ch of name) {
      let child = node.next.get(ch);
      if (!child) node.next.set(ch, (child = { end: false, next: new Map() }));
      node = child;
    }
    node.end = true;
  }
  const rest = `${rule}_rest`;
  const rules = [`${rule} ::= "\\"" ${rule}_0`, `${rest} ::= [^\\0-\\x1f\\"\\\\\\r\\n]* "\\""`];
  let count = 0;
  const visit = (node: Trie, id: number) => {
    const alts: string[] = [];
    if (!node.end) alts.push('"\\""');
    const taken = [...node.next.keys()].map(classChar).join('');
    alts.push(`[^\\0-\\x1f\\"\\\\\\r\\n${taken}] ${rest}`);
    for (const [ch, child] of node.next) {
      const childId = ++count;
      alts.push(`"${literalChar(ch)}" ${rule}_${childId}`);
      visit(child, childId);
    }
    rules.push(`${rule}_${id} ::= ${alts.join(' | ')}`);
  };
  visit(root, 0);
  return rules;
}

function unescapeEbnf(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}
const literalChar = (ch: string) => (ch === '"' || ch === '\\' ? `\\${ch}` : ch);
const classChar = (ch: string) => (/[\]\\^\-"]/.test(ch) ? `\\${ch}` : ch);

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
    allowedBits: () => matcher.getNextTokenBitmask(),
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
