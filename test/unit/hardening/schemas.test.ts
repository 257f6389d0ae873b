/** One bad schema fails its own case, file or route (issue 12, item 6), and a BOM is not a mistake (item 8). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSuite } from '../../../src/core/prompttest';
import { checkSchema, parseSchemaText, SchemaError } from '../../../src/core/structured/schema';
import { readSuiteFile } from '../../../src/node/promptTestRunner';

/** {"type":"object","properties":{"a": … }} nested `depth` times. */
function deepSchema(depth: number): Record<string, unknown> {
  let s: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i++) s = { type: 'object', properties: { a: s } };
  return s;
}

describe('hardening: schemas that would overflow the stack', () => {
  it('hardening: a 3,000-deep schema is a SchemaError naming the limit, not a stack overflow', () => {
    assert.throws(() => checkSchema(deepSchema(3000), 'deep.json'), (e: unknown) => e instanceof SchemaError && /deep\.json nests more than 256 levels deep/.test(e.message));
    // Real-world depths (jsonschemabench's deepest is 34) still check and validate.
    assert.equal(checkSchema(deepSchema(60), 'ok.json').validate({ a: { a: {} } }).valid, true);
  });

  it('hardening: {"$ref":"#"} and a $defs cycle that reads nothing are refused when checked, not on every route', () => {
    for (const schema of [{ $ref: '#' }, { $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' }]) {
      assert.throws(() => checkSchema(schema, 'loop.json'), (e: unknown) => e instanceof SchemaError && /loop\.json (refers to itself without end|could not be compiled)/.test(e.message), JSON.stringify(schema));
    }
    // Recursion that descends into the value is fine: a tree of nodes.
    const tree = checkSchema({ type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } } } }, 'tree.json');
    assert.equal(tree.validate({ children: [{ children: [] }] }).valid, true);
    assert.equal(tree.validate({ children: [1] }).valid, false);
  });

  it('hardening: a schema file with a BOM parses; a syntax error never quotes the file', () => {
    assert.deepEqual(parseSchemaText('\uFEFF{ "type": "string" }', 'bom.json'), { type: 'string' });
    assert.throws(() => parseSchemaText('root:x:0:0:root:/root:/bin/bash\n', 'passwd'), (e: unknown) => e instanceof SchemaError && !/root:x/.test(e.message) && /passwd is not valid JSON/.test(e.message));
  });

  it('hardening: a deep schema_file fails its own assertion; the file’s other case still parses', async () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-deep-')));
    try {
      fs.writeFileSync(path.join(dir, 'deep.schema.json'), `${'{"type":"object","properties":{"a":'.repeat(3000)}{"type":"string"}${'}}'.repeat(3000)}`);
      fs.writeFileSync(path.join(dir, 'loop.schema.json'), '{"$ref":"#"}');
      const file = path.join(dir, 'a.prompttest.yaml');
      fs.writeFileSync(file, [
        'cases:',
        '  - name: deep', '    prompt: hi', '    assert:', '      - type: json-schema', '        schema_file: deep.schema.json',
        '  - name: loop', '    prompt: hi', '    assert:', '      - type: json-schema', '        schema_file: loop.schema.json',
        '  - name: fine', '    prompt: hi', '    assert:', '      - type: contains', '        value: x',
        '',
      ].join('\n'));
      const parsed = await readSuiteFile(file, { root: dir });
      assert.deepEqual(parsed.cases.map((c) => c.name), ['fine']);
      assert.deepEqual(parsed.problems.map((p) => p.range.line), [6, 11]);
      assert.match(parsed.problems[0]!.message, /deep\.schema\.json nests more than 256 levels deep/);
      assert.match(parsed.problems[1]!.message, /loop\.schema\.json refers to itself without end/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hardening: an inline schema nested 20,000 levels in the YAML is one clear problem, not a crash', () => {
    const flow = '{"properties":'.repeat(20_000) + '{}' + '}'.repeat(20_000);
    const parsed = parseSuite(`cases:\n  - name: a\n    prompt: hi\n    assert:\n      - type: json-schema\n        schema: ${flow}\n`);
    assert.equal(parsed.cases.length, 0);
    assert.ok(parsed.problems.length >= 1);
    for (const p of parsed.problems) assert.match(p.message, /nests too deeply to read/);
  });
});
