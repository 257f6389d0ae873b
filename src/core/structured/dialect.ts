/**
 * Which JSON Schema draft a schema is written in, which keywords that draft defines, and the one
 * walk over a schema's subschemas. A schema is validated by its own draft (schema.ts picks the ajv
 * class); the engines read 2020-12 only, so `toDraft2020` rewrites the draft's spellings (draft-04
 * `id` and boolean `exclusiveMaximum`, tuple `items`, `dependencies`) and drops the words that are
 * not keywords of the draft: JSON Schema says to ignore them, and they are listed, never refused.
 */

export type Draft = 'draft-04' | 'draft-06' | 'draft-07' | '2019-09' | '2020-12';
export const DRAFTS: readonly Draft[] = ['draft-04', 'draft-06', 'draft-07', '2019-09', '2020-12'];

/** The meta-schema URIs each draft is declared by (with or without the trailing '#', http or https). */
const META: Record<Draft, string> = {
  'draft-04': 'json-schema.org/draft-04/schema',
  'draft-06': 'json-schema.org/draft-06/schema',
  'draft-07': 'json-schema.org/draft-07/schema',
  '2019-09': 'json-schema.org/draft/2019-09/schema',
  '2020-12': 'json-schema.org/draft/2020-12/schema',
};

export interface DraftChoice {
  draft: Draft;
  /** How the draft was chosen, for the card's notes when the schema does not say. */
  why: string;
}

/** The draft `$schema` names, or undefined when it names none we know. */
export function draftOfUri(uri: string): Draft | undefined {
  const bare = uri.replace(/^https?:\/\//, '').replace(/#$/, '');
  return DRAFTS.find((d) => META[d] === bare);
}

/**
 * The draft of a schema: its `$schema`, or, without one, the draft its spellings belong to
 * (draft-04's `id` or boolean exclusive bounds; draft-07's tuple `items`, `additionalItems` or
 * `dependencies`), else 2020-12. Returns undefined for a `$schema` that names another meta-schema.
 */
export function chooseDraft(schema: unknown): DraftChoice | undefined {
  if (typeof schema !== 'object' || schema === null) return { draft: '2020-12', why: 'a boolean schema' };
  const declared = (schema as Record<string, unknown>).$schema;
  if (typeof declared === 'string') {
    const draft = draftOfUri(declared);
    return draft ? { draft, why: `"$schema" says ${draft}` } : undefined;
  }
  let draft4 = false;
  let draft7 = false;
  forEachSubschema(schema, (node) => {
    if (typeof node.id === 'string' && node.$id === undefined) draft4 = true;
    if (typeof node.exclusiveMinimum === 'boolean' || typeof node.exclusiveMaximum === 'boolean') draft4 = true;
    if (Array.isArray(node.items) || 'additionalItems' in node || 'dependencies' in node) draft7 = true;
  });
  if (draft4) return { draft: 'draft-04', why: 'no "$schema": read as draft-04 (it uses `id` or boolean exclusive bounds)' };
  if (draft7) return { draft: 'draft-07', why: 'no "$schema": read as draft-07 (it uses tuple `items`, `additionalItems` or `dependencies`)' };
  return { draft: '2020-12', why: 'no "$schema": read as 2020-12' };
}

/** Subschema-holding keywords, by how their value holds schemas (every draft's spelling). */
const SCHEMA_MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SCHEMA_LIST = new Set(['prefixItems', 'anyOf', 'oneOf', 'allOf']);
const SCHEMA_ONE = new Set([
  'additionalProperties', 'additionalItems', 'contains', 'not', 'if', 'then', 'else', 'propertyNames',
  'unevaluatedProperties', 'unevaluatedItems',
]);

/**
 * Calls `visit` on every object subschema reachable through keywords (not through `$ref`), with
 * its JSON pointer. `items` may be one schema or a tuple; `dependencies` values may be schemas.
 */
export function forEachSubschema(schema: unknown, visit: (node: Record<string, unknown>, pointer: string) => void, at = '', seen = new Set<object>()): void {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
  const node = schema as Record<string, unknown>;
  // Each node once: a rewrite may share one subschema between places.
  if (seen.has(node)) return;
  seen.add(node);
  visit(node, at);
  for (const [key, value] of Object.entries(node)) {
    const here = `${at}/${escapePointer(key)}`;
    if (SCHEMA_MAP.has(key) || key === 'dependencies') {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [name, sub] of Object.entries(value)) forEachSubschema(sub, visit, `${here}/${escapePointer(name)}`, seen);
      }
    } else if (SCHEMA_LIST.has(key) || (key === 'items' && Array.isArray(value))) {
      if (Array.isArray(value)) value.forEach((sub, i) => forEachSubschema(sub, visit, `${here}/${i}`, seen));
    } else if (SCHEMA_ONE.has(key) || key === 'items') {
      forEachSubschema(value, visit, here, seen);
    }
  }
}

const CORE = ['$ref', 'type', 'enum', 'properties', 'patternProperties', 'additionalProperties', 'required', 'items',
  'additionalItems', 'minItems', 'maxItems', 'uniqueItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minProperties', 'maxProperties', 'allOf', 'anyOf', 'oneOf', 'not',
  'format', 'definitions', 'title', 'description', 'default'];
const SINCE_06 = ['$id', 'const', 'contains', 'propertyNames', 'examples', 'dependencies'];
const SINCE_07 = ['if', 'then', 'else', '$comment', 'readOnly', 'writeOnly', 'contentMediaType', 'contentEncoding'];
const SINCE_2019 = ['$defs', '$anchor', '$recursiveRef', '$recursiveAnchor', '$vocabulary', 'dependentRequired', 'dependentSchemas',
  'minContains', 'maxContains', 'unevaluatedProperties', 'unevaluatedItems', 'deprecated', 'contentSchema'];

/** The keywords each draft defines; everything else in a schema is an unknown word, ignored. */
const KEYWORDS: Record<Draft, ReadonlySet<string>> = {
  'draft-04': new Set([...CORE, 'id', '$schema', 'dependencies']),
  'draft-06': new Set([...CORE, ...SINCE_06, '$schema']),
  'draft-07': new Set([...CORE, ...SINCE_06, ...SINCE_07, '$schema']),
  '2019-09': new Set([...CORE, ...SINCE_06, ...SINCE_07, ...SINCE_2019, '$schema']),
  '2020-12': new Set([...CORE, ...SINCE_06.filter((k) => k !== 'dependencies'), ...SINCE_07, ...SINCE_2019.filter((k) => !k.startsWith('$recursive')),
    '$schema', 'prefixItems', '$dynamicRef', '$dynamicAnchor']),
};

export interface Draft2020 {
  /** The same schema in 2020-12's spelling, unknown words removed. */
  schema: Record<string, unknown> | boolean;
  /** The words that are not keywords of the draft, with where they are (ignored, as the spec says). */
  ignored: Array<{ keyword: string; path: string }>;
}

/** Rewrites a schema of `draft` into 2020-12's spelling (a copy), dropping unknown words. */
export function toDraft2020(schema: Record<string, unknown> | boolean, draft: Draft): Draft2020 {
  const ignored: Draft2020['ignored'] = [];
  const keywords = KEYWORDS[draft];
  // A `$ref` may point anywhere in the document, also under a word that is not a keyword (a
  // draft-07 schema's `$defs`, `definitions/actions/single_commit`). Such targets move to `$defs`
  // under new names, so every walk over subschemas sees them, and their `$ref`s follow.
  const targets = localRefTargets(schema);
  const moved = new Map<string, string>();
  const movedDefs: Record<string, unknown> = {};
  const relocate = (value: unknown, at: string): void => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    if (targets.has(at) && !moved.has(at)) {
      const name = `ref${moved.size}_${at.split('/').pop()}`;
      moved.set(at, `#/$defs/${escapePointer(name)}`);
      movedDefs[name] = rewrite(value, at);
    }
    for (const [key, sub] of Object.entries(value)) {
      const here = `${at}/${escapePointer(key)}`;
      if ([...targets].some((t) => t === here || t.startsWith(`${here}/`))) relocate(sub, here);
    }
  };
  const rewrite = (value: unknown, at: string): unknown => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const node = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(node)) {
      const here = `${at}/${escapePointer(key)}`;
      if (!keywords.has(key)) {
        if ([...targets].some((t) => t === here || t.startsWith(`${here}/`))) relocate(sub, here);
        else if (!key.startsWith('x-')) ignored.push({ keyword: key, path: at });
        continue;
      }
      if (key === 'id' || key === '$schema' || key === '$id') continue;
      if (SCHEMA_MAP.has(key)) out[key] = mapValues(sub, (s, name) => rewrite(s, `${here}/${escapePointer(name)}`));
      else if (SCHEMA_LIST.has(key)) out[key] = Array.isArray(sub) ? sub.map((s, i) => rewrite(s, `${here}/${i}`)) : sub;
      else if (key === 'items' && Array.isArray(sub)) {
        out.prefixItems = sub.map((s, i) => rewrite(s, `${here}/${i}`));
        // Draft ≤ 2019-09: `additionalItems` applies after a tuple only.
        if ('additionalItems' in node) out.items = rewrite(node.additionalItems, `${at}/additionalItems`);
      } else if (key === 'additionalItems') continue;
      else if (key === 'dependencies') {
        for (const [name, dep] of Object.entries((sub ?? {}) as Record<string, unknown>)) {
          const target = Array.isArray(dep) ? 'dependentRequired' : 'dependentSchemas';
          const into = ((out[target] as Record<string, unknown> | undefined) ??= {});
          into[name] = Array.isArray(dep) ? dep : rewrite(dep, `${here}/${escapePointer(name)}`);
        }
      } else if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof sub === 'boolean') {
        // Draft-04: a boolean that makes minimum/maximum exclusive.
        const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
        if (sub && typeof node[bound] === 'number') out[key] = node[bound];
      } else if (SCHEMA_ONE.has(key) || key === 'items') out[key] = rewrite(sub, here);
      else out[key] = sub;
    }
    // A draft-04 bound made exclusive is not also inclusive.
    if (typeof out.exclusiveMinimum === 'number' && node.exclusiveMinimum === true) delete out.minimum;
    if (typeof out.exclusiveMaximum === 'number' && node.exclusiveMaximum === true) delete out.maximum;
    return out;
  };
  const rewritten = typeof schema === 'boolean' ? schema : (rewrite(schema, '') as Record<string, unknown>);
  if (moved.size > 0 && typeof rewritten === 'object') {
    rewritten.$defs = { ...((rewritten.$defs as Record<string, unknown> | undefined) ?? {}), ...movedDefs };
    const follow = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      const node = value as Record<string, unknown>;
      if (typeof node.$ref === 'string') {
        const to = moved.get(refPointer(node.$ref) ?? '');
        if (to !== undefined) node.$ref = to;
      }
      for (const sub of Object.values(node)) follow(sub);
    };
    follow(rewritten);
  }
  return { schema: rewritten, ignored };
}

/** The JSON pointers (escaped as in the document) the local `$ref`s of a schema point to. */
function localRefTargets(schema: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || depth > 512) return;
    const ref = (value as Record<string, unknown>).$ref;
    if (typeof ref === 'string') {
      const pointer = refPointer(ref);
      if (pointer) out.add(pointer);
    }
    for (const sub of Object.values(value)) visit(sub, depth + 1);
  };
  visit(schema, 0);
  return out;
}

/** "#/definitions/a%20b" -> "/definitions/a b"; undefined for a `$ref` to another document or to the root. */
function refPointer(ref: string): string | undefined {
  if (!ref.startsWith('#/')) return undefined;
  try {
    return decodeURIComponent(ref.slice(1));
  } catch {
    return ref.slice(1);
  }
}

/** A copy without `keyword` wherever it stands as a keyword (a property named so stays). */
export function withoutKeyword(schema: Record<string, unknown> | boolean, keyword: string): Record<string, unknown> | boolean {
  let found = false;
  forEachSubschema(schema, (node) => (found ||= keyword in node));
  if (!found) return schema;
  const copy = cloneJson(schema) as Record<string, unknown>;
  forEachSubschema(copy, (node) => delete node[keyword]);
  return copy;
}

/** A deep copy of JSON data (a schema: no cycles, no functions). */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function mapValues(value: unknown, f: (v: unknown, key: string) => unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, f(v, k)]));
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
