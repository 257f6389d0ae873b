import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../../src/cli/args';
import { parseJsonArgs, readSchemaFile, renderRoutesTable } from '../../../src/cli/json';
import { SchemaError } from '../../../src/core/structured/schema';
import type { StructuredRoutesResult } from '../../../src/core/structured/routes';

const person = path.resolve(__dirname, '..', '..', 'fixtures', 'schemas', 'person.schema.json');

describe('sampling-lab json', () => {
  it('reads the schema, prompt and strategy, with "\\n" as a newline', () => {
    const args = parseJsonArgs(['--schema', person, '--strategy', 'top-p', '--top-p', '0.8', '--seed', '5', '--samples', '3', 'JSON for Ada:\\n']);
    assert.ok(args !== 'help');
    assert.equal(args.prompt, 'JSON for Ada:\n');
    assert.equal(args.strategy.name, 'top-p 0.8');
    assert.equal(args.seed, 5);
    assert.equal(args.samples, 3);
    assert.deepEqual(args.routes, ['prompting', 'repair', 'constrained', 'test_time']);
    assert.equal(args.strictProperties, false);
    const strict = parseJsonArgs(['--schema', person, '--strict-properties', 'JSON for Ada:\\n']);
    assert.ok(strict !== 'help' && strict.strictProperties);
  });

  it('asks for --schema, a prompt, a known strategy and known routes', () => {
    assert.throws(() => parseJsonArgs(['x']), (e: Error) => e instanceof UsageError && /--schema is required/.test(e.message));
    assert.throws(() => parseJsonArgs(['--schema', person]), /No prompt given/);
    assert.throws(() => parseJsonArgs(['--schema', person, '--strategy', 'nucleus', 'x']), /Unknown strategy "nucleus"/);
    assert.throws(() => parseJsonArgs(['--schema', person, '--routes', 'constrained,magic', 'x']), /--routes takes a comma-separated subset/);
    assert.throws(() => parseJsonArgs(['--schema', person, '--strategy', 'top-p', '--top-p', '2', 'x']), /--top-p must be in \(0, 1\]/);
  });

  it('names a missing schema file, and a file that is not a schema', () => {
    assert.throws(() => readSchemaFile('/no/such/file.schema.json'), /--schema: \/no\/such\/file\.schema\.json does not exist/);
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-')), 'bad.schema.json');
    fs.writeFileSync(bad, '{"type": "object", "properties": {"born": {"type": "integr"}}}');
    assert.throws(() => readSchemaFile(bad), (e: Error) => e instanceof SchemaError && /\/properties\/born\/type must be equal to one of the allowed values/.test(e.message));
    assert.deepEqual(readSchemaFile(person), JSON.parse(fs.readFileSync(person, 'utf8')));
  });

  it('prints the routes as columns, with errors and a route that could not run', () => {
    const route = { tries: 1, tokens: 3, timeMs: 12, note: 'n', attempts: [], outputTokens: [], vocabSize: 1400 };
    const result: StructuredRoutesResult = {
      prompt: 'p',
      strategy: 'greedy',
      seed: 1,
      elapsedMs: 20,
      routes: [
        { ...route, route: 'prompting', title: 'Prompting + validation', output: '{\n  "born": 2053\n}', valid: false, issues: [{ path: '/born', message: 'must be <= 1999' }] },
        { ...route, route: 'constrained', title: 'Constrained sampling', output: '', valid: false, issues: [], error: 'Constrained decoding cannot enforce this schema.' },
      ],
    };
    const table = renderRoutesTable(result, 100);
    assert.match(table, /Prompting \+ validation\s+│ Constrained sampling/);
    assert.match(table, /✗ invalid\s+│ – not run/);
    assert.match(table, /\/born must be <= 1999/);
    assert.match(table, /Constrained decoding cannot enforce this schema\./);
  });
});
