import * as assert from 'node:assert/strict';
import { checkSchema, formatIssues, parseSchemaText, SchemaError } from '../../../src/core/structured/schema';

describe('schemas', () => {
  it('name an unknown type, with where it is', () => {
    assert.throws(
      () => checkSchema({ type: 'object', properties: { born: { type: 'integr' } } }, 'person.schema.json'),
      (e: SchemaError) => e instanceof SchemaError && /person\.schema\.json is not a valid JSON Schema: \/properties\/born\/type must be equal to one of the allowed values.*\(checked against the 2020-12 meta-schema\)/.test(e.message),
    );
  });

  it('name a $ref that does not resolve', () => {
    assert.throws(() => checkSchema({ properties: { a: { $ref: '#/$defs/missing' } } }), /\$ref that does not resolve/);
  });

  it('name the drafts they read when a schema declares an unknown meta-schema', () => {
    assert.throws(() => checkSchema({ $schema: 'http://example.com/my-meta#', type: 'object' }), /does not know\. It reads draft-04, draft-06, draft-07, 2019-09, 2020-12/);
  });

  it('validate each draft by its own rules', () => {
    // Draft-04: `id`, `definitions`, and a boolean exclusiveMaximum that makes `maximum` exclusive.
    const d4 = checkSchema({
      $schema: 'http://json-schema.org/draft-04/schema#',
      id: 'http://example.com/d4',
      definitions: { n: { type: 'integer', maximum: 10, exclusiveMaximum: true } },
      type: 'object',
      properties: { n: { $ref: '#/definitions/n' } },
    });
    assert.equal(d4.draft, 'draft-04');
    assert.equal(d4.validate({ n: 9 }).valid, true);
    assert.equal(d4.validate({ n: 10 }).valid, false);
    assert.deepEqual(d4.engineSchema, { definitions: { n: { type: 'integer', exclusiveMaximum: 10 } }, type: 'object', properties: { n: { $ref: '#/definitions/n' } } });
    // Draft-07: tuple items with additionalItems become prefixItems and items.
    const d7 = checkSchema({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'string' }], additionalItems: { type: 'integer' } });
    assert.equal(d7.validate(['a', 1]).valid, true);
    assert.equal(d7.validate(['a', 'b']).valid, false);
    assert.deepEqual(d7.engineSchema, { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'integer' } });
    // Draft-06 and 2019-09 by their own classes; `dependencies` becomes dependentRequired / dependentSchemas.
    const d6 = checkSchema({ $schema: 'http://json-schema.org/draft-06/schema#', dependencies: { a: ['b'], c: { required: ['d'] } } });
    assert.equal(d6.validate({ a: 1 }).valid, false);
    assert.deepEqual(d6.engineSchema, { dependentRequired: { a: ['b'] }, dependentSchemas: { c: { required: ['d'] } } });
    const d19 = checkSchema({ $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object', dependentRequired: { a: ['b'] } });
    assert.equal(d19.draft, '2019-09');
    assert.equal(d19.validate({ a: 1 }).valid, false);
  });

  it('read a schema without $schema by its spellings, and say so', () => {
    const checked = checkSchema({ id: 'thing', type: 'object', properties: { id: { type: 'string' } } });
    assert.equal(checked.draft, 'draft-04');
    assert.match(checked.notes.join('\n'), /no "\$schema": read as draft-04/);
    assert.equal(checkSchema({ type: 'array', items: [{ type: 'string' }] }).draft, 'draft-07');
    assert.equal(checkSchema({ type: 'string' }).draft, '2020-12');
  });

  it('ignore words that are not keywords of the draft, and list them', () => {
    // JsonSchemaBench's Snowplow schemas carry `self`; others `javaType` or a typo `decription`.
    const checked = checkSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      self: { vendor: 'com.acme', name: 'e' },
      type: 'object',
      properties: { a: { type: 'string', decription: 'typo', javaType: 'String' }, self: { type: 'integer' } },
    });
    assert.equal(checked.validate({ a: 'x', self: 1 }).valid, true);
    assert.deepEqual(checked.engineSchema, { type: 'object', properties: { a: { type: 'string' }, self: { type: 'integer' } } });
    assert.match(checked.notes.join('\n'), /not keywords of draft-07, ignored as the spec says: `self`, `decription`, `javaType`/);
    // `id` is only draft-04's: in draft-07 it is an unknown word, not an error.
    assert.equal(checkSchema({ $schema: 'http://json-schema.org/draft-07/schema#', id: 'x', type: 'integer' }).validate(1).valid, true);
  });

  it('refuse a $ref to another document, saying it is never fetched', () => {
    assert.throws(() => checkSchema({ type: 'object', properties: { a: { $ref: 'https://example.com/defs.json#/a' } } }), /\$ref to another document \(https:\/\/example\.com\/defs\.json#\/a\): Sampling Lab never fetches schemas/);
  });

  it('read patterns written for other validators (escapes the u flag refuses)', () => {
    const checked = checkSchema({ type: 'string', pattern: '^[\\.\\-]+$' });
    assert.equal(checked.validate('.-').valid, true);
    assert.equal(checked.validate('a').valid, false);
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
