import * as assert from 'node:assert/strict';
import {
  answerNoun,
  checkCalibration,
  ConsistencyError,
  DEFAULT_CALIBRATION,
  explainRisk,
  RISK_FEATURES,
  riskBand,
  scoreConsistency,
  type Calibration,
  type RiskBand,
} from '../../../src/core/consistency';

const ORDER: Record<RiskBand, number> = { Low: 0, Medium: 1, High: 2 };

/** A small visible calibration for tests: equal weights, no scaling. */
const fixture: Calibration = {
  meta: { note: 'test fixture' },
  features: [...RISK_FEATURES],
  center: RISK_FEATURES.map(() => 0),
  scale: RISK_FEATURES.map(() => 1),
  weights: [1, 1, 1, 1, 1, 0, 0],
  bias: -2,
  bands: { medium: 0.3, high: 0.7 },
};

const main = (text: string) => ({ text, tokenLogprobs: [-0.1, -0.5, -0.05] });

describe('risk bands', () => {
  it('never go down as the risk goes up', () => {
    for (const calibration of [fixture, DEFAULT_CALIBRATION]) {
      let previous = 0;
      for (let r = 0; r <= 1.0000001; r += 0.001) {
        const band = ORDER[riskBand(r, calibration)];
        assert.ok(band >= previous, `band fell at risk ${r}`);
        previous = band;
      }
      assert.equal(riskBand(0, calibration), 'Low');
      assert.equal(riskBand(1, calibration), 'High');
    }
  });

  it('the bundled calibration never lowers the risk when more samples disagree', () => {
    checkCalibration(DEFAULT_CALIBRATION);
    assert.ok(DEFAULT_CALIBRATION.weights.every((w) => w >= 0));
    const others = ['Rome.', 'Oslo.', 'Lima.', 'Kyiv.', 'Baku.', 'Doha.', 'Riga.', 'Bern.'];
    let previous = -1;
    for (let agreeing = 8; agreeing >= 0; agreeing--) {
      const samples = [...Array(agreeing).fill(' Paris.'), ...others.slice(0, 8 - agreeing)];
      const r = scoreConsistency({ main: main(' Paris.'), samples });
      assert.ok(r.risk >= previous - 1e-12, `risk fell to ${r.risk} with ${agreeing} agreeing`);
      previous = r.risk;
    }
  });

  it('put unanimous samples in a lower band than scattered ones', () => {
    const agree = scoreConsistency({ main: main(' Paris.'), samples: Array(8).fill('Paris.'), calibration: fixture });
    const scatter = scoreConsistency({
      main: main(' Paris.'),
      samples: ['Rome.', 'Oslo.', 'Lima.', 'Kyiv.', 'Baku.', 'Doha.', 'Riga.', 'Bern.'],
      calibration: fixture,
    });
    assert.equal(agree.band, 'Low');
    assert.equal(scatter.band, 'High');
  });

  it('refuse a calibration whose arrays do not line up', () => {
    assert.throws(() => checkCalibration({ ...fixture, weights: [1] }), /7 features but has 7\/7\/1/);
  });
});

describe('the self-consistency check', () => {
  it('reports clusters, agreement, entropy, sentences with offsets, log-probs, risk and band', () => {
    const r = scoreConsistency({
      main: { text: ' Paris.', tokenLogprobs: [-0.2, -1.0, -0.3] },
      samples: [' Paris.', ' Paris.', ' Paris.', ' Rome.', ' Paris.', ' Oslo.', ' Paris.', ' Rome.'],
      prompt: 'Q: In which city was Ana Lind born?\nA:',
      calibration: fixture,
    });
    assert.deepEqual(r.clusters.map((c) => c.size), [5, 2, 1]);
    assert.equal(r.mainCluster, 0);
    assert.equal(r.agreement, 5 / 8);
    assert.equal(r.majorityShare, 5 / 8);
    assert.ok(Math.abs(r.entropy - 0.900256) < 1e-6);
    assert.deepEqual(r.sentences.map((s) => [s.text, s.start, s.end]), [['Paris.', 1, 7]]);
    assert.ok(Math.abs(r.meanLogprob! - -0.5) < 1e-12);
    assert.equal(r.minLogprob, -1.0);
    assert.ok(r.risk > 0 && r.risk < 1);
    assert.equal(r.explanation, '3 of 8 samples name a different city (3 different answers in all).');
  });

  it('says when every sample agrees', () => {
    const r = scoreConsistency({ main: main('A: Paris'), samples: ['Paris', 'paris.'], calibration: fixture });
    assert.equal(r.explanation, 'All 2 samples agree with the main answer.');
  });

  it('names the least backed sentence of a long answer', () => {
    const r = scoreConsistency({
      main: main('Ana Lind was born in Paris. She works as a pilot.'),
      samples: ['Ana Lind was born in Paris. She is a baker.', 'Ana Lind, born in Paris, is a nurse.', 'Born in Paris, Ana Lind bakes.'],
      calibration: fixture,
    });
    assert.ok(r.sentences[1]!.risk > r.sentences[0]!.risk);
    assert.match(r.explanation, /^1 of 2 sentences are not backed by most of the 3 samples; least backed: "She works as a pilot\."/);
  });

  it('needs at least 2 samples', () => {
    assert.throws(() => scoreConsistency({ main: main('Paris'), samples: ['Paris'] }), (e: unknown) =>
      e instanceof ConsistencyError && /^Need at least 2 samples to measure agreement \(got 1\)/.test(e.message));
    assert.throws(() => scoreConsistency({ main: main('Paris'), samples: [] }), /got 0/);
  });

  it('refuses an empty main answer', () => {
    assert.throws(() => scoreConsistency({ main: main('   '), samples: ['a', 'b'] }), (e: unknown) =>
      e instanceof ConsistencyError && /The main answer is empty/.test(e.message));
  });

  it('refuses a main answer with no sentences', () => {
    assert.throws(() => scoreConsistency({ main: main(' ... '), samples: ['Paris', 'Rome'] }), (e: unknown) =>
      e instanceof ConsistencyError && /has no sentences to score/.test(e.message));
  });

  it('refuses log-probs above zero, and a main answer without log-probs', () => {
    assert.throws(() => scoreConsistency({ main: { text: 'Paris', tokenLogprobs: [0.5] }, samples: ['a', 'b'] }), /≤ 0/);
    assert.throws(() => scoreConsistency({ main: { text: 'Paris', tokenLogprobs: [] }, samples: ['Paris', 'Rome'] }), (e: unknown) =>
      e instanceof ConsistencyError && /token log-probs are missing/.test(e.message));
  });

  it('blames the model\'s confidence when every sample agrees but the risk is not low', () => {
    const r = scoreConsistency({ main: { text: ' Paris.', tokenLogprobs: [-0.01, -2.3, -0.02] }, samples: Array(8).fill(' Paris.'), calibration: { ...fixture, bias: 10 } });
    assert.equal(r.band, 'High');
    assert.equal(r.explanation, 'All 8 samples agree with the main answer; the risk comes from the model\'s confidence in it (least likely token: log-prob -2.30, p = 0.10).');
  });
});

describe('explanations', () => {
  it('name what the question asks for', () => {
    assert.equal(answerNoun('Q: In which city was Ana Lind born?\nA:'), 'city');
    assert.equal(answerNoun('Q: Where was Ana Lind born?\nA:'), 'birthplace');
    assert.equal(answerNoun("Q: What is Ana Lind's birthplace?\nA:"), 'birthplace');
    assert.equal(answerNoun('Where is the museum?'), 'place');
    assert.equal(answerNoun("Q: What is Ana Lind's profession?\nA:"), 'profession');
    assert.equal(answerNoun('Q: In what year was Ana Lind born?\nA:'), 'year');
    assert.equal(answerNoun('Q: When was Ana Lind born?\nA:'), 'date');
    assert.equal(answerNoun('Tell me about Ana Lind.'), undefined);
  });

  it('fall back to "disagree with the main answer" when the question is unclear', () => {
    const line = explainRisk({ samples: 8, agreeing: 3, clusters: 4, sentences: [{ text: 'x', risk: 1, weakestWords: [] }], band: 'High' });
    assert.equal(line, '5 of 8 samples disagree with the main answer (4 different answers in all).');
  });
});
