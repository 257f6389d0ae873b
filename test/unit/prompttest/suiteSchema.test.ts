/** media/prompttest.schema.json (editor completion) and the parser describe the same format. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { ASSERTION_TYPES, parseSuite, SUITE_KEYS } from '../../../src/core/prompttest';

const REPO = path.resolve(__dirname, '..', '..', '..');
const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'media', 'prompttest.schema.json'), 'utf8'));
const examples = path.join(REPO, 'examples', 'prompts');
const exampleFiles = fs.readdirSync(examples).filter((f) => f.endsWith('.prompttest.yaml'));

describe('the prompt test suite JSON schema', () => {
  it('lists the keys the parser accepts at every level', () => {
    assert.deepEqual(Object.keys(schema.properties).sort(), [...SUITE_KEYS.top].sort());
    assert.deepEqual(Object.keys(schema.properties.defaults.properties).sort(), [...SUITE_KEYS.defaults].sort());
    assert.deepEqual(Object.keys(schema.properties.cases.items.properties).sort(), [...SUITE_KEYS.case].sort());
    assert.deepEqual(Object.keys(schema.properties.defaults.properties.settings.properties).sort(), [...SUITE_KEYS.settings].sort());
  });

  it('lists every assertion type with the options the parser takes for it', () => {
    const assertion = schema.definitions.assertion;
    assert.deepEqual(assertion.properties.type.enum, [...ASSERTION_TYPES]);
    for (const branch of assertion.allOf) {
      const type = branch.if.properties.type.const as keyof typeof SUITE_KEYS.assertion;
      assert.deepEqual(Object.keys(branch.then.properties).sort(), [...SUITE_KEYS.assertion[type]].sort(), type);
    }
  });

  it('takes inline settings exactly as the samplingLab.strategies setting does', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const { description: _, ...settings } = schema.properties.defaults.properties.settings;
    const { description: __, ...fromPackage } = pkg.contributes.configuration.properties['samplingLab.strategies'].items;
    assert.deepEqual(settings, fromPackage);
  });

  it('accepts the example suites, which also parse without problems', () => {
    assert.ok(exampleFiles.length >= 2);
    const validate = new Ajv({ strict: false }).compile(schema);
    for (const file of exampleFiles) {
      const text = fs.readFileSync(path.join(examples, file), 'utf8');
      assert.equal(validate(parse(text)), true, `${file}: ${JSON.stringify(validate.errors)}`);
      const parsed = parseSuite(text, { readFile: (p) => fs.readFileSync(path.join(examples, p), 'utf8') });
      assert.deepEqual(parsed.problems, [], file);
    }
  });

  it('rejects what the parser rejects: an unknown assertion type and a missing value', () => {
    const validate = new Ajv({ strict: false }).compile(schema);
    assert.equal(validate(parse('cases:\n  - name: a\n    prompt: hi\n    assert: [{ type: containz, value: x }]\n')), false);
    assert.equal(validate(parse('cases:\n  - name: a\n    prompt: hi\n    assert: [{ type: contains }]\n')), false);
  });
});
