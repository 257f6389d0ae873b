/**
 * The glue between a JSON schema and the decode loop: pick the engine that can enforce the schema,
 * compile it once, and give every sequence of a batch its own matcher (decodeBatch's
 * `SequenceSpec.constraint`). The matcher only masks the row before the sampler chain runs, so it
 * composes with every strategy: greedy, temperature, top-k, top-p, min-p and best-of-N.
 *
 * Engine choice (measured by bench/structured.ts over 13 schemas; its tables go to BENCHMARKS.md):
 * - Speed. XGrammar (WASM) masks a token in ~0.3 ms p50 at Qwen3's 151,936 tokens and ~25 µs at
 *   the bundled 1,400; transformers-structured-output takes ~1.9 ms and ~0.2 ms. Only XGrammar
 *   meets the 1 ms goal at 151,936.
 * - Coverage. XGrammar enforces `pattern` and `format`, which the other refuses, and its mask never
 *   leads into a dead end. It compiles but lets through oneOf, allOf, not, if/then/else,
 *   multipleOf, uniqueItems, contains and dependentRequired; its integer ranges are wrong for some
 *   bounds (1776–1864 lets 1999 through), and on other numbers it bounds only the integer part
 *   (6.5 passes `"maximum": 6`).
 *   transformers-structured-output checks all of those when the document ends, but its mask can
 *   walk into dead ends (digits that no exponent brings back into bounds, lone UTF-8 continuation
 *   bytes in a bounded string), so alone it rambles until the budget runs out.
 * So: the schema is first rewritten into an equivalent one XGrammar reads exactly (rewrite.ts:
 * siblings of anyOf/$ref/allOf merged in, enum filtered by type, required names given a property;
 * xgrammarSchema.ts: patterns searched, calendar formats as patterns), and XGrammar's grammar is
 * patched so a declared property cannot come back as an additional one (xgrammar.ts). XGrammar
 * alone then runs every schema it fully enforces (the fast path), integer ranges included once a
 * walk of its own grammar shows they hold (integerRanges.ts). For the rest, both masks at once:
 * XGrammar's keeps the output on a path that can finish, the other's adds the keywords XGrammar
 * misses. A schema the other engine refuses (a `pattern` next to a `oneOf`) is refused with both
 * reasons; coverage.ts lists the keywords. Compiled schemas are cached per engines object (one
 * per model), and the closing phase plans from XGrammar's state (closing.ts).
 */
import { describeUses, formatsNoMaskChecks, secondEngineSchema, xgrammarGaps, type KeywordUse } from './coverage';
import { boundsSchema, integerRangeOf, PROBE_VOCAB, xgrammarHoldsRange } from './integerRanges';
import type { CompiledSchema, ConstraintEngine, ConstraintVocab, EngineName } from './engines/types';
import { UnsupportedSchemaError, type SchemaSequenceConstraint } from './constraintTypes';
import { createSequenceConstraint, type SequenceShared } from './sequenceConstraint';
import { createStructuredOutputEngine, type StructuredOutputModule } from './engines/transformersStructuredOutput';
import { createXGrammarEngine, type XGrammarModule } from './engines/xgrammar';
import { rewriteForEngines } from './rewrite';
import type { CheckedSchema } from './schema';
import { xgrammarSchema } from './xgrammarSchema';

export { UnsupportedSchemaError, type SchemaSequenceConstraint } from './constraintTypes';


/** The engine packages, passed in (Node and the webview load them differently). */
export interface EngineModules {
  xgrammar?: XGrammarModule;
  structuredOutput?: StructuredOutputModule;
}

/** The engine, or both: XGrammar's mask keeps the output on a path that can finish, the other's adds the keywords XGrammar lets through. */
export type EngineLabel = EngineName | 'xgrammar + transformers-structured-output';

/** A schema compiled for one vocabulary, ready to hand out one matcher per sequence. */
export interface SchemaConstraint {
  engine: EngineLabel;
  /** Why this engine, e.g. "XGrammar cannot enforce `oneOf` at /properties/id", then the notes. */
  reason: string;
  /**
   * What the card lists besides: how the draft was read, the unknown words ignored, whether
   * properties the schema does not name may appear (the `strictProperties` option).
   */
  notes: string[];
  /**
   * Formats no mask checks (one transformers-structured-output reads as an annotation, where
   * XGrammar does not hold it): ajv checks them after decoding, and `notes` names them.
   */
  afterDecoding: KeywordUse[];
  vocabSize: number;
  /**
   * A fresh matcher for one sequence; dispose it when the sequence is done. With `maxNewTokens`
   * (the sequence's real budget), it closes the document before the budget runs out.
   */
  createSequenceConstraint(budget?: { maxNewTokens: number }): Promise<SchemaSequenceConstraint>;
  dispose(): void;
}


export interface ConstraintEngines {
  readonly vocab: ConstraintVocab;
  /**
   * Compiles a checked schema with the engine that enforces all of it. Throws UnsupportedSchemaError.
   * A schema compiled before (same engine schema) comes from the cache: dispose() on it is a no-op,
   * and the engines' own dispose() frees it.
   */
  compile(schema: CheckedSchema): Promise<SchemaConstraint>;
  dispose(): void;
}

export interface ConstraintOptions {
  /**
   * Refuse properties the schema does not name even where `additionalProperties` allows them.
   * Off by default: the mask follows the schema. Named on the card either way.
   */
  strictProperties?: boolean;
}

/** Compiled schemas kept per engines object (per model): a schema compiles once per model. */
const CACHE_LIMIT = 64;

/** Engines are built lazily, once per vocabulary: XGrammar's tokenizer info takes ~0.3 s at 151,936 tokens. */
export function createConstraintEngines(modules: EngineModules, vocab: ConstraintVocab, options: ConstraintOptions = {}): ConstraintEngines {
  const strictProperties = options.strictProperties ?? false;
  const cache = new Map<string, Promise<SchemaConstraint>>();
  let xgrammar: Promise<ConstraintEngine> | undefined;
  let rangeProbe: Promise<ConstraintEngine> | undefined;
  let structuredOutput: ConstraintEngine | undefined;
  const getXGrammar = () => (xgrammar ??= createXGrammarEngine(modules.xgrammar!, vocab, { strictProperties }));
  const getRangeProbe = () => (rangeProbe ??= createXGrammarEngine(modules.xgrammar!, PROBE_VOCAB));
  /** Verdicts of the integer-range walk, by the bounds' own JSON: a schema is often compiled again. */
  const rangeVerdicts = new Map<string, Promise<boolean>>();
  const holdsRange = (node: Record<string, unknown>): Promise<boolean> => {
    const range = integerRangeOf(node);
    if (!range) return Promise.resolve(false);
    const bounds = boundsSchema(node);
    const key = JSON.stringify(bounds);
    let verdict = rangeVerdicts.get(key);
    if (!verdict) {
      verdict = getRangeProbe().then((probe) => xgrammarHoldsRange(probe, bounds, range)).catch(() => false);
      rangeVerdicts.set(key, verdict);
    }
    return verdict;
  };
  /** Splits off the integer bounds XGrammar's grammar was shown to hold (integerRanges.ts). */
  const checkRanges = async (schema: object, gaps: KeywordUse[]): Promise<{ gaps: KeywordUse[]; held: string[] }> => {
    if (!modules.xgrammar) return { gaps, held: [] };
    const kept: KeywordUse[] = [];
    const held = new Set<string>();
    for (const gap of gaps) {
      const node = BOUND_KEYWORDS.has(gap.keyword) ? nodeAt(schema, gap.path) : undefined;
      if (node && (await holdsRange(node))) {
        const range = integerRangeOf(node)!;
        held.add(`${range.min}–${range.max} at ${gap.path === '' ? '(root)' : gap.path}`);
      } else {
        kept.push(gap);
      }
    }
    return { gaps: kept, held: [...held] };
  };
  const getStructuredOutput = () => (structuredOutput ??= createStructuredOutputEngine(modules.structuredOutput!, vocab));

  const shared: SequenceShared = {};
  const wrap = (engine: EngineLabel, compiled: readonly CompiledSchema[], why: string, given: string[], afterDecoding: KeywordUse[] = []): SchemaConstraint => {
    const notes = afterDecoding.length > 0 ? [...given, `checked after decoding (by ajv), not by the mask: ${describeUses(afterDecoding)}`] : given;
    return {
      engine,
      reason: notes.length > 0 ? `${why}. Notes: ${notes.join('; ')}` : why,
      notes,
      afterDecoding,
      vocabSize: vocab.vocabSize,
      createSequenceConstraint: (budget) => createSequenceConstraint({ label: engine, compiled, why, plans: engine !== 'transformers-structured-output', vocab, shared }, budget),
      dispose: () => compiled.forEach((c) => c.dispose()),
    };
  };

  const compileUncached = async (checked: CheckedSchema): Promise<SchemaConstraint> => {
    if (checked.engineSchema === false) throw new UnsupportedSchemaError('The schema is `false`: no output can be valid.');
    const rewritten = rewriteForEngines(checked.engineSchema === true ? {} : checked.engineSchema);
    const schema = (rewritten === true ? {} : rewritten) as Record<string, unknown>;
    const forXGrammar = xgrammarSchema(schema) as Record<string, unknown>;
    const notes = [
      ...checked.notes,
      strictProperties
        ? 'strict properties: only the properties the schema names (additionalProperties is not followed)'
        : 'properties the schema does not name: as its additionalProperties says',
    ];
    const { gaps, held } = await checkRanges(forXGrammar, xgrammarGaps(forXGrammar));
    let xgrammarCompiled: CompiledSchema | undefined;
    let xgrammarError: string | undefined;
    if (modules.xgrammar) {
      try {
        xgrammarCompiled = await (await getXGrammar()).compile(forXGrammar);
      } catch (e) {
        // XGrammar aborts on what it cannot parse (e.g. a lookahead in `pattern`).
        xgrammarError = errorText(e);
      }
    }
    if (xgrammarCompiled && gaps.length === 0) {
      const ranges = held.length > 0 ? ` (its integer ranges checked: ${held.join(', ')})` : '';
      return wrap('xgrammar', [xgrammarCompiled], `XGrammar enforces every keyword of this schema${ranges}`, notes);
    }

    const problem = !modules.xgrammar
      ? 'XGrammar is not loaded'
      : xgrammarError !== undefined
        ? `XGrammar could not compile it (${xgrammarError})`
        : `XGrammar cannot enforce ${describeUses(gaps)}`;
    const both = xgrammarCompiled !== undefined && !gaps.some((g) => XGRAMMAR_REJECTS_VALID.has(g.keyword));
    let exact: CompiledSchema;
    let secondSchema: Record<string, unknown>;
    try {
      if (!modules.structuredOutput) throw new Error('it is not loaded');
      // Next to XGrammar, the other engine leaves out the patterns and formats XGrammar enforces.
      secondSchema = both ? secondEngineSchema(schema, forXGrammar) : schema;
      exact = await getStructuredOutput().compile(secondSchema);
    } catch (e) {
      xgrammarCompiled?.dispose();
      throw new UnsupportedSchemaError(
        `Constrained decoding cannot enforce this schema: ${problem}, and transformers-structured-output refuses it (${errorText(e)}). ` +
          'The other routes still run, and ajv still validates their output.',
      );
    }
    if (both && xgrammarCompiled) {
      return wrap('xgrammar + transformers-structured-output', [xgrammarCompiled, exact], `${problem}: both masks apply`, notes, formatsNoMaskChecks(secondSchema));
    }
    xgrammarCompiled?.dispose();
    return wrap('transformers-structured-output', [exact], `${problem}; transformers-structured-output enforces it`, notes, formatsNoMaskChecks(secondSchema));
  };

  return {
    vocab,
    compile(checked) {
      const key = JSON.stringify([checked.engineSchema, checked.notes]);
      let entry = cache.get(key);
      if (!entry) {
        if (cache.size >= CACHE_LIMIT) {
          const [oldest, evicted] = cache.entries().next().value!;
          cache.delete(oldest);
          // A sequence still decoding holds its own matcher; the compiled grammar outlives it in XGrammar.
          void evicted.then((c) => c.dispose(), () => {});
        }
        entry = compileUncached(checked);
        cache.set(key, entry);
        // A refusal is not kept: the next call says it again, with the same message.
        entry.catch(() => cache.delete(key));
      }
      return entry.then((c) => ({ ...c, dispose: () => {} }));
    },
    dispose() {
      for (const entry of cache.values()) void entry.then((c) => c.dispose(), () => {});
      cache.clear();
      void xgrammar?.then((e) => e.dispose());
      void rangeProbe?.then((e) => e.dispose());
      structuredOutput?.dispose();
    },
  };
}

/** Bound keywords on an integer (xgrammarGaps names bounds on other types differently). */
const BOUND_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

/** The subschema at a JSON pointer, if it is an object. */
function nodeAt(schema: object, pointer: string): Record<string, unknown> | undefined {
  let node: unknown = schema;
  for (const part of pointer.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>) : undefined;
}

/** Keywords where XGrammar's grammar is narrower than the schema: its mask would forbid valid output. */
const XGRAMMAR_REJECTS_VALID = new Set(['patternProperties']);

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\.?\s*Build with -sASSERTIONS for more info\.?/, '').replace(/\.$/, '');
}
