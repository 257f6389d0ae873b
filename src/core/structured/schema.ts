/**
 * Schemas in and out: parse a schema a user gave (file, selection or inferred), check it against
 * its own draft's meta-schema with that draft's ajv class (draft-04, -06, -07, 2019-09, 2020-12),
 * and validate outputs with error paths. Every failure is a SchemaError whose message names the
 * problem; nothing here lets a bad schema crash a route.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type AjvCore from 'ajv/dist/core';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import draft06MetaSchema from 'ajv/dist/refs/json-schema-draft-06.json';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { chooseDraft, DRAFTS, toDraft2020, withoutKeyword, type Draft } from './dialect';

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    message: string,
    /** Where the schema came from, e.g. a file name or "selection". */
    readonly source?: string,
    /** JSON pointer into the schema, when one place is at fault. */
    readonly schemaPath?: string,
  ) {
    super(message);
  }
}

/** One reason an output is invalid: where in the output, and what is wrong. */
export interface ValidationIssue {
  /** JSON pointer into the output ("" is the whole document), as ajv's instancePath. */
  path: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  /** The parsed value, when the text was JSON. */
  value?: unknown;
  issues: ValidationIssue[];
}

export interface CheckedSchema {
  /** The schema as given: ajv validates against it, by its own draft. */
  schema: Record<string, unknown> | boolean;
  draft: Draft;
  /** The same schema in 2020-12's spelling without unknown words: what the engines compile. */
  engineSchema: Record<string, unknown> | boolean;
  /** What a reader should know: how the draft was chosen, the unknown words ignored. */
  notes: string[];
  /** Validates a parsed value. */
  validate(value: unknown): ValidationResult;
  /** Parses `text` as JSON (strictly, after trimming) and validates it. */
  validateText(text: string): ValidationResult;
}

/** Builds a validator for a schema that is already known to be valid. */
export type SchemaValidatorFactory = (schema: object | boolean, draft: Draft) => (value: unknown) => ValidationResult;

export interface CheckSchemaOptions {
  /**
   * Validate with this instead of ajv, skipping the meta-schema check (the caller checked the
   * schema with ajv already). The webview worker passes an eval-free validator here.
   */
  compile?: SchemaValidatorFactory;
}

/** One Ajv per draft and process: compiling a meta-schema is the slow part. */
const ajvByDraft = new Map<Draft, AjvCore>();
function ajvFor(draft: Draft): AjvCore {
  let ajv = ajvByDraft.get(draft);
  if (!ajv) {
    // strict: false, so unknown keywords ("x-…") and unknown formats are annotations, as the spec says.
    const options = { allErrors: true, strict: false, logger: false as const, code: { regExp: patternRegExp } };
    if (draft === 'draft-04') ajv = new AjvDraft04(options);
    else if (draft === 'draft-06') {
      ajv = new Ajv(options);
      ajv.addMetaSchema(draft06MetaSchema);
    } else if (draft === 'draft-07') ajv = new Ajv(options);
    else if (draft === '2019-09') ajv = new Ajv2019(options);
    else ajv = new Ajv2020(options);
    addFormats(ajv as Ajv);
    ajvByDraft.set(draft, ajv);
  }
  return ajv;
}

/**
 * A `pattern` as ECMA-262 reads it with the `u` flag where it can, else without: schemas written
 * for Python or Java validators escape characters (`\\-`, `\\.` inside a class) that only the
 * `u` flag refuses.
 */
function patternRegExp(pattern: string, flags: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (e) {
    if (!flags.includes('u')) throw e;
    return new RegExp(pattern, flags.replace('u', ''));
  }
}
patternRegExp.code = 'new RegExp';

/** Parses schema text, naming the line and column of a syntax error (never the text itself: it may be any file). */
export function parseSchemaText(text: string, source = 'schema'): Record<string, unknown> | boolean {
  let value: unknown;
  // A byte order mark (Windows editors write one) is not JSON, but it is not a mistake either.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SchemaError(`${source} is not valid JSON: ${jsonErrorWhere(text, e)}`, source);
  }
  if (typeof value !== 'boolean' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new SchemaError(`${source} must be a JSON object (a JSON Schema), not ${describeJson(value)}.`, source);
  }
  return value as Record<string, unknown> | boolean;
}

/** Checks `schema` against its draft's meta-schema and compiles its validator. */
export function checkSchema(schema: unknown, source = 'schema', options: CheckSchemaOptions = {}): CheckedSchema {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new SchemaError(`${source} must be a JSON object (a JSON Schema), not ${describeJson(schema)}.`, source);
  }
  const depth = nestingDepth(schema, MAX_SCHEMA_DEPTH);
  if (depth > MAX_SCHEMA_DEPTH) {
    throw new SchemaError(
      `${source} nests more than ${MAX_SCHEMA_DEPTH} levels deep; the limit keeps a hostile schema from exhausting the stack (real-world schemas stay under 40). Move repeated parts to "$defs" and refer to them with "$ref".`,
      source,
    );
  }
  const given = schema as Record<string, unknown> | boolean;
  const choice = chooseDraft(given);
  if (!choice) {
    throw new SchemaError(
      `${source} declares "$schema": ${JSON.stringify((given as Record<string, unknown>).$schema)}, a meta-schema Sampling Lab does not know. ` +
        `It reads ${DRAFTS.join(', ')}: set "$schema" to one of them (e.g. "https://json-schema.org/draft/2020-12/schema") or remove it.`,
      source,
      '/$schema',
    );
  }
  const { draft } = choice;
  const engine = toDraft2020(given, draft);
  const notes: string[] = [];
  if (typeof given === 'object' && given.$schema === undefined && Object.keys(given).length > 0) notes.push(choice.why);
  if (engine.ignored.length > 0) {
    const words = [...new Set(engine.ignored.map((i) => `\`${i.keyword}\``))];
    notes.push(`not keywords of ${draft}, ignored as the spec says: ${words.slice(0, 8).join(', ')}${words.length > 8 ? ` and ${words.length - 8} more` : ''}`);
  }
  const checked = (validate: (value: unknown) => ValidationResult) => checkedWith(given, draft, engine.schema, notes, guardRecursion(validate), source);
  if (options.compile) return checked(options.compile(given as object | boolean, draft));
  const a = ajvFor(draft);
  // Only draft-04 has `id`; ajv's later classes throw on it, though the spec says to ignore it.
  const forAjv = draft === 'draft-04' ? given : withoutKeyword(given, 'id');
  let metaValid: boolean;
  try {
    metaValid = a.validateSchema(forAjv as object) as boolean;
  } catch (e) {
    if (e instanceof RangeError) throw new SchemaError(`${source} could not be checked: ${e.message}.`, source);
    throw e;
  }
  if (!metaValid) {
    const first = a.errors?.[0];
    // One reason per place: the meta-schema's anyOf branches repeat the same mistake three ways.
    const seen = new Set<string>();
    const issues = toIssues(a.errors ?? []).filter((i) => !seen.has(i.path) && seen.add(i.path));
    throw new SchemaError(`${source} is not a valid JSON Schema: ${formatIssues(issues).join('; ')} (checked against the ${draft} meta-schema).`, source, first?.instancePath);
  }
  let validator: ValidateFunction;
  try {
    validator = a.compile(forAjv as object);
  } catch (e) {
    const message = (e as Error).message;
    if (e instanceof RangeError) throw new SchemaError(`${source} could not be compiled: ${message} (too deep or self-referencing).`, source);
    const missing = (e as { missingRef?: string }).missingRef;
    if (missing !== undefined) {
      const remote = !missing.startsWith('#');
      throw new SchemaError(
        remote
          ? `${source} has a $ref to another document (${missing}): Sampling Lab never fetches schemas. Copy that schema into this one under "$defs" and point the $ref at "#/$defs/…".`
          : `${source} has a $ref that does not resolve: ${message}. Only references inside the schema (#/$defs/…) are supported.`,
        source,
      );
    }
    throw new SchemaError(`${source} could not be compiled: ${message}.`, source);
  } finally {
    // The validator keeps its compiled code; dropping the cached schema lets the same $id be used again.
    a.removeSchema(forAjv as object);
  }
  return checked((value: unknown): ValidationResult =>
    validator(value) ? { valid: true, value, issues: [] } : { valid: false, value, issues: toIssues(validator.errors ?? []) });
}

/** Beyond this many levels of nesting a schema is refused before any recursive code sees it. */
export const MAX_SCHEMA_DEPTH = 256;

/** Levels of nesting of a JSON value, counted without recursion and without going past `limit` + 1. */
export function nestingDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > limit) return max;
    if (typeof v === 'object' && v !== null) for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * A validator whose recursion has no end (`{"$ref": "#"}` refers to itself without reading any
 * of the value) overflows the stack on every value: that is reported as an issue, never thrown.
 */
function guardRecursion(validate: (value: unknown) => ValidationResult): (value: unknown) => ValidationResult {
  return (value) => {
    try {
      return validate(value);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      return { valid: false, value, issues: [{ path: '', message: `the schema could not be applied (${e.message}): a "$ref" that refers to itself never ends` }] };
    }
  };
}

/** Values every usable schema gets through without endless recursion; a loop shows on one of them. */
const PROBES: unknown[] = [null, {}, [], '', 0, true, { a: [1, 'x', null] }];

function checkedWith(
  schema: Record<string, unknown> | boolean,
  draft: Draft,
  engineSchema: Record<string, unknown> | boolean,
  notes: string[],
  validate: (value: unknown) => ValidationResult,
  source: string,
): CheckedSchema {
  for (const probe of PROBES) {
    const r = validate(probe);
    if (!r.valid && r.issues.some((i) => i.message.startsWith('the schema could not be applied'))) {
      throw new SchemaError(
        `${source} refers to itself without end: applying it overflows the stack (e.g. "$ref": "#" at the top, or a "$ref" cycle through "$defs" that reads none of the value). Give each "$ref" a property or item to descend into.`,
        source,
      );
    }
  }
  return {
    schema,
    draft,
    engineSchema,
    notes,
    validate,
    validateText(text) {
      const parsed = parseJsonText(text);
      return parsed.ok ? validate(parsed.value) : { valid: false, issues: [parsed.issue] };
    },
  };
}

/** Strict JSON parse of the trimmed text; a failure is an issue at the document's root. */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; issue: ValidationIssue } {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, issue: { path: '', message: 'the output is empty' } };
  try {
    return { ok: true, value: JSON.parse(trimmed) };
  } catch (e) {
    return { ok: false, issue: { path: '', message: `not JSON: ${jsonErrorWhere(trimmed, e)}` } };
  }
}

function toIssues(errors: readonly ErrorObject[]): ValidationIssue[] {
  return errors.map((e) => {
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties') message += ` (${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)})`;
    if (e.keyword === 'enum') message += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    return { path: e.instancePath, message };
  });
}

/** "/born must be <= 1999", with "(root)" for the whole document. */
export function formatIssues(issues: readonly ValidationIssue[]): string[] {
  return issues.map((i) => `${i.path === '' ? '(root)' : i.path} ${i.message}`);
}

function jsonErrorWhere(text: string, e: unknown): string {
  // V8 quotes the start of the text ("Unexpected token 'r', \"root:x:0:0\"... is not valid JSON"): leave the text out.
  const message = (e instanceof Error ? e.message : String(e)).replace(/^Unexpected token .*? is not valid JSON$/s, 'Unexpected character: this is not JSON');
  const at = /position (\d+)/.exec(message);
  if (!at) return message;
  const offset = Number(at[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
