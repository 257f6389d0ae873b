import * as assert from 'node:assert/strict';
import { inferSchema, looksLikeSchema, schemaFromSelection } from '../../../src/core/structured/inferSchema';
import { checkSchema } from '../../../src/core/structured/schema';

describe('schema inference from a JSON example', () => {
  it('requires every key of the example and allows no other', () => {
    const schema = inferSchema({ name: 'Ada', born: 1953, score: 0.5, active: true, note: null });
    assert.deepEqual(schema, {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { name: { type: 'string' }, born: { type: 'integer' }, score: { type: 'number' }, active: { type: 'boolean' }, note: { type: 'null' } },
      required: ['name', 'born', 'score', 'active', 'note'],
      additionalProperties: false,
    });
  });

  it('merges array items: keys in every item stay required, integer widens to number', () => {
    const schema = inferSchema([{ a: 1, b: 'x' }, { a: 2.5 }]);
    assert.deepEqual(schema.items, {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    });
  });

  it('makes mixed array items an anyOf', () => {
    assert.deepEqual(inferSchema([1, 'a', 2]).items, { anyOf: [{ type: 'integer' }, { type: 'string' }] });
  });

  it('gives a schema the example itself validates against', () => {
    const example = { name: 'Ada', tags: ['a', 'b'], address: { city: 'Paris', zip: 75001 } };
    assert.equal(checkSchema(inferSchema(example)).validate(example).valid, true);
  });

  it('tells a schema in the selection from an example', () => {
    assert.equal(schemaFromSelection('{"type": "object", "properties": {"a": {"type": "string"}}}').kind, 'schema');
    assert.equal(schemaFromSelection('{"name": "Ada", "type": "person"}').kind, 'example');
    assert.equal(looksLikeSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema' }), true);
    assert.throws(() => schemaFromSelection('name: Ada'), /neither a JSON Schema nor a JSON example/);
  });
});
