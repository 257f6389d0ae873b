import * as assert from 'node:assert/strict';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { auroc, FACTS_LM_CALIBRATION, scoreConsistency } from '../../src/core/consistency';
import { splitHalves } from '../../tools/eval/facts';
import { bundledModel, cityQuestion, world } from '../support/model';

describe('hallucination risk on the bundled model', function () {
  this.timeout(300_000);

  it('ranks held-out people above known people (AUROC ≥ 0.85, seeded, evaluation half)', async () => {
    const model = await bundledModel();
    // The evaluation halves, never the calibration halves the thresholds were fitted on.
    const known = splitHalves(world('known'), 2024).evaluation.slice(0, 60);
    const heldout = splitHalves(world('heldout'), 2025).evaluation.slice(0, 40);
    const strategies = [strategyFromSettings({ kind: 'greedy' }), strategyFromSettings({ kind: 'temperature', temperature: 1 })];
    const scores: number[] = [];
    const labels: boolean[] = [];
    const bands = { known: new Map<string, number>(), heldout: new Map<string, number>() };
    for (const [people, unknown] of [[known, false], [heldout, true]] as const) {
      for (const person of people) {
        const prompt = cityQuestion(person.name);
        const r = await compareStrategies(model, prompt, strategies, { maxNewTokens: 12, seed: 42, samples: 8, stopStrings: ['\n'] });
        const main = r.results[0]!.best;
        const score = scoreConsistency({
          prompt,
          main: { text: main.text, tokenLogprobs: main.tokens.map((t) => t.logprobRaw) },
          samples: r.results[1]!.completions.map((c) => c.text),
          calibration: FACTS_LM_CALIBRATION,
        });
        assert.ok(score.risk >= 0 && score.risk <= 1);
        scores.push(score.risk);
        labels.push(unknown);
        const tally = unknown ? bands.heldout : bands.known;
        tally.set(score.band, (tally.get(score.band) ?? 0) + 1);
      }
    }
    const area = auroc(scores, labels);
    console.log(`      AUROC ${area.toFixed(3)}; bands known ${JSON.stringify([...bands.known])}, held-out ${JSON.stringify([...bands.heldout])}`);
    assert.ok(area >= 0.85, `AUROC ${area}`);
  });
});
