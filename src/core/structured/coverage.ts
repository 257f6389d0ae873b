/**
 * Which schema keywords each engine enforces while decoding, as measured by bench/structured.ts
 * (its coverage table feeds each engine a valid and an invalid instance per keyword). A keyword an
 * engine compiles but does not enforce would let invalid output through, so the glue must know.
 */
import { forEachSubschema } from './dialect';
import { resolve } from './rewrite';

export interface KeywordUse {
  keyword: string;
  /** JSON pointer to the subschema that holds the keyword. */
  path: string;
}

/** Keywords that never constrain output (annotations), in any engine. */
const ANNOTATIONS = new Set([
  '$schema', '$id', '$comment', '$anchor', 'title', 'description', 'examples', 'default', 'deprecated',
  'readOnly', 'writeOnly', 'contentMediaType', 'contentEncoding', 'contentSchema',
]);

/**
 * XGrammar 0.1.27 (WASM) enforced these in our probes. Not here, so routed to the other engine:
 * multipleOf, uniqueItems, contains, oneOf, allOf, not, if/then/else, dependentRequired,
 * dependentSchemas (compiled but not enforced); patternProperties (ignored next to `properties`, and
 * its keys given the additional-properties schema: sound only next to `additionalProperties: false`);
 * minContains/maxContains (aborts the WASM module); and numeric bounds. Its integer ranges hold for
 * some bounds and not others (1900–1999 holds; 1776–1864 lets any 1xxx through), on other
 * numbers it bounds only the integer part (`"maximum": 6` lets 6.5 through), and given a
 * fractional bound it accepts text that is not a number ("5}000001").
 */
const XGRAMMAR_ENFORCED = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'prefixItems', 'minItems', 'maxItems',
  'enum', 'const', 'minLength', 'maxLength', 'pattern', 'format', 'anyOf', '$ref', '$defs', 'definitions',
  'minProperties', 'maxProperties', 'propertyNames',
]);
const BOUNDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);
/** Formats XGrammar turned into a grammar in our probes; others it would accept as any string. */
const XGRAMMAR_FORMATS = new Set(['duration', 'email', 'uri', 'uuid', 'ipv4', 'hostname']);
/**
 * Formats ajv-formats checks: one XGrammar does not enforce would let invalid output through.
 * Its `password` and `binary` pass every string (node_modules/ajv-formats/dist/formats.js), so
 * they are annotations here.
 */
export const AJV_FORMATS: ReadonlySet<string> = new Set([
  'date', 'time', 'date-time', 'iso-time', 'iso-date-time', 'duration', 'uri', 'uri-reference', 'uri-template', 'url',
  'email', 'hostname', 'ipv4', 'ipv6', 'regex', 'uuid', 'json-pointer', 'json-pointer-uri-fragment',
  'relative-json-pointer', 'byte', 'int32', 'int64', 'float', 'double',
]);
/**
 * The formats of AJV_FORMATS that transformers-structured-output reads as annotations: it refuses
 * the others by name (ASSERTED_FORMATS in its src/engine/json.ts). Where one is left in its
 * schema (under a choice, where XGrammar's pattern says nothing about the branch the other took,
 * or where it runs alone), no mask checks it.
 */
const SECOND_ENGINE_IGNORES = new Set(['iso-time', 'iso-date-time', 'uri-template', 'url', 'json-pointer-uri-fragment', 'byte', 'int32', 'int64', 'float', 'double']);

/** The formats in the second engine's schema that no mask checks: ajv checks them after decoding, and the card says so. */
export function formatsNoMaskChecks(secondSchema: unknown): KeywordUse[] {
  const found: KeywordUse[] = [];
  forEachSubschema(secondSchema, (node, at) => {
    if (typeof node.format === 'string' && SECOND_ENGINE_IGNORES.has(node.format)) found.push({ keyword: `format "${node.format}"`, path: at });
  });
  return found;
}

/** Subschema-holding keywords: name -> how its value holds schemas. */
const SCHEMA_MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SCHEMA_LIST = new Set(['prefixItems', 'anyOf', 'oneOf', 'allOf']);
const SCHEMA_ONE = new Set([
  'items', 'additionalProperties', 'contains', 'not', 'if', 'then', 'else', 'propertyNames',
  'unevaluatedProperties', 'unevaluatedItems',
]);

/** Keywords XGrammar reads alone: next to one of them it drops the others (measured in its grammar). */
const ALONE = ['anyOf', '$ref', 'enum', 'const'];
/** Siblings that never matter, or that rewrite.ts already folded into the values. */
const HARMLESS_NEXT_TO_VALUES = new Set(['type', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', '$defs', 'definitions']);

/**
 * The keyword uses XGrammar would not enforce: the schema must go to another engine (or fail).
 * Run it on the schema XGrammar is given (rewrite.ts, then xgrammarSchema.ts): a pattern that
 * could not be rewritten is still spelled the JSON Schema way, and counts as a gap.
 */
export function xgrammarGaps(schema: unknown): KeywordUse[] {
  const gaps: KeywordUse[] = [];
  const walk = (node: unknown, at: string) => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    const record = node as Record<string, unknown>;
    for (const alone of ALONE) {
      if (!(alone in record)) continue;
      const harmless = alone === 'enum' || alone === 'const' ? HARMLESS_NEXT_TO_VALUES : new Set(['$defs', 'definitions']);
      const others = Object.keys(record).filter((k) => k !== alone && !ANNOTATIONS.has(k) && !harmless.has(k) && !k.startsWith('x-'));
      if (others.length > 0) gaps.push({ keyword: `${alone} next to ${others.map((k) => `\`${k}\``).join(', ')}`, path: at });
    }
    if (typeof record.pattern === 'string' && !isRewrittenPattern(record.pattern)) gaps.push({ keyword: `pattern ${JSON.stringify(record.pattern)} (not rewritable for XGrammar)`, path: at });
    if (record.properties !== undefined && record.propertyNames !== undefined) gaps.push({ keyword: 'propertyNames next to properties', path: at });
    // XGrammar enforces a pattern or a format and drops the lengths beside it (it warns, and
    // lets "abcdef" through `"pattern": "^[a-z]+$", "maxLength": 3`).
    // Without a string type, XGrammar writes any string for `pattern` or `format` (it let
    // {"a": "b"} through `"a": {"pattern": "^a+$"}`), though JSON Schema checks every string there.
    if (!isStringTyped(record)) {
      if (typeof record.pattern === 'string') gaps.push({ keyword: 'pattern without "type": "string"', path: at });
      if (typeof record.format === 'string' && AJV_FORMATS.has(record.format)) gaps.push({ keyword: 'format without "type": "string"', path: at });
    }
    // Next to a format, XGrammar drops the pattern (it warns of dropping the format, but measured:
    // `"format": "uri", "pattern": "^https?://"` let "ftp://example.com" through).
    if (typeof record.pattern === 'string' && typeof record.format === 'string') gaps.push({ keyword: `pattern next to format "${record.format}"`, path: at });
    const lengths = ['minLength', 'maxLength'].filter((k) => typeof record[k] === 'number');
    const shape = ['pattern', 'format'].filter((k) => typeof record[k] === 'string');
    if (lengths.length > 0 && shape.length > 0) gaps.push({ keyword: `${lengths.join('/')} next to ${shape.join('/')}`, path: at });
    if (Array.isArray(record.required) && record.patternProperties !== undefined) {
      const declared = new Set(Object.keys((record.properties ?? {}) as object));
      if ((record.required as string[]).some((n) => !declared.has(n))) gaps.push({ keyword: 'required without a property schema', path: at });
    }
    for (const [key, value] of Object.entries(record)) {
      const here = `${at}/${escapePointer(key)}`;
      if (ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
      if (BOUNDS.has(key)) {
        gaps.push({ keyword: record.type === 'integer' ? key : `${key} (on a non-integer)`, path: at });
        continue;
      }
      if (key === 'format') {
        if (typeof value === 'string' && AJV_FORMATS.has(value) && !XGRAMMAR_FORMATS.has(value)) gaps.push({ keyword: `format "${value}"`, path: at });
        continue;
      }
      if (key === 'pattern') continue;
      if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) {
        gaps.push({ keyword: `$ref to "${value}" (outside the schema)`, path: at });
        continue;
      }
      // Next to `additionalProperties: false`, XGrammar's grammar holds patternProperties (no other
      // keys) or, next to `properties`, writes no pattern key at all: narrower, never looser.
      const patternsSound = key === 'patternProperties' && record.additionalProperties === false;
      if (!XGRAMMAR_ENFORCED.has(key) && !patternsSound) gaps.push({ keyword: key, path: at });
      if (SCHEMA_MAP.has(key) && typeof value === 'object' && value !== null) {
        for (const [name, sub] of Object.entries(value)) walk(sub, `${here}/${escapePointer(name)}`);
      } else if (SCHEMA_LIST.has(key) && Array.isArray(value)) {
        value.forEach((sub, i) => walk(sub, `${here}/${i}`));
      } else if (SCHEMA_ONE.has(key)) {
        walk(value, here);
      }
    }
  };
  walk(schema, '');
  return gaps;
}

/** Keywords through which a subschema checks every instance location it reaches, and XGrammar reads so. */
const ALWAYS_APPLIED_MAP = new Set(['properties', '$defs', 'definitions']);
const ALWAYS_APPLIED_ONE = new Set(['items', 'additionalProperties']);
const ALWAYS_APPLIED_LIST = new Set(['prefixItems']);

/**
 * The schema for the second engine when both masks apply: `schema` (rewrite.ts's output) without
 * the patterns and formats XGrammar enforces in `forXGrammar` (xgrammarSchema.ts's copy of it), so
 * a schema with a `pattern` no longer refuses both engines (transformers-structured-output cannot
 * enforce patterns while decoding). A token passes only if both masks allow it, so the output
 * meets both schemas; that is the whole schema when each pattern or format left out applies to
 * the same places in both: it is left out only where every way to it from the root runs through
 * `properties`, `items`, `prefixItems`, `additionalProperties` and whole-read `$ref`s, never
 * through a choice (`anyOf`, `oneOf`, `if`, `not`, `dependentSchemas`, `contains`,
 * `patternProperties`: in a branch XGrammar took, a pattern says nothing about the branch the other
 * engine took) or a keyword XGrammar drops. Formats ajv does not check are annotations: left out
 * everywhere. Patterns XGrammar could not take stay, and the second engine refuses them by name.
 */
export function secondEngineSchema(schema: Record<string, unknown>, forXGrammar: Record<string, unknown>): Record<string, unknown> {
  type Node = Record<string, unknown>;
  const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
  const safe = new Set<Node>();
  const unsafe = new Set<Node>();
  /** The XGrammar copy of each node of `schema`, found by walking both side by side. */
  const twin = new Map<Node, Node>();
  const visit = (node: unknown, x: unknown, always: boolean, depth: number) => {
    if (!isNode(node) || !isNode(x) || depth > 256) return;
    const seen = always ? safe : unsafe;
    if (seen.has(node)) return;
    seen.add(node);
    twin.set(node, x);
    const whole = readWhole(x);
    const below = always && whole;
    for (const [key, value] of Object.entries(node)) {
      const xv = x[key];
      if (key === '$ref') {
        visit(resolve(schema, value), resolve(forXGrammar, value), below, depth + 1);
      } else if (key === 'patternProperties' || SCHEMA_MAP.has(key)) {
        // patternProperties' keys were rewritten for XGrammar: pair their schemas by position.
        if (!isNode(value) || !isNode(xv)) continue;
        const xs = Object.values(xv);
        Object.entries(value).forEach(([name, sub], i) => visit(sub, key === 'patternProperties' ? xs[i] : xv[name], below && ALWAYS_APPLIED_MAP.has(key), depth + 1));
      } else if (SCHEMA_LIST.has(key) && Array.isArray(value) && Array.isArray(xv)) {
        value.forEach((sub, i) => visit(sub, xv[i], below && ALWAYS_APPLIED_LIST.has(key), depth + 1));
      } else if (SCHEMA_ONE.has(key)) {
        visit(value, xv, below && ALWAYS_APPLIED_ONE.has(key), depth + 1);
      }
    }
  };
  visit(schema, forXGrammar, true, 0);
  const copies = new Map<unknown, unknown>();
  const copy = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const done = copies.get(value);
    if (done !== undefined) return done;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      copies.set(value, out);
      for (const v of value) out.push(copy(v));
      return out;
    }
    const out: Node = {};
    copies.set(value, out);
    const node = value as Node;
    const x = twin.get(node);
    const enforced = x !== undefined && safe.has(node) && !unsafe.has(node) && isStringTyped(x);
    for (const [k, v] of Object.entries(node)) {
      if (k === 'format' && typeof v === 'string' && (!AJV_FORMATS.has(v) || (enforced && xgrammarEnforcesFormat(x, v)))) continue;
      if (k === 'pattern' && enforced && typeof x.pattern === 'string' && isRewrittenPattern(x.pattern) && x.format === undefined) continue;
      out[k] = copy(v);
    }
    return out;
  };
  return copy(schema) as Record<string, unknown>;
}

/** A node whose `type` is "string" or a list with it: where XGrammar applies `pattern` and `format`. */
function isStringTyped(node: Record<string, unknown>): boolean {
  return node.type === 'string' || (Array.isArray(node.type) && node.type.includes('string'));
}

/** Whether XGrammar reads every keyword of this node (none of them drops its siblings). */
function readWhole(node: Record<string, unknown>): boolean {
  return !ALONE.some((alone) => alone in node && Object.keys(node).some((k) => k !== alone && !ANNOTATIONS.has(k) && k !== '$defs' && k !== 'definitions' && !k.startsWith('x-')));
}

/** A format XGrammar checks at this node: its own, or one xgrammarSchema.ts turned into a pattern. */
function xgrammarEnforcesFormat(x: Record<string, unknown>, format: string): boolean {
  if (x.format === undefined) return typeof x.pattern === 'string' && isRewrittenPattern(x.pattern);
  return XGRAMMAR_FORMATS.has(format);
}

/** What xgrammarSchema.ts produces: full-match, anchored at both ends. */
function isRewrittenPattern(pattern: string): boolean {
  return pattern.startsWith('^') && pattern.endsWith('$');
}

/** "`oneOf` at /properties/id, `uniqueItems` at /properties/tags" */
export function describeUses(uses: readonly KeywordUse[], limit = 4): string {
  const shown = uses.slice(0, limit).map((u) => `\`${u.keyword}\` at ${u.path === '' ? '(root)' : u.path}`);
  if (uses.length > limit) shown.push(`and ${uses.length - limit} more`);
  return shown.join(', ');
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
