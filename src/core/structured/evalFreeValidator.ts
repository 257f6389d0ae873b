/**
 * A JSON Schema 2020-12 validator that compiles nothing at run time (@cfworker/json-schema), for
 * the webview's model worker: its CSP allows 'wasm-unsafe-eval' but not 'unsafe-eval', and ajv
 * builds every validator with `new Function`. It drives the routes' in-loop checks (re-ask, pick
 * the best valid candidate); the extension host re-validates every final output with ajv.
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import type { SchemaValidatorFactory, ValidationIssue } from './schema';

export const compileEvalFree: SchemaValidatorFactory = (schema) => {
  const validator = new Validator(schema as Schema | boolean, '2020-12', false);
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
