/**
 * The mask-level corpus (issue 14): MaskBench's labelled instances for a fixed, representative
 * subset of the JSONSchemaBench sample in ../shared/benchmarks/jsonschemabench (the first
 * schemas of every subset, in name order, whose schema text is under 4 KB: the CI stays fast;
 * `npm run bench` walks the whole sample). Each instance is walked through the glue's mask on the
 * bundled tokenizer. An invalid instance the mask lets finish fails the build: the route claims
 * every keyword of a compiled schema is enforced. Valid instances the mask refuses are counted
 * (over-constraint) and must stay rare.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConstraintEngines, type ConstraintEngines } from '../../../src/core/structured/constraint';
import { constraintVocabFromTokenizerJson } from '../../../src/core/structured/engines/types';
import { tokenBytesOf } from '../../../src/core/structured/engines/walk';
import { maskCheck } from '../../../src/core/structured/maskCheck';
import { checkSchema } from '../../../src/core/structured/schema';
import { nodeEngineModules } from '../../../src/node/constraintEngines';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SAMPLE = path.resolve(REPO, '..', '..', 'shared', 'benchmarks', 'jsonschemabench', 'data');
const SAMPLE_DIR = fs.existsSync(SAMPLE) ? SAMPLE : path.resolve('/work/shared/benchmarks/jsonschemabench/data');
const PER_SUBSET = 2;
const MAX_SCHEMA_BYTES = 4096;

interface SampleFile {
  name: string;
  schema: unknown;
  tests: Array<{ data: unknown; valid: boolean }>;
}

function subsetOf(): SampleFile[] {
  const bySubset = new Map<string, SampleFile[]>();
  for (const name of fs.readdirSync(SAMPLE_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const text = fs.readFileSync(path.join(SAMPLE_DIR, name), 'utf8');
    const file = JSON.parse(text) as SampleFile;
    if (JSON.stringify(file.schema).length >= MAX_SCHEMA_BYTES) continue;
    const subset = name.split('---')[0]!;
    const list = bySubset.get(subset) ?? [];
    if (list.length < PER_SUBSET) list.push({ ...file, name });
    bySubset.set(subset, list);
  }
  return [...bySubset.values()].flat();
}

const tokenizerJson = JSON.parse(fs.readFileSync(path.join(REPO, 'models', 'facts-lm', 'tokenizer.json'), 'utf8'));
const vocab = constraintVocabFromTokenizerJson(tokenizerJson, 1400, [0]);
const bytes = tokenBytesOf(vocab);

describe('the mask on JSONSchemaBench instances (a fixed subset of the sample)', function () {
  this.timeout(120_000);
  let engines: ConstraintEngines;
  before(function () {
    if (!fs.existsSync(SAMPLE_DIR)) throw new Error(`the JSONSchemaBench sample is missing at ${SAMPLE_DIR}`);
    engines = createConstraintEngines(nodeEngineModules(), vocab);
  });
  after(() => engines?.dispose());

  const files = fs.existsSync(SAMPLE_DIR) ? subsetOf() : [];
  let compiled = 0;
  let validRefused = 0;
  let validWalked = 0;
  for (const file of files) {
    it(`lets no invalid instance of ${file.name} through`, async () => {
      // The labels are Python's and Rust's jsonschema; where ajv (the judge of our outputs) disagrees, ajv's word counts.
      let checked;
      try {
        checked = checkSchema(file.schema);
      } catch {
        return; // refused up front, by name (the bench counts these)
      }
      const tests = file.tests.map((t) => ({ data: t.data, valid: checked.validate(t.data).valid }));
      const result = await maskCheck(engines, file.schema, tests, bytes);
      if (result.refused) return;
      compiled++;
      validWalked += tests.filter((t) => t.valid).length;
      validRefused += result.validationErrors;
      const leaked = result.wrong.filter((w) => !w.valid).map((w) => w.text.slice(0, 300));
      assert.deepEqual(leaked, [], `${result.engine} let invalid instances through`);
    });
  }

  it('compiles most of the subset, and refuses few valid instances', () => {
    assert.ok(files.length >= 20, `only ${files.length} files in the subset`);
    assert.ok(compiled >= files.length * 0.7, `compiled ${compiled} of ${files.length}`);
    assert.ok(validRefused <= Math.ceil(validWalked * 0.1), `${validRefused} of ${validWalked} valid instances refused`);
  });
});
