import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConstraintEngines, UnsupportedSchemaError, type ConstraintEngines } from '../../../src/core/structured/constraint';
import { secondEngineSchema, xgrammarGaps } from '../../../src/core/structured/coverage';
import { constraintVocabFromTokenizerJson } from '../../../src/core/structured/engines/types';
import { oneLineJson, tokenBytesOf, walkText } from '../../../src/core/structured/engines/walk';
import { createStructuredOutputEngine, type StructuredOutputModule } from '../../../src/core/structured/engines/transformersStructuredOutput';
import { applyBitmask } from '../../../src/core/structured/engines/xgrammar';
import { maskCheck } from '../../../src/core/structured/maskCheck';
import { checkSchema } from '../../../src/core/structured/schema';
import { xgrammarSchema } from '../../../src/core/structured/xgrammarSchema';
import { nodeEngineModules } from '../../../src/node/constraintEngines';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SCHEMAS = path.join(REPO, 'test', 'fixtures', 'schemas');
const fixtures = fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();
const readFixture = (f: string) => JSON.parse(fs.readFileSync(path.join(SCHEMAS, f), 'utf8')) as Record<string, unknown> & { examples: unknown[] };

// The bundled tokenizer only: these tests need no model.
const tokenizerJson = JSON.parse(fs.readFileSync(path.join(REPO, 'models', 'facts-lm', 'tokenizer.json'), 'utf8'));
const vocab = constraintVocabFromTokenizerJson(tokenizerJson, 1400, [0]);
const bytes = tokenBytesOf(vocab);

/** Whether the glue's mask lets `value`, written as constrained decoding writes it, finish (a dead end does not). */
async function letsFinish(engines: ConstraintEngines, schema: object, value: unknown): Promise<boolean> {
  const compiled = await engines.compile(checkSchema(schema));
  const sequence = await compiled.createSequenceConstraint();
  const matcher = { mask: async (row: Float32Array) => sequence.mask(row), accept: (t: number) => (sequence.accept(t), true), isTerminated: sequence.isComplete, dispose: sequence.dispose };
  try {
    return (await walkText(matcher, vocab, bytes, oneLineJson(value))).accepted && sequence.deadEndAtStep === undefined;
  } finally {
    sequence.dispose();
  }
}

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
    assert.deepEqual(xgrammarGaps({ title: 't', $defs: { a: { type: 'string', format: 'email' } }, properties: { a: { $ref: '#/$defs/a' } }, examples: [{}] }), []);
    // `date` is enforced as a pattern with the calendar in it (xgrammarSchema.ts), not as XGrammar's format.
    assert.deepEqual(xgrammarGaps({ type: 'string', format: 'date' }), [{ keyword: 'format "date"', path: '' }]);
  });
  it('leaves to XGrammar only the patterns and formats it holds on every way to them (secondEngineSchema)', () => {
    const schema = {
      $defs: { zip: { type: 'string', pattern: '^[0-9]{5}$' }, id: { type: 'string', pattern: '^x' } },
      type: 'object',
      properties: {
        home: { $ref: '#/$defs/zip' },
        work: { oneOf: [{ $ref: '#/$defs/id' }, { type: 'integer' }] },
        other: { $ref: '#/$defs/id' },
        day: { type: 'string', format: 'date' },
        tags: { type: 'array', items: { type: 'string', format: 'email', maxLength: 9 } },
        link: { type: 'string', format: 'uri-reference' },
        note: { type: 'string', format: 'not-a-format' },
      },
      patternProperties: { '^a': { type: 'string', pattern: '^b' } },
    };
    const out = secondEngineSchema(schema, xgrammarSchema(schema) as Record<string, unknown>) as { $defs: Record<string, Record<string, unknown>>; properties: Record<string, Record<string, unknown>>; patternProperties: Record<string, Record<string, unknown>> };
    assert.equal(out.$defs.zip!.pattern, undefined, 'reached only through properties and $ref: XGrammar holds it');
    assert.equal(out.$defs.id!.pattern, '^x', 'also reached through a oneOf branch: kept');
    assert.equal(out.properties.day!.format, undefined, 'date is a pattern for XGrammar');
    assert.deepEqual(out.properties.tags!.items, { type: 'string', maxLength: 9 }, 'email left to XGrammar, the length kept');
    assert.equal(out.properties.link!.format, 'uri-reference', 'XGrammar does not check it: kept');
    assert.equal(out.properties.note!.format, undefined, 'not a format ajv checks: an annotation');
    assert.equal(out.patternProperties['^a']!.pattern, '^b', 'XGrammar does not hold patternProperties: kept');
    assert.equal((schema.$defs.zip as Record<string, unknown>).pattern, '^[0-9]{5}$', 'the input is not changed');
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
    // Branches that overlap (4 matches both): exactly one must hold, which XGrammar cannot check.
    const oneOf = await engines.compile(checkSchema({ oneOf: [{ type: 'integer', maximum: 5 }, { type: 'integer', minimum: 3 }] }));
    assert.equal(oneOf.engine, 'xgrammar + transformers-structured-output');
    assert.match(oneOf.reason, /XGrammar cannot enforce `oneOf` at \(root\)/);
    // Branches of different types cannot both hold: oneOf is anyOf, which XGrammar enforces.
    const disjoint = await engines.compile(checkSchema({ oneOf: [{ type: 'integer' }, { type: 'boolean' }] }));
    assert.equal(disjoint.engine, 'xgrammar');
    for (const c of [nested, person, founding, oneOf, disjoint]) c.dispose();
  });

  it('refuse a schema neither engine enforces, naming both reasons', async () => {
    // The pattern sits in a oneOf branch: XGrammar may take one branch and the other engine another.
    const schema = checkSchema({ type: 'object', properties: { zip: { oneOf: [{ type: 'string', pattern: '^[0-9]{5}$' }, { type: 'string', maxLength: 3 }] }, tags: { type: 'array', uniqueItems: true } } });
    await assert.rejects(engines.compile(schema), (e: Error) => {
      assert.ok(e instanceof UnsupportedSchemaError);
      assert.match(e.message, /XGrammar cannot enforce `oneOf` at \/properties\/zip, `uniqueItems` at \/properties\/tags/);
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

describe('the mask refuses what the schema forbids, and allows what it allows (issue 14)', function () {
  this.timeout(60_000);
  let engines: ConstraintEngines;
  before(() => {
    engines = createConstraintEngines(nodeEngineModules(), vocab);
  });
  after(() => engines.dispose());

  const lets = (schema: object, value: unknown) => letsFinish(engines, schema, value);

  it('keeps the siblings of anyOf: properties and required next to it, and a type', async () => {
    const either = { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' }, street: { type: 'string' } }, required: ['street'], anyOf: [{ required: ['city'] }, { required: ['zip'] }] };
    assert.equal(await lets(either, {}), false);
    assert.equal(await lets(either, { street: 'x' }), false);
    assert.equal(await lets(either, { city: 'a', street: 'x' }), true);
    const stringOnly = { type: 'string', anyOf: [{ minLength: 2 }, { maxLength: 0 }] };
    assert.equal(await lets(stringOnly, 5), false);
    assert.equal(await lets(stringOnly, 'ab'), true);
  });

  it('keeps only the enum values the type allows', async () => {
    assert.equal(await lets({ type: 'object', enum: [{ a: 1 }, 'not an object'] }, 'not an object'), false);
    const schema = { type: 'integer', enum: [1, 'one', 2.5] };
    assert.equal(await lets(schema, 'one'), false);
    assert.equal(await lets(schema, 2.5), false);
    assert.equal(await lets(schema, 1), true);
  });

  it('asks for a required property that properties does not describe', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'b'] };
    assert.equal(await lets(schema, { a: 'x' }), false);
    assert.equal(await lets(schema, { a: 'x', b: 1 }), true);
  });

  it('checks the calendar of date and date-time', async () => {
    const date = { type: 'string', format: 'date' };
    assert.equal(await lets(date, '2023-02-30'), false);
    assert.equal(await lets(date, '3690-11-31'), false);
    assert.equal(await lets(date, '2023-02-28'), true);
    assert.equal(await lets(date, '2024-02-29'), true);
    assert.equal(await lets({ type: 'string', format: 'date-time' }, '2023-04-31T10:00:00Z'), false);
    assert.equal(await lets({ type: 'string', format: 'date-time' }, '2023-04-30T10:00:00+02:00'), true);
  });

  it('checks byte (base64), which neither engine checked as a format: MCPspec---CreateMessageResult.json', async () => {
    const byte = { type: 'object', properties: { data: { type: 'string', format: 'byte' } }, required: ['data'] };
    for (const invalid of [{ data: ' Leilen 1962.' }, { data: 'abc' }, { data: 'ab=c' }]) {
      assert.equal(checkSchema(byte).validate(invalid).valid, false, invalid.data);
      assert.equal(await lets(byte, invalid), false, `the mask let ${invalid.data} through`);
    }
    for (const valid of [{ data: '' }, { data: 'QUJD' }, { data: 'YWI=' }, { data: 'a+/9Zw==' }]) {
      assert.equal(checkSchema(byte).validate(valid).valid, true, valid.data);
      assert.equal(await lets(byte, valid), true, `the mask refused ${valid.data}`);
    }
  });

  it('checks email as ajv-formats does (XGrammar\'s own email grammar finished a domain without a dot): Github_hard---o34872.json, Github_easy---o64536.json', async () => {
    const email = { type: 'string', format: 'email' };
    const compiled = await engines.compile(checkSchema(email));
    assert.equal(compiled.engine, 'xgrammar');
    for (const invalid of ['qvy/@j', 'a@b', 'a@.b', '@b.co', 'a b@c.de']) {
      assert.equal(checkSchema(email).validate(invalid).valid, false, invalid);
      assert.equal(await lets(email, invalid), false, `the mask let ${invalid} through`);
    }
    for (const valid of ['ada@example.com', 'A.B+c@mail.Example.ORG', "o'hara@x-y.io"]) {
      assert.equal(checkSchema(email).validate(valid).valid, true, valid);
      assert.equal(await lets(email, valid), true, `the mask refused ${valid}`);
    }
  });

  it("checks iso-time, iso-date-time, uri-template, url and json-pointer-uri-fragment as ajv-formats does (neither engine checked them)", async () => {
    const cases: Record<string, { invalid: string[]; valid: string[] }> = {
      'iso-time': { invalid: ['24:00:00', '12:34', '12:00:00+25:00'], valid: ['12:34:56', '12:34:56.5Z'] },
      'iso-date-time': { invalid: ['2023-02-29T10:00:00', '2023-01-01'], valid: ['2024-02-29T10:00:00', '2023-01-01 10:00:00+01:00'] },
      'uri-template': { invalid: ['a b', '{a,}', '%zz'], valid: ['/users/{id}{?q,page}', 'http://x.io/{+path}'] },
      url: { invalid: ['http://10.0.0.1/', 'http://192.168.1.1', 'http://localhost', 'example.com'], valid: ['https://example.com/a?b=c', 'ftp://8.8.8.8'] },
      'json-pointer-uri-fragment': { invalid: ['/a', '#/a b', '#/~2'], valid: ['#', '#/definitions/a~1b'] },
    };
    for (const [format, { invalid, valid }] of Object.entries(cases)) {
      const schema = { type: 'string', format };
      assert.equal((await engines.compile(checkSchema(schema))).engine, 'xgrammar', format);
      for (const value of invalid) {
        assert.equal(checkSchema(schema).validate(value).valid, false, `ajv-formats passes ${format} ${value}`);
        assert.equal(await lets(schema, value), false, `the mask let ${format} ${value} through`);
      }
      for (const value of valid) {
        assert.equal(checkSchema(schema).validate(value).valid, true, `ajv-formats fails ${format} ${value}`);
        assert.equal(await lets(schema, value), true, `the mask refused ${format} ${value}`);
      }
    }
  });

  it('holds int32 as an integer within 32 bits, and drops float and double (ajv-formats passes every number)', async () => {
    const int32 = { type: 'object', properties: { n: { type: ['number', 'null'], format: 'int32' }, x: { type: 'number', format: 'double' } } };
    const compiled = await engines.compile(checkSchema(int32));
    assert.doesNotMatch(compiled.reason, /format/, 'no format left unchecked or named as a gap');
    for (const [value, valid] of [[{ n: 2 ** 31 }, false], [{ n: -(2 ** 31) - 1 }, false], [{ n: 1.5 }, false], [{ n: 2 ** 31 - 1 }, true], [{ n: null, x: 2.5 }, true]] as const) {
      assert.equal(checkSchema(int32).validate(value).valid, valid, JSON.stringify(value));
      assert.equal(await lets(int32, value), valid, JSON.stringify(value));
    }
  });

  it('lists a format no mask checks as checked after decoding (url in a oneOf branch, which the second engine reads as an annotation)', async () => {
    const schema = { oneOf: [{ type: 'string', format: 'url' }, { type: 'string', maxLength: 3 }] };
    const compiled = await engines.compile(checkSchema(schema));
    assert.equal(compiled.engine, 'xgrammar + transformers-structured-output');
    assert.deepEqual(compiled.afterDecoding, [{ keyword: 'format "url"', path: '/oneOf/0' }]);
    assert.ok(compiled.notes.some((n) => /^checked after decoding \(by ajv\), not by the mask: `format "url"` at \/oneOf\/0$/.test(n)), compiled.notes.join('; '));
    const tests = ['http://10.0.0.1', 'abc', 'https://example.com', 'abcd'].map((data) => ({ data, valid: checkSchema(schema).validate(data).valid }));
    const check = await maskCheck(engines, schema, tests, bytes);
    assert.equal(check.invalidationErrors, 0, JSON.stringify(check.wrong));
  });

  it('searches with pattern (unanchored unless ^ or $), and never lets a bare quote into the string', async () => {
    assert.equal(await lets({ type: 'string', pattern: '^https?://' }, 'https://example.com/a'), true);
    assert.equal(await lets({ type: 'string', pattern: '^https?://' }, 'ftp://example.com'), false);
    assert.equal(await lets({ type: 'string', pattern: 'needle' }, 'a needle here'), true);
    assert.equal(await lets({ type: 'string', pattern: 'needle' }, 'a haystack'), false);
    // `.` matches a `"` in the decoded string; in the JSON text that is `\"`, never a bare quote.
    const compiled = await engines.compile(checkSchema({ type: 'string', pattern: '^.*$' }));
    const walk = await walkText(await compiled.createSequenceConstraint().then((s) => ({ mask: async (r: Float32Array) => s.mask(r), accept: (t: number) => (s.accept(t), true), isTerminated: s.isComplete, dispose: s.dispose })), vocab, bytes, '"a"b"');
    assert.equal(walk.accepted, false);
  });

  it('allows the properties additionalProperties allows, and never a declared one as "additional"', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'integer' } };
    assert.equal(await lets(schema, { a: 'x', b: 1 }), true);
    assert.equal(await lets(schema, { a: 'x', b: 'y' }), false);
    // XGrammar's own grammar takes `"a": 1` as an additional property with an integer value.
    assert.equal(await lets(schema, { a: 1 }), false);
    assert.equal(await lets({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, { a: 'x', b: 1 }), false);
  });

  it('is strict about properties only when asked, and says so on the card', async () => {
    const strict = createConstraintEngines(nodeEngineModules(), vocab, { strictProperties: true });
    try {
      const compiled = await strict.compile(checkSchema({ type: 'object', properties: { a: { type: 'string' } } }));
      assert.match(compiled.reason, /strict properties: only the properties the schema names/);
    } finally {
      strict.dispose();
    }
    const loose = await engines.compile(checkSchema({ type: 'object', properties: { a: { type: 'string' } } }));
    assert.match(loose.reason, /properties the schema does not name: as its additionalProperties says/);
  });

  it('reads draft-04 (id, definitions, boolean exclusiveMaximum) and lists ignored words on the card', async () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-04/schema#',
      id: 'http://example.com/s',
      definitions: { n: { type: 'integer', minimum: 0, maximum: 10, exclusiveMaximum: true } },
      type: 'object',
      properties: { n: { $ref: '#/definitions/n' } },
      required: ['n'],
      javaType: 'com.example.S',
    };
    const compiled = await engines.compile(checkSchema(schema));
    assert.match(compiled.reason, /ignored as the spec says: `javaType`/);
    assert.equal(await lets(schema, { n: 9 }), true);
    assert.equal(await lets(schema, { n: 10 }), false);
  });

  it('compiles a schema once per model: the second compile is the cached one', async () => {
    const schema = { type: 'object', properties: { once: { type: 'string', maxLength: 7 } } };
    const first = await engines.compile(checkSchema(schema));
    const t0 = performance.now();
    const second = await engines.compile(checkSchema(schema));
    assert.equal(second.reason, first.reason);
    assert.ok(performance.now() - t0 >= 0);
    // Disposing a cached constraint leaves it usable for the next run.
    second.dispose();
    assert.equal(await lets(schema, { once: 'abc' }), true);
  });
});

describe('real-world schemas from the JSONSchemaBench sample (issue 14)', function () {
  this.timeout(120_000);
  const SAMPLE = [path.resolve(REPO, '..', '..', 'shared', 'benchmarks', 'jsonschemabench', 'data'), '/work/shared/benchmarks/jsonschemabench/data'].find((d) => fs.existsSync(d));
  const sampleFile = (name: string) => {
    if (!SAMPLE) throw new Error('the JSONSchemaBench sample is missing (../shared/benchmarks/jsonschemabench/data)');
    return JSON.parse(fs.readFileSync(path.join(SAMPLE, name), 'utf8')) as { schema: Record<string, unknown>; tests: Array<{ data: unknown; valid: boolean }> };
  };
  let engines: ConstraintEngines;
  before(() => {
    engines = createConstraintEngines(nodeEngineModules(), vocab);
  });
  after(() => engines.dispose());

  const lets = (schema: object, value: unknown) => letsFinish(engines, schema, value);

  it('holds minLength and maxLength next to a pattern (XGrammar drops them there): Github_easy---o9884.json', async () => {
    // slug: {"type": "string", "minLength": 4, "maxLength": 63, "pattern": "^[0-9a-z-]*$"}
    const { schema, tests } = sampleFile('Github_easy---o9884.json');
    const compiled = await engines.compile(checkSchema(schema));
    assert.match(compiled.reason, /`minLength\/maxLength next to pattern` at \/properties\/slug/);
    assert.equal(await lets(schema, { slug: 'abc' }), false, 'three characters, minLength 4');
    assert.equal(await lets(schema, { slug: 'a'.repeat(64) }), false, '64 characters, maxLength 63');
    assert.equal(await lets(schema, { slug: 'Abcd' }), false, 'the pattern still holds');
    assert.equal(await lets(schema, { slug: 'abcd' }), true);
    const check = await maskCheck(engines, schema, tests.map((t) => ({ data: t.data, valid: checkSchema(schema).validate(t.data).valid })), bytes);
    assert.deepEqual([check.validationErrors, check.invalidationErrors], [0, 0]);
  });

  it('holds maxLength next to a format XGrammar checks: Github_easy---o9945.json', async () => {
    // billingEmail: {"type": "string", "format": "email", "maxLength": 1024}; shortened here to hit the bound.
    const { schema } = sampleFile('Github_easy---o9945.json');
    const short = JSON.parse(JSON.stringify(schema).replace('"format":"email","maxLength":1024', '"format":"email","maxLength":12'));
    assert.equal(await lets(short, { name: 'n', billingEmail: 'a@example.com' }), false, '13 characters, maxLength 12');
    assert.equal(await lets(short, { name: 'n', billingEmail: 'a@example.co' }), true);
    assert.equal(await lets(short, { name: 'n', billingEmail: 'not-an-email' }), false);
  });

  it('compiles a pattern or format next to what only the second engine holds, and lets no invalid instance through: Github_easy---o55249.json', async () => {
    // rating: {"type": "number", "minimum": 1, "maximum": 5}; createdAt: {"format": "date-time"}; title: {"minLength": 3, "maxLength": 50}.
    // Refused before: transformers-structured-output cannot hold date-time while decoding; XGrammar holds it for both.
    const { schema, tests } = sampleFile('Github_easy---o55249.json');
    const checked = checkSchema(schema);
    const compiled = await engines.compile(checked);
    assert.equal(compiled.engine, 'xgrammar + transformers-structured-output');
    const check = await maskCheck(engines, schema, tests.map((t) => ({ data: t.data, valid: checked.validate(t.data).valid })), bytes);
    assert.equal(check.instances, 8);
    assert.deepEqual([check.validationErrors, check.invalidationErrors], [0, 0], JSON.stringify(check.wrong));
    assert.equal(await lets(schema, { rating: 5.5 }), false, 'rating above its maximum');
    assert.equal(await lets(schema, { createdAt: '2023-02-30T10:00:00Z' }), false, 'February 30');
    assert.equal(await lets(schema, { rating: 4.5, createdAt: '2024-02-29T10:00:00Z' }), true);
  });

  it('holds int32 on Kubernetes schemas instead of leaving it unchecked: Kubernetes---kb_882_Normalized.json', async () => {
    // partition: {"format": "int32", "type": ["integer", "null"]}; its instances test the type, so the bounds are tried here too.
    const { schema, tests } = sampleFile('Kubernetes---kb_882_Normalized.json');
    const checked = checkSchema(schema);
    const compiled = await engines.compile(checked);
    assert.doesNotMatch(compiled.reason, /format/);
    const check = await maskCheck(engines, schema, tests.map((t) => ({ data: t.data, valid: checked.validate(t.data).valid })), bytes);
    assert.equal(check.instances, 5);
    assert.deepEqual([check.validationErrors, check.invalidationErrors], [0, 0], JSON.stringify(check.wrong));
    assert.equal(await lets(schema, { partition: 2 ** 31 }), false, 'above int32');
    assert.equal(await lets(schema, { partition: 2 ** 31 - 1 }), true);
  });

  it('compiles uri-template (refused before) and url on XGrammar, and lets no invalid instance through: MCPspec---ClientRequest.json, Github_hard---o50673.json', async () => {
    for (const name of ['MCPspec---ClientRequest.json', 'Github_hard---o50673.json']) {
      const { schema, tests } = sampleFile(name);
      const checked = checkSchema(schema);
      assert.equal((await engines.compile(checked)).engine, 'xgrammar', name);
      const check = await maskCheck(engines, schema, tests.map((t) => ({ data: t.data, valid: checked.validate(t.data).valid })), bytes);
      assert.ok(check.instances >= 2);
      assert.deepEqual([check.validationErrors, check.invalidationErrors], [0, 0], `${name}: ${JSON.stringify(check.wrong)}`);
    }
    // Github_hard---o50673.json's license_url: {"format": "url", "type": "string"}.
    const { schema } = sampleFile('Github_hard---o50673.json');
    assert.equal(await lets(schema, { license_url: 'http://127.0.0.1/licence' }), false, 'a loopback address, which ajv-formats refuses');
    assert.equal(await lets(schema, { license_url: 'https://creativecommons.org/licenses/by/4.0/' }), true);
  });

  it('follows a $ref into a place that is not a keyword ("#/definitions/actions/single_commit": `actions` is a map of schemas): Github_hard---o65310.json', async () => {
    const { schema } = sampleFile('Github_hard---o65310.json');
    const checked = checkSchema(schema);
    assert.equal((await engines.compile(checked)).engine, 'xgrammar');
    assert.ok(!checked.notes.some((n) => /`actions`/.test(n)), 'a word a $ref points into is not listed as ignored');
    assert.equal(await lets(schema, {}), false, 'thirteen required properties');
  });

  it('follows a $ref into `$defs` of a draft-07 schema (a 2019-09 keyword there), and lets no invalid instance through: JsonSchemaStore---img-catapult-psp-1.0.0.json', async () => {
    const { schema, tests } = sampleFile('JsonSchemaStore---img-catapult-psp-1.0.0.json');
    const checked = checkSchema(schema);
    assert.equal((await engines.compile(checked)).engine, 'xgrammar');
    const check = await maskCheck(engines, schema, tests.map((t) => ({ data: t.data, valid: checked.validate(t.data).valid })), bytes);
    assert.ok(check.instances > 0);
    assert.deepEqual([check.validationErrors, check.invalidationErrors], [0, 0], JSON.stringify(check.wrong));
  });

  it('refuses a pattern next to a format by name (XGrammar keeps the format and drops the pattern): Github_easy---o79445.json', async () => {
    // httpUri: {"type": "string", "allOf": [{"format": "uri"}, {"pattern": "^https?://"}]}; XGrammar alone let "ftp://example.com" through.
    const { schema } = sampleFile('Github_easy---o79445.json');
    await assert.rejects(engines.compile(checkSchema(schema)), (e: Error) => {
      assert.ok(e instanceof UnsupportedSchemaError);
      assert.match(e.message, /XGrammar cannot enforce `pattern next to format "uri"` at \/definitions\/httpUri/);
      return true;
    });
  });

  it('refuses a pattern without a string type by name (XGrammar then writes any string): the shape of JsonSchemaStore---bundleconfig.json', async () => {
    // bundleconfig's jsBundle: "outputFileName": {"pattern": "\\.js$"}, no "type"; XGrammar alone let {"a": "b"} through "^a+$".
    const schema = { type: 'object', properties: { outputFileName: { pattern: '\\.js$' } } };
    await assert.rejects(engines.compile(checkSchema(schema)), /XGrammar cannot enforce `pattern without "type": "string"` at \/properties\/outputFileName/);
    // With the type, XGrammar holds it alone.
    const typed = { type: 'object', properties: { outputFileName: { type: 'string', pattern: '\\.js$' } } };
    assert.equal((await engines.compile(checkSchema(typed))).engine, 'xgrammar');
    assert.equal(await lets(typed, { outputFileName: 'a.css' }), false);
    assert.equal(await lets(typed, { outputFileName: 'a.js' }), true);
  });

  it('still refuses a pattern in a oneOf branch next to a keyword only the second engine holds, naming both: Snowplow---sp_357_Normalized.json', async () => {
    // In a branch, XGrammar may follow one alternative and the other engine another: the pattern cannot be left to XGrammar.
    const { schema } = sampleFile('Snowplow---sp_357_Normalized.json');
    await assert.rejects(engines.compile(checkSchema(schema)), (e: Error) => {
      assert.ok(e instanceof UnsupportedSchemaError);
      assert.match(e.message, /XGrammar cannot enforce `oneOf` at \(root\).*transformers-structured-output refuses it \(.*pattern/);
      return true;
    });
  });
});

describe('transformers-structured-output behind the engine interface', () => {
  /** A stand-in for the package whose processor fails the way the package does (its message, from src/StructuredOutputProcessor.ts). */
  const failing = (message: string) =>
    ({
      StructuredOutputProcessor: Object.assign(
        class {
          _call(): never {
            throw new Error(message);
          }
        },
        { warmup: () => {} },
      ),
    }) as unknown as StructuredOutputModule;

  it('turns its own dead end into a mask with no token, so the glue ends the sequence', async () => {
    const engine = createStructuredOutputEngine(failing('The constraint reached a dead end before producing a valid output.'), vocab);
    const matcher = await (await engine.compile({ type: 'string' })).createMatcher();
    const row = new Float32Array(vocab.vocabSize);
    assert.equal(await matcher.mask(row), 0);
    assert.ok(row.every((v) => v === -Infinity));
  });

  it('lets any other failure through', async () => {
    const engine = createStructuredOutputEngine(failing('StructuredOutputProcessor currently supports batch size 1; received 2.'), vocab);
    const matcher = await (await engine.compile({ type: 'string' })).createMatcher();
    await assert.rejects(matcher.mask(new Float32Array(vocab.vocabSize)), /batch size 1/);
  });
});
