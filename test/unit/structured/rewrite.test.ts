import * as assert from 'node:assert/strict';
import { rewriteForEngines } from '../../../src/core/structured/rewrite';
import { FORMAT_PATTERNS, jsonTextRegex, xgrammarSchema } from '../../../src/core/structured/xgrammarSchema';

describe('schema rewrites for the engines (same valid documents, keywords XGrammar reads)', () => {
  it('distributes the siblings of anyOf into each branch', () => {
    const out = rewriteForEngines({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'], anyOf: [{ required: ['b'] }, { required: ['c'] }] });
    assert.deepEqual(out, {
      anyOf: [
        { type: 'object', properties: { a: { type: 'string' }, b: true }, required: ['a', 'b'] },
        { type: 'object', properties: { a: { type: 'string' }, c: true }, required: ['a', 'c'] },
      ],
    });
  });

  it('merges allOf and the siblings of $ref, and drops a branch that can match nothing', () => {
    assert.deepEqual(rewriteForEngines({ allOf: [{ type: 'integer' }, { minimum: 3 }, { minimum: 5, maximum: 9 }] }), { type: 'integer', minimum: 5, maximum: 9 });
    assert.deepEqual(rewriteForEngines({ $defs: { s: { type: 'string' } }, $ref: '#/$defs/s', maxLength: 2 }), { type: 'string', maxLength: 2, $defs: { s: { type: 'string' } } });
    assert.deepEqual(rewriteForEngines({ type: 'string', anyOf: [{ type: 'integer' }, { minLength: 2 }] }), { anyOf: [{ type: 'string', minLength: 2 }] });
  });

  it('never builds a schema that holds itself (a $ref to an ancestor next to siblings)', () => {
    const tree = { type: 'object', properties: { child: { $ref: '#', maxProperties: 3 }, alt: { type: 'object', required: ['a'], anyOf: [{ $ref: '#' }, { required: ['b'] }] } } };
    assert.doesNotThrow(() => JSON.stringify(rewriteForEngines(tree)));
    assert.doesNotThrow(() => JSON.stringify(xgrammarSchema(rewriteForEngines(tree))));
  });

  it('leaves what does not merge for the glue to name (two patterns)', () => {
    const schema = { allOf: [{ type: 'string', pattern: '^a' }, { pattern: 'b$' }] };
    assert.deepEqual(rewriteForEngines(schema), schema);
  });

  it('turns oneOf into anyOf only when no value can match two branches', () => {
    assert.ok('anyOf' in (rewriteForEngines({ oneOf: [{ type: 'integer' }, { type: 'string' }] }) as object));
    assert.ok('anyOf' in (rewriteForEngines({ oneOf: [{ properties: { k: { const: 'a' } }, required: ['k'] }, { properties: { k: { const: 'b' } }, required: ['k'] }] }) as object));
    assert.ok('oneOf' in (rewriteForEngines({ oneOf: [{ type: 'integer' }, { type: 'number' }] }) as object));
  });

  it('keeps the enum values the type and bounds allow, and gives required names a property', () => {
    assert.deepEqual(rewriteForEngines({ type: 'string', maxLength: 2, enum: ['ab', 'abc', 3] }), { type: 'string', maxLength: 2, enum: ['ab'] });
    assert.deepEqual(rewriteForEngines({ type: 'object', required: ['x'], additionalProperties: { type: 'integer' } }), {
      type: 'object', required: ['x'], additionalProperties: { type: 'integer' }, properties: { x: { type: 'integer' } },
    });
  });
});

describe('regexes for XGrammar (full match over the JSON text)', () => {
  const matches = (pattern: string, jsonText: string) => new RegExp(jsonTextRegex(pattern)!, 'u').test(jsonText);

  it('searches unless anchored', () => {
    assert.equal(matches('^https?://', 'https://x/y'), true);
    assert.equal(matches('^https?://', 'xhttps://'), false);
    assert.equal(matches('b', 'abc'), true);
    assert.equal(matches('^a|c$', 'abc'), true);
    assert.equal(matches('^a$|^c$', 'abc'), false);
  });

  it('never lets a bare quote, backslash or control character into the string', () => {
    for (const p of ['.*', '^[ -~]*$', '^\\S+$', '^[^a]*$']) {
      assert.equal(matches(p, 'a"b'), false, p);
      assert.equal(matches(p, 'a\\b'), false, p);
      assert.equal(matches(p, 'a\u0001b'), false, p);
    }
    // A literal quote in the pattern is written escaped in the JSON text.
    assert.equal(matches('^say "hi"$', 'say \\"hi\\"'), true);
  });

  it('refuses what it cannot rewrite (backreferences, lookarounds, word boundaries)', () => {
    for (const p of ['(a)\\1', '^(?=a)', '\\bword']) assert.equal(jsonTextRegex(p), undefined, p);
  });

  it('puts the calendar into date and date-time, the subset of ajv-formats without leap seconds', () => {
    const date = new RegExp(FORMAT_PATTERNS.date!);
    for (const ok of ['2024-02-29', '2000-02-29', '2023-12-31', '0001-01-01']) assert.ok(date.test(ok), ok);
    for (const bad of ['2023-02-29', '1900-02-29', '2023-04-31', '2023-02-30', '3690-11-31', '2023-13-01', '2023-00-10']) assert.ok(!date.test(bad), bad);
    const dateTime = new RegExp(FORMAT_PATTERNS['date-time']!);
    assert.ok(dateTime.test('2023-04-30T23:59:59.5+02:00'));
    assert.ok(!dateTime.test('2023-04-30T24:00:00Z'));
    assert.ok(!dateTime.test('2023-04-30T10:00:00'), 'a time zone is required');
  });

  it('drops "minLength": 0 and writes slash constants as patterns', () => {
    assert.deepEqual(xgrammarSchema({ type: 'string', minLength: 0 }), { type: 'string' });
    const out = xgrammarSchema({ const: 'a/b' }) as Record<string, unknown>;
    assert.equal(out.type, 'string');
    assert.equal(out.const, undefined);
    assert.ok(new RegExp(out.pattern as string).test('a/b'));
  });
});
