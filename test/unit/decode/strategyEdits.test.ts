import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  addStrategy,
  changeKind,
  checkStrategies,
  displayName,
  duplicateStrategy,
  formParams,
  MAX_STRATEGIES,
  moveStrategy,
  otherSettings,
  removeStrategy,
  StrategyEditError,
  withFields,
  type StrategyEntry,
} from '../../../src/core/decode/strategyEdits';
import { strategySettingsSchema } from '../../../src/core/decode/settingsSchema';

const packageJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: unknown } };

const list = (): StrategyEntry[] => [
  { kind: 'greedy' },
  { name: 'warm', kind: 'top_p', topP: 0.9, temperature: 0.7, repetitionPenalty: 1.1 },
  { kind: 'top_k', topK: 20 },
];

describe('editing the strategy list (the panel form)', () => {
  it('adds an entry of a kind with its preset written out, at the end', () => {
    const before = list();
    const after = addStrategy(before, 'min_p');
    assert.deepEqual(after[3], { kind: 'min_p', minP: 0.1 });
    assert.equal(after.length, 4);
    assert.equal(before.length, 3, 'the input list is not changed');
  });

  it(`refuses a ${MAX_STRATEGIES + 1}th entry, and duplicating past ${MAX_STRATEGIES}, with the fix in the message`, () => {
    const full = Array.from({ length: MAX_STRATEGIES }, () => ({ kind: 'greedy' }));
    assert.throws(() => addStrategy(full, 'greedy'), (e: Error) => e instanceof StrategyEditError && /at most 12 strategies; remove one/.test(e.message));
    assert.throws(() => duplicateStrategy(full, 0), /remove one before duplicating/);
  });

  it('duplicates an entry right after it, every setting copied, named "<name> copy"', () => {
    const before = list();
    const after = duplicateStrategy(before, 1);
    assert.deepEqual(after[2], { ...before[1], name: 'warm copy' });
    assert.notEqual(after[2], before[1], 'a copy, not the same object');
    // An unnamed entry's copy takes the name its card shows.
    assert.equal(duplicateStrategy(before, 2)[3]!.name, 'top-k 20 copy');
  });

  it('removes an entry, but never the last one', () => {
    assert.deepEqual(removeStrategy(list(), 0).map((e) => e.kind), ['top_p', 'top_k']);
    assert.throws(() => removeStrategy([{ kind: 'greedy' }], 0), /at least one strategy; add another before removing/);
    assert.throws(() => removeStrategy(list(), 3), /There is no strategy 4; the list has 3/);
  });

  it('moves an entry up, down and to the ends, clamped at the edges', () => {
    const kinds = (l: StrategyEntry[]) => l.map((e) => e.kind);
    assert.deepEqual(kinds(moveStrategy(list(), 2, 1)), ['greedy', 'top_k', 'top_p']);
    assert.deepEqual(kinds(moveStrategy(list(), 0, 1)), ['top_p', 'greedy', 'top_k']);
    assert.deepEqual(kinds(moveStrategy(list(), 0, -1)), ['greedy', 'top_p', 'top_k']);
    assert.deepEqual(kinds(moveStrategy(list(), 0, 99)), ['top_p', 'top_k', 'greedy']);
  });

  it('shows each kind its own parameters with the registry ranges, and keeps the rest as other settings', () => {
    assert.deepEqual(formParams('top_p').map((p) => [p.setting, p.min, p.max]), [
      ['temperature', 0, Infinity],
      ['topP', 0, 1],
    ]);
    assert.equal(formParams('top_k')[1]!.integer, true);
    assert.deepEqual(formParams('greedy'), []);
    assert.deepEqual(otherSettings(list()[1]!), { repetitionPenalty: 1.1 });
    // Other settings replaced, shown fields kept, nothing else lost.
    const edited = withFields(list()[1]!, { name: 'warm', kind: 'top_p', topP: 0.8, temperature: 0.7 }, { repetitionPenalty: 1.2, minKeep: 2 });
    assert.deepEqual(edited, { name: 'warm', kind: 'top_p', topP: 0.8, temperature: 0.7, repetitionPenalty: 1.2, minKeep: 2 });
  });

  it("changes kind: the new kind's preset, temperature and other settings carried, the old kind's own parameter dropped", () => {
    assert.deepEqual(changeKind({ name: 'k', kind: 'top_k', topK: 5, temperature: 0.6, repetitionPenalty: 1.3 }, 'top_p'), {
      name: 'k',
      kind: 'top_p',
      topP: 0.9,
      temperature: 0.6,
      repetitionPenalty: 1.3,
    });
    assert.deepEqual(changeKind({ kind: 'temperature', temperature: 0.6 }, 'greedy'), { kind: 'greedy' });
  });

  it('names entries as their cards do', () => {
    assert.equal(displayName({ name: '  mine ' }, 0), 'mine');
    assert.equal(displayName({ kind: 'top_p', topP: 0.5 }, 0), 'top-p 0.5');
    assert.equal(displayName({ kind: 'nope' }, 4), 'strategy 5');
  });
});

describe('checking the strategy list before it is saved', () => {
  it('accepts the default list and the list above', () => {
    assert.deepEqual(checkStrategies(list()), []);
    const defaults = (packageJson.contributes.configuration as { properties: Record<string, { default?: unknown }> }).properties['samplingLab.strategies']!.default as unknown[];
    assert.deepEqual(checkStrategies(defaults), []);
  });

  it('names the entry, the setting and the fix for a bad value, by the same parser a run uses', () => {
    const problems = checkStrategies([{ kind: 'greedy' }, { kind: 'top_p', topP: 1.5 }]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.index, 1);
    assert.equal(problems[0]!.setting, 'samplingLab.strategies[1].topP');
    assert.match(problems[0]!.message, /samplingLab\.strategies\[1\]\.topP must be in \(0, 1\] \(got 1\.5\)/);
  });

  it('rejects keys that are not settings (a typo would be ignored by a run), listing the known ones', () => {
    const [problem] = checkStrategies([{ kind: 'top_p', topp: 0.5 }]);
    assert.equal(problem!.setting, 'samplingLab.strategies[0].topp');
    assert.match(problem!.message, /has "topp", which is not a setting of a strategy\. Known: name, kind, .*topP/);
  });

  it('rejects an unknown kind and an entry that is not an object', () => {
    assert.match(checkStrategies([{ kind: 'nucleus' }])[0]!.message, /kind is "nucleus", which is not a strategy\. Use one of: greedy, temperature/);
    assert.match(checkStrategies([42])[0]!.message, /\[0\] must be an object/);
  });

  it('bounds the list as the settings schema does', () => {
    assert.match(checkStrategies([])[0]!.message, /needs at least one strategy/);
    const many = Array.from({ length: MAX_STRATEGIES + 2 }, () => ({ kind: 'greedy' }));
    assert.match(checkStrategies(many)[0]!.message, /has 14 strategies; at most 12 fit a comparison\. Remove 2\./);
    const schema = (packageJson.contributes.configuration as { properties: Record<string, { minItems?: number; maxItems?: number }> }).properties['samplingLab.strategies']!;
    assert.deepEqual([schema.minItems, schema.maxItems], [1, MAX_STRATEGIES], 'the same bounds as package.json');
  });

  it('allows exactly the keys the settings schema allows', () => {
    const keys = Object.keys((strategySettingsSchema() as { properties: Record<string, unknown> }).properties);
    const entry = Object.fromEntries(keys.map((k) => [k, undefined]));
    assert.deepEqual(checkStrategies([{ ...entry, kind: 'greedy' }]), []);
  });
});
