import * as assert from 'node:assert/strict';
import {
  answerNoun,
  CalibrationError,
  checkCalibration,
  ConsistencyError,
  explainRisk,
  FACTS_LM_CALIBRATION,
  RISK_BANDS,
  RISK_PARTS,
  riskBand,
  riskLogit,
  riskScore,
  SAMPLE_PARTS,
  scoreConsistency,
  uncalibratedScore,
  type Calibration,
  type RiskBand,
  type RiskParts,
} from '../../../src/core/consistency';

const ORDER: Record<RiskBand, number> = { Low: 0, Medium: 1, High: 2 };

/** A small visible calibration for tests: equal weights on the sample parts. */
const fixture: Calibration = {
  version: 2,
  model: { name: 'test', fingerprint: 'sha256:test' },
  meta: { note: 'test fixture' },
  features: [...RISK_PARTS],
  weights: [2, 2, 2, 1, 1],
  bias: -2.5,
  bands: { ...RISK_BANDS },
};

const main = (text: string) => ({ text, tokenLogprobs: [-0.1, -0.5, -0.05] });
const OTHERS = ['Rome.', 'Oslo.', 'Lima.', 'Kyiv.', 'Baku.', 'Doha.', 'Riga.', 'Bern.'];

describe('risk bands', () => {
  it('never go down as the risk goes up', () => {
    for (const calibration of [fixture, FACTS_LM_CALIBRATION]) {
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

  it('refuse a calibration with a negative weight, a missing weight or an old format', () => {
    assert.throws(() => checkCalibration({ ...fixture, weights: [1, -0.5, 1, 1, 1] }), (e: unknown) => e instanceof CalibrationError && /≥ 0/.test(e.message));
    assert.throws(() => checkCalibration({ ...fixture, weights: [1] }), /5 parts but 1 weights/);
    assert.throws(() => checkCalibration({ ...fixture, version: 1 } as unknown as Calibration), /version 1; version 2 is needed/);
  });
});

describe('the score stays monotone in its parts', () => {
  // Every part, on a grid of starting points, raised step by step: the risk never falls.
  const grid = [0, 0.25, 0.5, 0.75, 1];
  for (const calibration of [FACTS_LM_CALIBRATION, fixture, undefined]) {
    it(`raising any part never lowers the ${calibration ? `${calibration.model.name} calibrated` : 'uncalibrated'} risk`, () => {
      if (calibration) checkCalibration(calibration);
      const score = (p: RiskParts) => (calibration ? riskScore(p, calibration) : uncalibratedScore(p));
      for (const part of RISK_PARTS) {
        for (const base of grid) {
          const start: RiskParts = { disagreement: base, entropy: base, unbacked: base, lowConfidence: base, weakestToken: base };
          let previous = -Infinity;
          for (let x = 0; x <= 1.0000001; x += 0.05) {
            const r = score({ ...start, [part]: x });
            assert.ok(r >= previous - 1e-12, `${part} ${x.toFixed(2)} from ${base}: ${r} < ${previous}`);
            previous = r;
          }
        }
      }
    });
  }

  it('facts-lm\'s calibration gives every sample part weight, and the samples at least as much as the log-probs', () => {
    const w = (names: readonly string[]) => names.reduce((s, n) => s + FACTS_LM_CALIBRATION.weights[FACTS_LM_CALIBRATION.features.indexOf(n as never)]!, 0);
    for (const p of SAMPLE_PARTS) assert.ok(w([p]) > 0, `${p} has weight 0`);
    assert.ok(w(['lowConfidence', 'weakestToken']) <= w(SAMPLE_PARTS) + 1e-6);
  });

  it('the risk rises as more samples disagree (facts-lm calibrated and uncalibrated)', () => {
    for (const calibration of [FACTS_LM_CALIBRATION, undefined]) {
      let previous = -1;
      for (let agreeing = 8; agreeing >= 0; agreeing--) {
        const samples = [...Array(agreeing).fill(' Paris.'), ...OTHERS.slice(0, 8 - agreeing)];
        const r = scoreConsistency({ main: main(' Paris.'), samples, calibration });
        // The logit, not σ of it: σ rounds to 1 in floating point long before the logit stops rising.
        const value = calibration ? riskLogit(r.parts, calibration) : r.risk;
        assert.ok(value > previous, `the samples did not count: ${agreeing} agreeing scored ${value}, previously ${previous}`);
        previous = value;
      }
    }
  });

  it('a unanimous correct answer is not High from one token at p = 0.978 (facts-lm calibration)', () => {
    // The issue's case: the answer's two tokens (city, full stop), one at p = 0.978; the previous
    // log-prob-only calibration put exactly this in High (risk 0.126 ≥ its 0.116 cut).
    const r = scoreConsistency({
      main: { text: ' Glenbarra.', tokenLogprobs: [Math.log(0.978), -0.0002] },
      samples: Array(8).fill(' Glenbarra.'),
      prompt: 'Q: Where was Breithba Basfeith born?\nA:',
      calibration: FACTS_LM_CALIBRATION,
    });
    assert.notEqual(r.band, 'High');
    assert.equal(r.band, 'Low', `risk ${r.risk}`);
  });

  it('the same unanimous answer with a doubtful token (p = 0.6) rises out of Low', () => {
    const r = scoreConsistency({
      main: { text: ' Glenbarra.', tokenLogprobs: [-0.0004, Math.log(0.6), -0.0002] },
      samples: Array(8).fill(' Glenbarra.'),
      calibration: FACTS_LM_CALIBRATION,
    });
    assert.notEqual(r.band, 'Low', `risk ${r.risk}`);
  });
});

describe('an uncalibrated model', () => {
  it('gets the raw parts, the mean of the sample parts as its score and the word "uncalibrated", never a band', () => {
    const r = scoreConsistency({ main: main(' Paris.'), samples: [' Paris.', ' Paris.', ' Rome.', ' Oslo.'] });
    assert.equal(r.band, 'uncalibrated');
    assert.equal(r.calibrated, false);
    assert.equal(r.parts.disagreement, 0.5);
    assert.ok(Math.abs(r.risk - (r.parts.disagreement + r.parts.entropy + r.parts.unbacked) / 3) < 1e-12);
    assert.ok(Math.abs(r.parts.lowConfidence - (1 - Math.exp(-0.65 / 3))) < 1e-12);
    assert.ok(Math.abs(r.parts.weakestToken - (1 - Math.exp(-0.5))) < 1e-12);
  });

  it('does not take its score from log-probs, whose scale differs between models', () => {
    const a = scoreConsistency({ main: { text: ' Paris.', tokenLogprobs: [-0.01] }, samples: Array(4).fill(' Paris.') });
    const b = scoreConsistency({ main: { text: ' Paris.', tokenLogprobs: [-3] }, samples: Array(4).fill(' Paris.') });
    assert.equal(a.risk, b.risk);
    assert.ok(b.parts.weakestToken > a.parts.weakestToken);
  });

  it('scores a token the raw distribution gave no mass as no confidence at all', () => {
    const r = scoreConsistency({ main: { text: ' Paris.', tokenLogprobs: [-0.1, -Infinity] }, samples: Array(4).fill(' Paris.'), calibration: fixture });
    assert.equal(r.parts.weakestToken, 1);
    assert.ok(Number.isFinite(r.risk));
  });
});

describe('the self-consistency check', () => {
  it('reports clusters, agreement, entropy, sentences with offsets, log-probs, parts, risk and band', () => {
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
    assert.ok(Math.abs(r.meanLogprob - -0.5) < 1e-12);
    assert.equal(r.minLogprob, -1.0);
    assert.equal(r.parts.disagreement, 3 / 8);
    assert.ok(r.risk > 0 && r.risk < 1);
    assert.equal(r.calibrated, true);
    assert.equal(r.explanation, '3 of 8 samples name a different city (3 different answers in all).');
  });

  it('takes clusters and sentence support made elsewhere (an NLI model) in place of the lexical ones', () => {
    const lexical = scoreConsistency({ main: main(' Paris.'), samples: [' Paris.', ' the capital of France.'] });
    assert.equal(lexical.agreement, 0.5);
    const semantic = scoreConsistency({
      main: main(' Paris.'),
      samples: [' Paris.', ' the capital of France.'],
      clustering: { clustering: { clusters: [{ members: [0, 1], size: 2, representative: 'paris', example: 'Paris.' }], majorityShare: 1, entropy: 0, normalizedEntropy: 0 }, mainCluster: 0 },
      sentenceSupport: [{ risk: 0.1 }],
    });
    assert.equal(semantic.agreement, 1);
    assert.equal(semantic.parts.unbacked, 0.1);
    assert.throws(() => scoreConsistency({ main: main(' Paris.'), samples: ['a', 'b'], sentenceSupport: [] }), /given for 0 sentences but the main answer has 1/);
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
