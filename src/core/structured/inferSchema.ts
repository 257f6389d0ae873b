/**
 * A schema from a JSON example, for "Generate JSON for Selection…" when the selection is an
 * example rather than a schema. Every key of the example is required and no other key is allowed:
 * the schema describes the example's shape exactly, and the user confirms it before it is used.
 */
import { SchemaError, parseJsonText } from './schema';

type Schema = Record<string, unknown>;
const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

export function inferSchema(example: unknown): Schema {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...schemaOf(example) };
}

/** Reads a selection as a schema or as an example (then infers one). Throws SchemaError if it is not JSON. */
export function schemaFromSelection(text: string): { kind: 'schema' | 'example'; schema: Schema } {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new SchemaError(`The selection is neither a JSON Schema nor a JSON example: ${parsed.issue.message}.`, 'selection');
  const value = parsed.value;
  if (looksLikeSchema(value)) return { kind: 'schema', schema: value as Schema };
  return { kind: 'example', schema: inferSchema(value) };
}

/** `$schema`, or a `type` naming JSON types next to `properties`/`items`/`enum`: a schema, not data. */
export function looksLikeSchema(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Schema;
  if (typeof v.$schema === 'string') return true;
  const types = Array.isArray(v.type) ? v.type : [v.type];
  const typed = types.length > 0 && types.every((t) => typeof t === 'string' && JSON_TYPES.includes(t));
  const structural = ['properties', 'items', 'enum', 'const', 'required', 'anyOf', 'oneOf', '$defs'].some((k) => k in v);
  return typed && (structural || Object.keys(v).length === 1);
}

function schemaOf(value: unknown): Schema {
  if (value === null) return { type: 'null' };
  if (Array.isArray(value)) {
    if (value.length === 0) return { type: 'array' };
    return { type: 'array', items: value.map(schemaOf).reduce(merge) };
  }
  switch (typeof value) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: Number.isInteger(value) ? 'integer' : 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'object': {
      const properties: Record<string, Schema> = {};
      for (const [k, v] of Object.entries(value as Schema)) properties[k] = schemaOf(v);
      return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
    }
    default:
      throw new SchemaError(`A JSON example cannot hold a ${typeof value}.`, 'example');
  }
}

/** The schema of array items seen so far and one more item: objects merge, integer widens to number. */
function merge(a: Schema, b: Schema): Schema {
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  if (a.type === 'object' && b.type === 'object') {
    const pa = a.properties as Record<string, Schema>;
    const pb = b.properties as Record<string, Schema>;
    const properties: Record<string, Schema> = { ...pa };
    for (const [k, s] of Object.entries(pb)) properties[k] = k in pa ? merge(pa[k]!, s) : s;
    const required = (a.required as string[]).filter((k) => (b.required as string[]).includes(k));
    return { type: 'object', properties, required, additionalProperties: false };
  }
  if (a.type === 'array' && b.type === 'array') {
    if (!a.items) return b;
    if (!b.items) return a;
    return { type: 'array', items: merge(a.items as Schema, b.items as Schema) };
  }
  const numeric = new Set([a.type, b.type]);
  if (numeric.size === 2 && numeric.has('integer') && numeric.has('number')) return { type: 'number' };
  const options = [...((a.anyOf as Schema[] | undefined) ?? [a])];
  if (!options.some((o) => JSON.stringify(o) === JSON.stringify(b))) options.push(b);
  return { anyOf: options };
}
