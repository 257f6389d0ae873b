/**
 * A JSON Schema validator (every draft we read) that compiles nothing at run time (@cfworker/json-schema), for
 * the webview's model worker: its CSP allows 'wasm-unsafe-eval' but not 'unsafe-eval', and ajv
 * builds every validator with `new Function`. It drives the routes' in-loop checks (re-ask, pick
 * the best valid candidate); the extension host re-validates every final output with ajv.
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import type { Draft } from './dialect';
import type { SchemaValidatorFactory, ValidationIssue } from './schema';

/** The library's names for the drafts; draft-06 is read as draft-07, which only adds keywords. */
const CFWORKER_DRAFT: Record<Draft, '4' | '7' | '2019-09' | '2020-12'> = {
  'draft-04': '4',
  'draft-06': '7',
  'draft-07': '7',
  '2019-09': '2019-09',
  '2020-12': '2020-12',
};

export const compileEvalFree: SchemaValidatorFactory = (schema, draft) => {
  const validator = new Validator(schema as Schema | boolean, CFWORKER_DRAFT[draft], false);
  return (value) => {
    const result = validator.validate(value);
    if (result.valid) return { valid: true, value, issues: [] };
    // The library reports each failing subschema and the keyword that summarises it; the leaf
    // errors carry the useful messages, so summaries ("Property … does not match schema") go.
    const leaves = result.errors.filter((e) => !['properties', 'items', 'prefixItems', '$ref', 'allOf'].includes(e.keyword));
    const issues: ValidationIssue[] = (leaves.length > 0 ? leaves : result.errors).map((e) => ({
      path: e.instanceLocation.replace(/^#/, ''),
      message: e.error,
    }));
    return { valid: false, value, issues };
  };
};
