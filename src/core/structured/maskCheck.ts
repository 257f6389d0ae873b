/**
 * MaskBench's check, run on our glue: each labelled instance of a schema is written the way
 * constrained decoding writes JSON (one line, properties in the schema's order) and walked
 * through a fresh sequence mask, token by token. A valid instance the mask refuses is a
 * *validation error* (over-constraint); an invalid one it lets finish is an *invalidation error*
 * (under-constraint: the mask would let the model emit it). The bench reports both over the
 * JSONSchemaBench sample; the unit test fails on any invalidation error.
 */
import type { ConstraintEngines, SchemaConstraint } from './constraint';
import { UnsupportedSchemaError } from './constraint';
import type { TokenMatcher } from './engines/types';
import { oneLineJson, walkText } from './engines/walk';
import { resolve } from './rewrite';
import { checkSchema, SchemaError } from './schema';

export interface LabelledInstance {
  data: unknown;
  valid: boolean;
}

export interface MaskCheckResult {
  /** 'schema' when checkSchema refused it, 'compile' when the glue refused it (by name). */
  refused?: 'schema' | 'compile';
  message?: string;
  engine?: string;
  compileMs?: number;
  validationErrors: number;
  invalidationErrors: number;
  /**
   * Invalid instances the mask let finish whose only fault is a format the card lists as
   * checked after decoding (SchemaConstraint.afterDecoding): ajv catches them, the route says so.
   */
  afterDecoding: number;
  /** The instances that went wrong, written as walked, for the report. */
  wrong: Array<{ valid: boolean; text: string }>;
  instances: number;
  maskMs: number[];
}

/** Walks every instance of one schema through the glue's mask. */
export async function maskCheck(engines: ConstraintEngines, schema: unknown, tests: readonly LabelledInstance[], bytes: readonly Uint8Array[], now = () => performance.now()): Promise<MaskCheckResult> {
  const result: MaskCheckResult = { validationErrors: 0, invalidationErrors: 0, afterDecoding: 0, wrong: [], instances: tests.length, maskMs: [] };
  let checked;
  try {
    checked = checkSchema(schema);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    return { ...result, refused: 'schema', message: e.message };
  }
  let constraint: SchemaConstraint;
  const t0 = now();
  try {
    constraint = await engines.compile(checked);
  } catch (e) {
    if (!(e instanceof UnsupportedSchemaError)) throw e;
    return { ...result, refused: 'compile', message: e.message };
  }
  result.compileMs = now() - t0;
  result.engine = constraint.engine;
  const engineSchema = checked.engineSchema;
  const unchecked = new Set(constraint.afterDecoding.map((u) => /^format "(.*)"$/.exec(u.keyword)?.[1]));
  const withoutUnchecked = unchecked.size > 0 ? checkSchema(withoutFormats(schema, unchecked)) : undefined;
  for (const test of tests) {
    const text = oneLineJson(inSchemaOrder(test.data, engineSchema, engineSchema));
    const sequence = await constraint.createSequenceConstraint();
    const matcher: TokenMatcher = {
      mask: async (row) => sequence.mask(row),
      accept: (t) => (sequence.accept(t), true),
      isTerminated: () => sequence.isComplete(),
      dispose: () => sequence.dispose(),
    };
    let accepted: boolean;
    try {
      const walk = await walkText(matcher, engines.vocab, bytes, text, now);
      accepted = walk.accepted && sequence.deadEndAtStep === undefined;
      result.maskMs.push(...walk.maskMs);
    } finally {
      matcher.dispose();
    }
    if (test.valid && !accepted) result.validationErrors++;
    if (!test.valid && accepted && withoutUnchecked?.validate(test.data).valid) {
      result.afterDecoding++;
      continue;
    }
    if (!test.valid && accepted) result.invalidationErrors++;
    if (test.valid !== accepted) result.wrong.push({ valid: test.valid, text });
  }
  constraint.dispose();
  return result;
}

/** A copy of `schema` without the `format` keywords naming one of `formats`. */
function withoutFormats(schema: unknown, formats: ReadonlySet<string | undefined>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withoutFormats(s, formats));
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).filter(([k, v]) => !(k === 'format' && typeof v === 'string' && formats.has(v))).map(([k, v]) => [k, withoutFormats(v, formats)]),
  );
}

/**
 * A copy of `value` whose objects list the properties their schema declares first, in the
 * schema's order (through `$ref`, `allOf`, `anyOf`, `oneOf`), then the rest as they were: JSON
 * Schema ignores order, the engines' grammars write declared properties in order.
 */
export function inSchemaOrder(value: unknown, schema: unknown, root: unknown, depth = 0): unknown {
  if (depth > 64 || typeof schema !== 'object' || schema === null) return value;
  const nodes = candidates(schema as Record<string, unknown>, root as Record<string, unknown>, 0);
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      const sub = nodes.map((n) => (Array.isArray(n.prefixItems) && i < n.prefixItems.length ? n.prefixItems[i] : n.items)).find((s) => typeof s === 'object');
      return inSchemaOrder(item, sub, root, depth + 1);
    });
  }
  if (typeof value !== 'object' || value === null) return value;
  const order: string[] = [];
  const subschema = new Map<string, unknown>();
  for (const n of nodes) {
    for (const [name, sub] of Object.entries((n.properties ?? {}) as Record<string, unknown>)) {
      if (!subschema.has(name)) {
        order.push(name);
        subschema.set(name, sub);
      }
    }
  }
  const record = value as Record<string, unknown>;
  const keys = [...order.filter((k) => k in record), ...Object.keys(record).filter((k) => !subschema.has(k))];
  const additional = nodes.map((n) => n.additionalProperties).find((s) => typeof s === 'object');
  return Object.fromEntries(keys.map((k) => [k, inSchemaOrder(record[k], subschema.get(k) ?? additional, root, depth + 1)]));
}

function candidates(node: Record<string, unknown>, root: Record<string, unknown>, depth: number): Array<Record<string, unknown>> {
  if (depth > 16) return [node];
  const out = [node];
  const target = typeof node.$ref === 'string' ? resolve(root, node.$ref) : undefined;
  if (typeof target === 'object') out.push(...candidates(target, root, depth + 1));
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const branches = node[key];
    if (Array.isArray(branches)) for (const b of branches) if (typeof b === 'object' && b !== null) out.push(...candidates(b as Record<string, unknown>, root, depth + 1));
  }
  return out;
}
