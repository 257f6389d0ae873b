import * as assert from 'node:assert/strict';
import { createXGrammarEngine } from '../../../src/core/structured/engines/xgrammar';
import type { ConstraintEngine } from '../../../src/core/structured/engines/types';
import { boundsSchema, integerRangeOf, PROBE_VOCAB, xgrammarHoldsRange } from '../../../src/core/structured/integerRanges';
import { loadXGrammar } from '../../../src/node/constraintEngines';

describe('integer ranges', () => {
  it('reads inclusive bounds from minimum/maximum and the exclusive ones, on integers with both sides only', () => {
    assert.deepEqual(integerRangeOf({ type: 'integer', minimum: 1900, maximum: 1999 }), { min: 1900, max: 1999 });
    assert.deepEqual(integerRangeOf({ type: 'integer', exclusiveMinimum: -50, exclusiveMaximum: 60 }), { min: -49, max: 59 });
    assert.deepEqual(integerRangeOf({ type: 'integer', minimum: 0.5, maximum: 9.5 }), { min: 1, max: 9 });
    assert.deepEqual(integerRangeOf({ type: 'integer', minimum: 3, exclusiveMinimum: 5, maximum: 10 }), { min: 6, max: 10 }, 'the tighter bound wins');
    assert.equal(integerRangeOf({ type: 'integer', minimum: 0 }), undefined, 'one side: nothing to walk to');
    assert.equal(integerRangeOf({ type: 'number', minimum: 0, maximum: 1 }), undefined);
    assert.deepEqual(boundsSchema({ type: 'integer', minimum: 1, maximum: 2, description: 'x' }), { type: 'integer', minimum: 1, maximum: 2 });
  });

  describe("XGrammar's grammar for them, walked", function () {
    this.timeout(60_000);
    let probe: ConstraintEngine;
    before(async () => {
      probe = await createXGrammarEngine(loadXGrammar(), PROBE_VOCAB);
    });
    after(() => probe.dispose());
    const holds = (node: Record<string, unknown>) => xgrammarHoldsRange(probe, boundsSchema(node), integerRangeOf(node)!);

    it('holds for a year in 1900–1999, small ranges and ranges across zero', async () => {
      assert.equal(await holds({ type: 'integer', minimum: 1900, maximum: 1999 }), true);
      assert.equal(await holds({ type: 'integer', minimum: 1, maximum: 12 }), true);
      assert.equal(await holds({ type: 'integer', exclusiveMinimum: -50, exclusiveMaximum: 60 }), true);
    });

    it('does not hold for 1776–1864, where XGrammar lets any 1xxx through', async () => {
      assert.equal(await holds({ type: 'integer', minimum: 1776, maximum: 1864 }), false);
    });

    it('is not trusted for ranges too wide to walk', async () => {
      assert.equal(await holds({ type: 'integer', minimum: 0, maximum: 1_000_000 }), false);
    });
  });
});
