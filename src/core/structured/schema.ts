/**
 * Schemas in and out: parse a schema a user gave (file, selection or inferred), check it against
 * JSON Schema 2020-12's meta-schema with ajv, and validate outputs with error paths. Every failure
 * is a SchemaError whose message names the problem; nothing here lets a bad schema crash a route.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

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
  schema: Record<string, unknown> | boolean;
  /** Validates a parsed value. */
  validate(value: unknown): ValidationResult;
  /** Parses `text` as JSON (strictly, after trimming) and validates it. */
  validateText(text: string): ValidationResult;
}

/** Builds a validator for a schema that is already known to be valid. */
export type SchemaValidatorFactory = (schema: object | boolean) => (value: unknown) => ValidationResult;

export interface CheckSchemaOptions {
  /**
   * Validate with this instead of ajv, skipping the meta-schema check (the caller checked the
   * schema with ajv already). The webview worker passes an eval-free validator here.
   */
  compile?: SchemaValidatorFactory;
}

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';

/** One Ajv per process: compiling a meta-schema is the slow part. */
let ajv: Ajv2020 | undefined;
function sharedAjv(): Ajv2020 {
  if (!ajv) {
    // strict: false, so unknown keywords ("x-…") and unknown formats are annotations, as the spec says.
    ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
    addFormats(ajv);
  }
  return ajv;
}

/** Parses schema text, naming the line and column of a syntax error. */
export function parseSchemaText(text: string, source = 'schema'): Record<string, unknown> | boolean {
  let value: unknown;
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

/** Checks `schema` against the 2020-12 meta-schema and compiles its validator. */
export function checkSchema(schema: unknown, source = 'schema', options: CheckSchemaOptions = {}): CheckedSchema {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new SchemaError(`${source} must be a JSON object (a JSON Schema), not ${describeJson(schema)}.`, source);
  }
  const declared = typeof schema === 'object' ? (schema as Record<string, unknown>).$schema : undefined;
  if (declared !== undefined && declared !== DRAFT_2020 && declared !== `${DRAFT_2020}#`) {
    throw new SchemaError(
      `${source} declares "$schema": ${JSON.stringify(declared)}; Sampling Lab reads JSON Schema 2020-12. ` +
        `Set "$schema" to "${DRAFT_2020}" (or remove it) and check the keywords that changed (e.g. tuple "items": [...] is now "prefixItems").`,
      source,
      '/$schema',
    );
  }
  if (options.compile) return checkedWith(schema as Record<string, unknown> | boolean, options.compile(schema as object | boolean));
  const a = sharedAjv();
  if (!a.validateSchema(schema as object)) {
    const first = a.errors?.[0];
    // One reason per place: the meta-schema's anyOf branches repeat the same mistake three ways.
    const seen = new Set<string>();
    const issues = toIssues(a.errors ?? []).filter((i) => !seen.has(i.path) && seen.add(i.path));
    throw new SchemaError(`${source} is not a valid JSON Schema: ${formatIssues(issues).join('; ')}.`, source, first?.instancePath);
  }
  let validator: ValidateFunction;
  try {
    validator = a.compile(schema as object);
  } catch (e) {
    const message = (e as Error).message;
    if ((e as { missingRef?: string }).missingRef !== undefined) {
      throw new SchemaError(`${source} has a $ref that does not resolve: ${message}. Only references inside the schema (#/$defs/…) are supported.`, source);
    }
    throw new SchemaError(`${source} could not be compiled: ${message}.`, source);
  } finally {
    // The validator keeps its compiled code; dropping the cached schema lets the same $id be used again.
    a.removeSchema(schema as object);
  }
  return checkedWith(schema as Record<string, unknown> | boolean, (value: unknown): ValidationResult =>
    validator(value) ? { valid: true, value, issues: [] } : { valid: false, value, issues: toIssues(validator.errors ?? []) });
}

function checkedWith(schema: Record<string, unknown> | boolean, validate: (value: unknown) => ValidationResult): CheckedSchema {
  return {
    schema,
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
  const message = e instanceof Error ? e.message : String(e);
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
