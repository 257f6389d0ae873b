import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConstraintEngines, UnsupportedSchemaError, type ConstraintEngines } from '../../../src/core/structured/constraint';
import { xgrammarGaps } from '../../../src/core/structured/coverage';
import { constraintVocabFromTokenizerJson } from '../../../src/core/structured/engines/types';
import { oneLineJson, tokenBytesOf, walkText } from '../../../src/core/structured/engines/walk';
import { applyBitmask } from '../../../src/core/structured/engines/xgrammar';
import { checkSchema } from '../../../src/core/structured/schema';
import { nodeEngineModules } from '../../../src/node/constraintEngines';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SCHEMAS = path.join(REPO, 'test', 'fixtures', 'schemas');
const fixtures = fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();
const readFixture = (f: string) => JSON.parse(fs.readFileSync(path.join(SCHEMAS, f), 'utf8')) as Record<string, unknown> & { examples: unknown[] };

// The bundled tokenizer only: these tests need no model.
const tokenizerJson = JSON.parse(fs.readFileSync(path.join(REPO, 'models', 'facts-lm', 'tokenizer.json'), 'utf8'));
const vocab = constraintVocabFromTokenizerJson(tokenizerJson, 1400, [0]);
const bytes = tokenBytesOf(vocab);

describe('the mask', () => {
  it('forbids the cleared bits, counts the set ones, and forbids the padding past the vocabulary', () => {
    const row = new Float32Array(70).fill(1);
    const allowed = applyBitmask(row, Int32Array.of(-1, 0b101), 40);
    assert.equal(allowed, 32 + 2);
    assert.equal(row[31], 1);
    assert.equal(row[32], 1);
    assert.equal(row[33], -Infinity);
    assert.equal(row[34], 1);
    assert.ok(row.subarray(40).every((v) => v === -Infinity));
  });
});

describe('engine coverage', () => {
  it('names the keywords XGrammar would let through, with their paths', () => {
    const gaps = xgrammarGaps({
      type: 'object',
      properties: {
        id: { oneOf: [{ type: 'integer' }, { type: 'string' }] },
        score: { type: 'number', maximum: 1 },
        born: { type: 'integer', minimum: 1900 },
        name: { type: 'string', maxLength: 40 },
        tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
      },
    });
    assert.deepEqual(gaps, [
      { keyword: 'oneOf', path: '/properties/id' },
      { keyword: 'maximum (on a non-integer)', path: '/properties/score' },
      { keyword: 'minimum', path: '/properties/born' },
      { keyword: 'uniqueItems', path: '/properties/tags' },
    ]);
  });

  it('finds no gap in annotations, local $refs or the formats XGrammar enforces', () => {
    assert.deepEqual(xgrammarGaps({ title: 't', $defs: { a: { type: 'string', format: 'date' } }, properties: { a: { $ref: '#/$defs/a' } }, examples: [{}] }), []);
  });
});

describe('constrained decoding engines on the bundled vocabulary', function () {
  this.timeout(60_000);
  let engines: ConstraintEngines;
  before(() => {
    engines = createConstraintEngines(nodeEngineModules(), vocab);
  });
  after(() => engines.dispose());

  it('run XGrammar on every schema it fully enforces, and the other engine on the rest', async () => {
    const nested = await engines.compile(checkSchema(readFixture('nested.schema.json')));
    assert.equal(nested.engine, 'xgrammar');
    // born: 1900–1999, a range XGrammar's grammar is shown to hold (integerRanges.ts).
    const person = await engines.compile(checkSchema(readFixture('person.schema.json')));
    assert.equal(person.engine, 'xgrammar');
    assert.match(person.reason, /its integer ranges checked: 1900–1999 at \/properties\/born/);
    // 1776–1864: XGrammar's grammar lets 1999 through, so the second mask comes in.
    const founding = await engines.compile(checkSchema({ type: 'object', properties: { born: { type: 'integer', minimum: 1776, maximum: 1864 } }, required: ['born'] }));
    assert.equal(founding.engine, 'xgrammar + transformers-structured-output');
    assert.match(founding.reason, /XGrammar cannot enforce `minimum` at \/properties\/born/);
    const oneOf = await engines.compile(checkSchema({ oneOf: [{ type: 'integer' }, { type: 'boolean' }] }));
    assert.equal(oneOf.engine, 'xgrammar + transformers-structured-output');
    assert.match(oneOf.reason, /XGrammar cannot enforce `oneOf` at \(root\)/);
    for (const c of [nested, person, founding, oneOf]) c.dispose();
  });

  it('refuse a schema neither engine enforces, naming both reasons', async () => {
    const schema = checkSchema({ type: 'object', properties: { zip: { type: 'string', pattern: '^[0-9]{5}$' }, tags: { type: 'array', uniqueItems: true } } });
    await assert.rejects(engines.compile(schema), (e: Error) => {
      assert.ok(e instanceof UnsupportedSchemaError);
      assert.match(e.message, /XGrammar cannot enforce `uniqueItems` at \/properties\/tags/);
      assert.match(e.message, /transformers-structured-output refuses it \(.*pattern/);
      return true;
    });
  });

  it("put XGrammar's own reason into the error when it cannot compile a pattern", async () => {
    const schema = checkSchema({ type: 'string', pattern: '^(?=a)a+$' });
    await assert.rejects(engines.compile(schema), /XGrammar could not compile it \(Regex parsing error at position \d+: Lookahead is not supported yet/);
  });

  for (const file of fixtures) {
    it(`accept the example of ${file} token by token, and nothing after it but a stop token`, async () => {
      const fixture = readFixture(file);
      const compiled = await engines.compile(checkSchema(fixture));
      const constraint = await compiled.createSequenceConstraint();
      const matcher = { mask: async (row: Float32Array) => constraint.mask(row), accept: (t: number) => (constraint.accept(t), true), isTerminated: constraint.isComplete, dispose: constraint.dispose };
      const walk = await walkText(matcher, vocab, bytes, oneLineJson(fixture.examples[0]));
      assert.ok(walk.accepted, `${compiled.engine} stopped after ${walk.tokens.length} tokens`);
      constraint.dispose();
      compiled.dispose();
    });
  }

  it('keep one state per sequence: two matchers of one schema advance independently', async () => {
    const compiled = await engines.compile(checkSchema(readFixture('person.schema.json')));
    const a = await compiled.createSequenceConstraint();
    const b = await compiled.createSequenceConstraint();
    const rowA = new Float32Array(vocab.vocabSize);
    const rowB = new Float32Array(vocab.vocabSize);
    const open = bytes.findIndex((t) => t.length === 1 && t[0] === 0x7b); // "{"
    await a.mask(rowA);
    a.accept(open);
    const afterOpen = await a.mask(rowA);
    const atStart = await b.mask(rowB);
    assert.notEqual(afterOpen, atStart);
    assert.equal(rowB[open], 0, 'b still starts an object');
    assert.equal(rowA[open], -Infinity, 'a is inside one');
    for (const c of [a, b]) c.dispose();
    compiled.dispose();
  });
});
