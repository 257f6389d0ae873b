import * as assert from 'node:assert/strict';
import { fullFormats } from 'ajv-formats/dist/formats';
import { rewriteForEngines } from '../../../src/core/structured/rewrite';
import { checkSchema } from '../../../src/core/structured/schema';
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

describe("ajv-formats' number formats as the type and bounds they check", () => {
  it('makes int32 an integer within 32 bits, int64 an integer, and drops float and double', () => {
    assert.deepEqual(rewriteForEngines({ type: 'integer', format: 'int32' }), { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1 });
    assert.deepEqual(rewriteForEngines({ type: ['number', 'null'], format: 'int32', minimum: 0 }), { type: ['integer', 'null'], minimum: 0, maximum: 2 ** 31 - 1 });
    assert.deepEqual(rewriteForEngines({ type: 'number', format: 'int64' }), { type: 'integer' });
    assert.deepEqual(rewriteForEngines({ format: 'int64' }), { multipleOf: 1 }, 'no type: numbers must be integers, other values pass');
    assert.deepEqual(rewriteForEngines({ type: 'number', format: 'double', maximum: 2 }), { type: 'number', maximum: 2 });
    assert.deepEqual(rewriteForEngines({ type: 'string', format: 'int32' }), { type: 'string' }, 'a number format says nothing about a string');
    assert.deepEqual(rewriteForEngines({ format: 'int32', multipleOf: 0.5 }), { format: 'int32', multipleOf: 0.5 }, 'left for coverage to name');
  });

  it("agrees with ajv-formats on every value (its int32 and int64, node_modules/ajv-formats/dist/formats.js)", () => {
    const values = [0, 7, -7, 1.5, -0.25, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 1e20, 'x', null];
    for (const format of ['int32', 'int64', 'float', 'double'] as const) {
      for (const type of [undefined, 'number', 'integer', ['number', 'string']]) {
        const given = { ...(type === undefined ? {} : { type }), format };
        const rewritten = rewriteForEngines(given);
        for (const v of values) {
          assert.equal(checkSchema(rewritten).validate(v).valid, checkSchema(given).validate(v).valid, `${JSON.stringify(given)} on ${v}`);
        }
      }
    }
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

  /** ajv-formats' own check of a string (full mode, as schema.ts adds it). */
  const ajvAccepts = (format: string, value: string): boolean => {
    const f = (fullFormats as Record<string, unknown>)[format];
    if (f instanceof RegExp) return f.test(value);
    return (f as { validate: (v: string) => boolean }).validate(value);
  };
  /** Deterministic edits of each seed: a character deleted, inserted or replaced, many times over. */
  const mutants = (seeds: readonly string[], alphabet: string, count: number): string[] => {
    let state = 12345;
    const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
    const out = [...seeds];
    for (let i = 0; i < count; i++) {
      let s = seeds[next(seeds.length)]!;
      for (let edits = 1 + next(3); edits > 0; edits--) {
        const at = next(s.length + 1);
        const c = alphabet[next(alphabet.length)]!;
        const kind = next(3);
        s = kind === 0 ? s.slice(0, at) + s.slice(at + 1) : kind === 1 ? s.slice(0, at) + c + s.slice(at) : s.slice(0, at) + c + s.slice(at + 1);
      }
      out.push(s);
    }
    return out;
  };
  const SEEDS: Record<string, { valid: string[]; invalid: string[]; alphabet: string }> = {
    'iso-time': { valid: ['12:34:56', '23:59:59.999Z', '00:00:00+01:30', '10:00:00-0500'], invalid: ['24:00:00', '12:60:00', '12:34', '12:34:56+24:00'], alphabet: '0123456789:.+-zZT ' },
    'iso-date-time': { valid: ['2024-02-29T12:00:00', '2023-01-01 00:00:00z', '2023-12-31t23:59:59.5+02:00'], invalid: ['2023-02-29T12:00:00', '2023-01-01T25:00:00', '2023-01-01'], alphabet: '0123456789:-.+TtZz ' },
    'uri-template': { valid: ['http://example.com/{id}', '/search{?q,lang:2}', '{+path*}/x', '%41{#frag}', ''], invalid: ['a b', '{', '{a,}', '%zz', '<x>', '{:3}'], alphabet: '{}+#./;?&=,!@|:*%09afAZ_ <>"\\^`' },
    url: { valid: ['http://example.com', 'https://user:pw@sub.example.org:8080/p?q=1#f', 'ftp://8.8.8.8/x', 'http://172.32.0.1', 'http://169.253.1.1', 'HTTP://EXAMPLE.COM', 'http://m\u00fcnchen.de/'], invalid: ['http://10.0.0.1', 'http://127.0.0.1', 'http://192.168.0.1', 'http://172.16.5.4', 'http://169.254.0.1', 'http://localhost', 'example.com', 'http://a.b', 'http://1.2.3.255', 'http://224.0.0.1'], alphabet: '0123456789./:@-aAzZ?#_ \u00a0\u1680' },
    'json-pointer-uri-fragment': { valid: ['#', '#/a/b', '#/a~0b~1c/%2F', '#/A/', "#/!$&'()*+,;:=@"], invalid: ['', 'a', '#a', '#/a b', '#/~2', '#/%g0'], alphabet: '#/~01%aAfF2 "' },
  };

  for (const [format, seeds] of Object.entries(SEEDS)) {
    it(`writes ${format} as ajv-formats' own check: never looser, and the usual values pass`, () => {
      const pattern = new RegExp(FORMAT_PATTERNS[format]!, 'u');
      for (const ok of seeds.valid) assert.ok(ajvAccepts(format, ok) && pattern.test(ok), `${format}: ${ok}`);
      for (const bad of seeds.invalid) assert.ok(!ajvAccepts(format, bad) && !pattern.test(bad), `${format}: ${bad}`);
      let passed = 0;
      for (const s of mutants([...seeds.valid, ...seeds.invalid], seeds.alphabet, 4000)) {
        if (!pattern.test(s)) continue;
        passed++;
        assert.ok(ajvAccepts(format, s), `${format}: the pattern passes ${JSON.stringify(s)}, ajv-formats does not`);
      }
      assert.ok(passed > 100, `only ${passed} mutants passed: the check says little`);
      assert.notEqual(jsonTextRegex(FORMAT_PATTERNS[format]!), undefined, 'rewritable for XGrammar');
    });
  }

  it("writes url's \\S as non-space characters of the Basic Multilingual Plane only (ECMAScript's \\s is the judge)", () => {
    const pattern = new RegExp(FORMAT_PATTERNS.url!, 'u');
    let passed = 0;
    for (let cp = 0; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = `http://example.com/${String.fromCharCode(cp)}`;
      if (!pattern.test(s)) continue;
      passed++;
      assert.ok(ajvAccepts('url', s), `U+${cp.toString(16)}`);
    }
    assert.ok(passed > 60000, `${passed} characters pass`);
  });

  it('drops "minLength": 0 and writes slash constants as patterns', () => {
    assert.deepEqual(xgrammarSchema({ type: 'string', minLength: 0 }), { type: 'string' });
    const out = xgrammarSchema({ const: 'a/b' }) as Record<string, unknown>;
    assert.equal(out.type, 'string');
    assert.equal(out.const, undefined);
    assert.ok(new RegExp(out.pattern as string).test('a/b'));
  });
});
