import * as assert from 'node:assert/strict';
import { checkSchema, formatIssues, parseSchemaText, SchemaError } from '../../../src/core/structured/schema';

describe('schemas', () => {
  it('name an unknown type, with where it is', () => {
    assert.throws(
      () => checkSchema({ type: 'object', properties: { born: { type: 'integr' } } }, 'person.schema.json'),
      (e: SchemaError) => e instanceof SchemaError && /person\.schema\.json is not a valid JSON Schema: \/properties\/born\/type must be equal to one of the allowed values/.test(e.message),
    );
  });

  it('name a $ref that does not resolve', () => {
    assert.throws(() => checkSchema({ properties: { a: { $ref: '#/$defs/missing' } } }), /\$ref that does not resolve/);
  });

  it('say which draft they read when a schema declares another', () => {
    assert.throws(() => checkSchema({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }), /reads JSON Schema 2020-12/);
  });

  it('refuse text that is not JSON, naming the line and column', () => {
    assert.throws(() => parseSchemaText('{\n  "type": "object",\n}', 's.json'), /s\.json is not valid JSON: .*line 3, column 1/);
  });

  it('refuse JSON that is not an object', () => {
    assert.throws(() => parseSchemaText('[1, 2]', 's.json'), /must be a JSON object \(a JSON Schema\), not an array/);
    assert.throws(() => checkSchema('string'), SchemaError);
  });

  it('treat unknown keywords and formats as annotations', () => {
    const checked = checkSchema({ type: 'string', format: 'zipcode', 'x-ui': 'wide' });
    assert.equal(checked.validate('anything').valid, true);
  });

  it('validate with ajv error paths, including formats', () => {
    const checked = checkSchema({
      type: 'object',
      properties: { born: { type: 'integer', maximum: 1999 }, when: { type: 'string', format: 'date' }, kind: { enum: ['a', 'b'] } },
      additionalProperties: false,
    });
    const r = checked.validate({ born: 2001, when: 'soon', kind: 'c', extra: 1 });
    assert.equal(r.valid, false);
    assert.deepEqual(formatIssues(r.issues).sort(), [
      '(root) must NOT have additional properties ("extra")',
      '/born must be <= 1999',
      '/kind must be equal to one of the allowed values: "a", "b"',
      '/when must match format "date"',
    ]);
  });

  it('report output that is not JSON as one issue at the root', () => {
    const r = checkSchema({ type: 'object' }).validateText('{"a": 1,}');
    assert.equal(r.valid, false);
    assert.equal(r.issues[0]!.path, '');
    assert.match(r.issues[0]!.message, /^not JSON/);
  });

  it('allow the same $id to be checked twice', () => {
    const schema = { $id: 'https://example.com/p', type: 'integer' };
    checkSchema(schema);
    assert.equal(checkSchema(schema).validate(3).valid, true);
  });
});
