/**
 * Rewrites a 2020-12 schema (dialect.ts's output) into an equivalent one the engines enforce
 * exactly. XGrammar reads a subschema keyword by keyword and drops what it does not expect next
 * to another keyword: the siblings of `anyOf`/`$ref`, the `type` next to `enum`, a `required`
 * name that `properties` lacks. Each rewrite here keeps the set of valid documents the same:
 * - `allOf` branches and the siblings of `$ref` are merged into one subschema (when they merge);
 * - the siblings of `anyOf`/`oneOf` are distributed into each branch;
 * - `oneOf` whose branches cannot both match (different types, different constants) is `anyOf`;
 * - `enum`/`const` keep only the values their siblings allow;
 * - a `required` name without a property schema gets one (the additional-properties schema);
 * - ajv-formats' numeric formats become what they check: `int32` an integer within 32 bits,
 *   `int64` an integer, `float` and `double` nothing (every number passes).
 * What does not merge is left as it is: coverage.ts then names it, and the glue routes it to the
 * second engine or refuses it. Patterns and formats are the engine's business (xgrammarSchema.ts).
 */
import { cloneJson, forEachSubschema } from './dialect';

type Node = Record<string, unknown>;
type Schema = Node | boolean;

/** Keywords that describe, never constrain: dropped when subschemas merge. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment', 'deprecated', 'readOnly', 'writeOnly',
  'contentMediaType', 'contentEncoding', 'contentSchema', '$anchor', '$id']);
const MIN = new Set(['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']);
const MAX = new Set(['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']);
/** How deep a chain of `$ref`s is followed when one is merged with its siblings. */
const MAX_REF_DEPTH = 8;

/** The rewritten copy; `root` is kept for resolving `$ref`s. */
export function rewriteForEngines(schema: Schema): Schema {
  if (typeof schema === 'boolean') return schema;
  const root = cloneJson(schema);
  // Before any merge: a merge gives up on two different formats, and bounds merge.
  forEachSubschema(root, numericFormat);
  const visited = new Set<Node>();
  // Bottom-up would be tidier, but each rewrite only reads its own node and resolved $refs.
  forEachSubschema(root, (node) => {
    if (visited.has(node)) return;
    visited.add(node);
    rewriteNode(node, root);
  });
  // A second pass: merged allOf branches and distributed siblings bring new nodes.
  forEachSubschema(root, (node) => {
    if (visited.has(node)) return;
    visited.add(node);
    rewriteNode(node, root);
  });
  return root;
}

function rewriteNode(node: Node, root: Node): void {
  if ('$ref' in node && Object.keys(node).some((k) => k !== '$ref' && !ANNOTATIONS.has(k) && k !== '$defs' && k !== 'definitions')) {
    const target = resolve(root, node.$ref);
    if (target !== undefined) {
      const { $ref: _ref, ...siblings } = node;
      const merged = merge(siblings, target, root);
      if (merged !== undefined) replace(node, merged);
    }
  }
  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    let merged: Schema | undefined = rest;
    for (const branch of allOf as Schema[]) if (merged !== undefined) merged = merge(merged, branch, root);
    if (merged !== undefined) replace(node, merged);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (!Array.isArray(node[key])) continue;
    const siblings = constraining(node, key);
    if (Object.keys(siblings).length === 0) continue;
    const branches = (node[key] as Schema[]).map((b) => merge(siblings, b, root));
    if (branches.some((b) => b === undefined || holds(b, node, new Set()))) continue;
    for (const k of Object.keys(siblings)) delete node[k];
    node[key] = branches;
  }
  if (Array.isArray(node.oneOf) && pairwiseDisjoint(node.oneOf as Schema[], root)) {
    node.anyOf = node.oneOf;
    delete node.oneOf;
  }
  if (Array.isArray(node.anyOf)) {
    // A branch that can match nothing (a merge found a contradiction) is no alternative.
    const kept = (node.anyOf as Schema[]).filter((b) => b !== false);
    node.anyOf = kept.length > 0 ? kept : [false];
  }
  filterValues(node);
  requiredHaveProperties(node);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * ajv-formats' OpenAPI number formats (node_modules/ajv-formats/dist/formats.js: `int32` is
 * `Number.isInteger` within ±2^31, `int64` is `Number.isInteger`, `float` and `double` accept any
 * number) as the type and bounds they amount to. Neither engine checks them as formats: XGrammar
 * reads `format` on strings only, and transformers-structured-output ignores these names. Like
 * every number format they apply to numbers only, so a node that cannot hold a number drops them.
 */
function numericFormat(node: Node): void {
  const format = node.format;
  if (format !== 'int32' && format !== 'int64' && format !== 'float' && format !== 'double') return;
  const listed = types(node.type);
  const numeric = listed.length === 0 || listed.includes('number') || listed.includes('integer');
  if (format === 'float' || format === 'double' || !numeric) {
    delete node.format;
    return;
  }
  if (listed.includes('number')) {
    const integer = [...new Set(listed.map((t) => (t === 'number' ? 'integer' : t)))];
    node.type = integer.length === 1 ? integer[0] : integer;
  } else if (listed.length === 0) {
    // No type: the format still makes every number an integer. A fractional multipleOf beside it
    // would need two; the format stays then, and coverage names it.
    if (node.multipleOf !== undefined && !Number.isInteger(node.multipleOf)) return;
    node.multipleOf ??= 1;
  }
  delete node.format;
  if (format === 'int32') {
    node.minimum = typeof node.minimum === 'number' ? Math.max(node.minimum, INT32_MIN) : INT32_MIN;
    node.maximum = typeof node.maximum === 'number' ? Math.min(node.maximum, INT32_MAX) : INT32_MAX;
  }
}

/** The keywords of `node` that constrain an instance, besides `except` and the definitions. */
function constraining(node: Node, except: string): Node {
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === except || k === '$defs' || k === 'definitions' || ANNOTATIONS.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Replaces the contents of `node` by `by`, keeping its definitions where $refs expect them. */
function replace(node: Node, by: Schema): void {
  // A merge that inlined an ancestor ($ref: "#" next to siblings) would hold `node` inside itself.
  if (typeof by === 'object' && holds(by, node, new Set())) return;
  const defs = { $defs: node.$defs, definitions: node.definitions };
  for (const k of Object.keys(node)) delete node[k];
  if (by === false) node.not = {};
  else if (by !== true) Object.assign(node, by);
  if (defs.$defs !== undefined) node.$defs = defs.$defs;
  if (defs.definitions !== undefined) node.definitions = defs.definitions;
}

/** Whether `value` holds `target` anywhere inside it. */
function holds(value: unknown, target: object, seen: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (value === target) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((v) => holds(v, target, seen));
}

/** The subschema a local `$ref` points to, or undefined. */
export function resolve(root: Node, ref: unknown): Schema | undefined {
  if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Node)[key];
  }
  return typeof node === 'boolean' || (typeof node === 'object' && node !== null && !Array.isArray(node)) ? (node as Schema) : undefined;
}

/**
 * One subschema that holds exactly when both do, or undefined when the two cannot be written as
 * one without keywords an engine drops (two patterns, two anyOfs, conflicting property rules).
 */
export function merge(a: Schema, b: Schema, root: Node, depth = 0): Schema | undefined {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  if (depth > MAX_REF_DEPTH) return undefined;
  for (const [x, other] of [[a, b], [b, a]] as const) {
    if ('$ref' in x) {
      const target = resolve(root, x.$ref);
      if (target === undefined) return undefined;
      const { $ref: _ref, ...rest } = x;
      const inlined = merge(rest, target, root, depth + 1);
      return inlined === undefined ? undefined : merge(inlined, other, root, depth + 1);
    }
  }
  const out: Node = {};
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (ANNOTATIONS.has(key)) continue;
    const inA = key in a;
    const inB = key in b;
    const va = a[key];
    const vb = b[key];
    if (!inA || !inB) {
      out[key] = inA ? va : vb;
      continue;
    }
    if (sameJson(va, vb)) {
      out[key] = va;
      continue;
    }
    if (key === 'type') {
      const common = types(va).filter((t) => types(vb).includes(t) || (t === 'integer' && types(vb).includes('number')));
      for (const t of types(vb)) if (t === 'integer' && types(va).includes('number') && !common.includes(t)) common.push(t);
      if (common.length === 0) return false;
      out.type = common.length === 1 ? common[0] : common;
    } else if (key === 'required') {
      out.required = [...new Set([...(va as string[]), ...(vb as string[])])];
    } else if (key === 'enum') {
      const common = (va as unknown[]).filter((x) => (vb as unknown[]).some((y) => sameJson(x, y)));
      if (common.length === 0) return false;
      out.enum = common;
    } else if (key === 'const') {
      return false;
    } else if (MIN.has(key) && typeof va === 'number' && typeof vb === 'number') {
      out[key] = Math.max(va, vb);
    } else if (MAX.has(key) && typeof va === 'number' && typeof vb === 'number') {
      out[key] = Math.min(va, vb);
    } else if (key === 'properties') {
      const props: Node = { ...(va as Node) };
      for (const [name, sub] of Object.entries(vb as Node)) {
        if (!(name in props)) props[name] = sub;
        else {
          const m = merge(props[name] as Schema, sub as Schema, root, depth + 1);
          if (m === undefined) return undefined;
          props[name] = m;
        }
      }
      out.properties = props;
    } else if (key === 'items' || key === 'propertyNames' || key === 'contains' || key === 'additionalProperties') {
      const m = merge(va as Schema, vb as Schema, root, depth + 1);
      if (m === undefined) return undefined;
      out[key] = m;
    } else if (key === 'allOf') {
      out.allOf = [...(va as Schema[]), ...(vb as Schema[])];
    } else if (key === '$defs' || key === 'definitions') {
      out[key] = { ...(vb as Node), ...(va as Node) };
    } else {
      return undefined;
    }
  }
  // additionalProperties of one side also judges the other side's property names.
  for (const [x, y] of [[a, b], [b, a]] as const) {
    if (!('additionalProperties' in x) || x.additionalProperties === true) continue;
    const own = new Set(Object.keys((x.properties as Node | undefined) ?? {}));
    const theirs = Object.keys((y.properties as Node | undefined) ?? {}).filter((n) => !own.has(n));
    if (theirs.length > 0 || 'patternProperties' in x || 'patternProperties' in y) return undefined;
  }
  if (Array.isArray(out.allOf)) {
    // Merge what was concatenated, now that the rest is one node.
    const { allOf, ...rest } = out;
    let merged: Schema | undefined = rest;
    for (const branch of allOf as Schema[]) if (merged !== undefined) merged = merge(merged, branch, root, depth + 1);
    return merged;
  }
  return out;
}

function types(t: unknown): string[] {
  return Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : [];
}

/** The JSON type names a value has (an integer is a number too). */
function typesOf(value: unknown): string[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
  return [typeof value];
}

/** `enum`/`const` keep only the values that the simple siblings (type, bounds, lengths) allow. */
function filterValues(node: Node): void {
  const values = 'const' in node ? [node.const] : Array.isArray(node.enum) ? (node.enum as unknown[]) : undefined;
  if (!values) return;
  const kept = values.filter((v) => allowsValue(node, v));
  if (kept.length === values.length) return;
  if (kept.length === 0) {
    replace(node, false);
    return;
  }
  delete node.const;
  node.enum = kept;
}

function allowsValue(node: Node, v: unknown): boolean {
  if ('type' in node && !typesOf(v).some((t) => types(node.type).includes(t))) return false;
  if (typeof v === 'string') {
    const length = [...v].length;
    if (typeof node.minLength === 'number' && length < node.minLength) return false;
    if (typeof node.maxLength === 'number' && length > node.maxLength) return false;
  }
  if (typeof v === 'number') {
    if (typeof node.minimum === 'number' && v < node.minimum) return false;
    if (typeof node.maximum === 'number' && v > node.maximum) return false;
    if (typeof node.exclusiveMinimum === 'number' && v <= node.exclusiveMinimum) return false;
    if (typeof node.exclusiveMaximum === 'number' && v >= node.exclusiveMaximum) return false;
  }
  return true;
}

/** Every `required` name gets a property schema, so the engine's object grammar asks for it. */
function requiredHaveProperties(node: Node): void {
  if (!Array.isArray(node.required)) return;
  const props = (node.properties ?? {}) as Node;
  const missing = (node.required as string[]).filter((n) => !(n in props));
  if (missing.length === 0) return;
  const patterns = Object.keys((node.patternProperties ?? {}) as Node);
  if (patterns.length > 0) return; // which pattern applies is the validator's business; coverage names it
  const additional = (node.additionalProperties ?? true) as Schema;
  node.properties = { ...props, ...Object.fromEntries(missing.map((n) => [n, additional])) };
}

/** True when no instance can match two branches: different types, or different constants. */
function pairwiseDisjoint(branches: readonly Schema[], root: Node): boolean {
  const resolved = branches.map((b) => {
    let node = b;
    for (let i = 0; i < MAX_REF_DEPTH && typeof node === 'object' && '$ref' in node; i++) node = resolve(root, node.$ref) ?? true;
    return node;
  });
  for (let i = 0; i < resolved.length; i++) {
    for (let j = i + 1; j < resolved.length; j++) if (!disjoint(resolved[i]!, resolved[j]!)) return false;
  }
  return true;
}

function disjoint(a: Schema, b: Schema): boolean {
  if (a === false || b === false) return true;
  if (a === true || b === true) return false;
  const ta = types(a.type);
  const tb = types(b.type);
  if (ta.length > 0 && tb.length > 0) {
    const widen = (t: string[]) => (t.includes('number') ? [...t, 'integer'] : t);
    if (!widen(ta).some((t) => widen(tb).includes(t))) return true;
  }
  const va = valuesOf(a);
  const vb = valuesOf(b);
  if (va && vb && !va.some((x) => vb.some((y) => sameJson(x, y)))) return true;
  // Objects told apart by one required property with constants that differ (a discriminator).
  const pa = (a.properties ?? {}) as Node;
  const pb = (b.properties ?? {}) as Node;
  const ra = (a.required ?? []) as string[];
  const rb = (b.required ?? []) as string[];
  for (const name of ra) {
    if (!rb.includes(name)) continue;
    const xa = typeof pa[name] === 'object' ? valuesOf(pa[name] as Node) : undefined;
    const xb = typeof pb[name] === 'object' ? valuesOf(pb[name] as Node) : undefined;
    if (xa && xb && !xa.some((x) => xb.some((y) => sameJson(x, y)))) return true;
  }
  return false;
}

function valuesOf(node: Node): unknown[] | undefined {
  return 'const' in node ? [node.const] : Array.isArray(node.enum) ? (node.enum as unknown[]) : undefined;
}

/** JSON equality (key order ignored), as JSON Schema compares enum values. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => sameJson(x, (b as unknown[])[i]));
  const ka = Object.keys(a as Node);
  const kb = Object.keys(b as Node);
  return ka.length === kb.length && ka.every((k) => k in (b as Node) && sameJson((a as Node)[k], (b as Node)[k]));
}
