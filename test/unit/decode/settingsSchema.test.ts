/**
 * Drift test: the strategy settings schemas in package.json and media/prompttest.schema.json are
 * the one the stage registry derives (regenerate with tools/samplers/writeSchemas.ts), and every
 * setting key the registry declares is accepted by strategyFromSettings and by the schema alike.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { strategySettingsSchema } from '../../../src/core/decode/settingsSchema';
import { STRATEGY_SETTING_KEYS, strategyFromSettings } from '../../../src/core/decode/strategies';
import { allParams, STAGES } from '../../../src/core/sampling/registry';

const REPO = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO, file), 'utf8'));
const FIX = 'Run node -r ./test/support/register.cjs tools/samplers/writeSchemas.ts.';

describe('strategy settings schemas, derived from the stage registry', () => {
  it('package.json samplingLab.strategies.items is the derived schema', () => {
    const items = read('package.json').contributes.configuration.properties['samplingLab.strategies'].items;
    assert.deepEqual(items, strategySettingsSchema(), FIX);
  });

  it('media/prompttest.schema.json settings (defaults and cases) are the derived schema', () => {
    const suite = read('media/prompttest.schema.json');
    for (const settings of [suite.properties.defaults.properties.settings, suite.properties.cases.items.properties.settings]) {
      const { description: _, ...schema } = settings;
      assert.deepEqual(schema, strategySettingsSchema(), FIX);
    }
  });

  it('lists every parameter of every stage once, under its setting key, and the parser takes the same keys', () => {
    const keys = allParams().map((p) => p.param.setting);
    assert.equal(new Set(keys).size, keys.length, 'a setting key is declared twice');
    const properties = Object.keys((strategySettingsSchema().properties as object));
    assert.deepEqual([...properties].sort(), [...STRATEGY_SETTING_KEYS].sort());
    assert.equal(new Set(STAGES.map((s) => s.type)).size, STAGES.length);
  });

  it('accepts a value in range for every number parameter and refuses one outside, like strategyFromSettings', () => {
    const validate = new Ajv({ strict: false }).compile(strategySettingsSchema());
    for (const { param } of allParams()) {
      if (param.kind !== 'number') continue;
      const good = { kind: 'custom', [param.setting]: param.default };
      assert.equal(validate(good), true, `${param.setting}=${param.default}: ${JSON.stringify(validate.errors)}`);
      assert.doesNotThrow(() => strategyFromSettings(good), param.setting);
      const bad = { kind: 'custom', [param.setting]: param.min - 1 };
      assert.equal(validate(bad), false, `${param.setting}=${param.min - 1}`);
      assert.throws(() => strategyFromSettings(bad), new RegExp(param.setting));
    }
  });
});
