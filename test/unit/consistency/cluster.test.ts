import * as assert from 'node:assert/strict';
import { clusterAnswers, clusterEntropy, findCluster } from '../../../src/core/consistency';

describe('answer clustering', () => {
  it('puts answers that normalise alike in one cluster, largest cluster first', () => {
    const answers = [' Paris.', 'London', 'paris', 'A: Paris', ' London.', 'Rome'];
    const c = clusterAnswers(answers);
    assert.deepEqual(c.clusters.map((k) => k.members), [[0, 2, 3], [1, 4], [5]]);
    assert.deepEqual(c.clusters.map((k) => k.size), [3, 2, 1]);
    assert.equal(c.clusters[0]!.representative, 'paris');
    assert.equal(c.majorityShare, 3 / 6);
  });

  it('joins lexically similar answers above the threshold and keeps others apart', () => {
    const answers = ['London', 'London, England', 'in London', 'Paris'];
    const c = clusterAnswers(answers, { threshold: 0.5 });
    assert.deepEqual(c.clusters.map((k) => k.members), [[0, 1, 2], [3]]);
    const strict = clusterAnswers(answers, { threshold: 0.9 });
    assert.equal(strict.clusters.length, 4);
  });

  it('is deterministic: ties in size keep the order of first appearance', () => {
    const c = clusterAnswers(['y', 'x', 'x', 'y']);
    assert.deepEqual(c.clusters.map((k) => k.representative), ['y', 'x']);
  });

  it('finds the main answer\'s cluster, or -1 when no sample agrees', () => {
    const samples = ['Paris', 'Paris.', 'Rome'];
    const c = clusterAnswers(samples);
    assert.equal(findCluster('A: paris', c, samples), 0);
    assert.equal(findCluster('Rome, Italy', c, samples), 1);
    assert.equal(findCluster('Berlin', c, samples), -1);
  });

  it('groups empty answers together and never with worded ones', () => {
    const c = clusterAnswers(['', '  ', 'Paris']);
    assert.deepEqual(c.clusters.map((k) => k.members), [[0, 1], [2]]);
  });
});

describe('cluster entropy', () => {
  it('is 0 when every sample agrees', () => {
    const c = clusterAnswers(['Paris', 'paris', 'Paris.']);
    assert.equal(c.entropy, 0);
    assert.equal(c.normalizedEntropy, 0);
  });

  it('is ln N in nats when every sample differs, and 1 normalised', () => {
    const c = clusterAnswers(['Paris', 'Rome', 'Oslo', 'Lima']);
    assert.ok(Math.abs(c.entropy - Math.log(4)) < 1e-12);
    assert.ok(Math.abs(c.normalizedEntropy - 1) < 1e-12);
  });

  it('matches a hand computation for sizes 2, 1, 1', () => {
    // −(½ ln ½ + ¼ ln ¼ + ¼ ln ¼) = 1.5 ln 2 ≈ 1.0397 nats.
    assert.ok(Math.abs(clusterEntropy([2, 1, 1]) - 1.5 * Math.LN2) < 1e-12);
    const c = clusterAnswers(['Paris', 'Paris', 'Rome', 'Oslo']);
    assert.ok(Math.abs(c.entropy - 1.5 * Math.LN2) < 1e-12);
    assert.ok(Math.abs(c.normalizedEntropy - (1.5 * Math.LN2) / Math.log(4)) < 1e-12);
  });

  it('for 8 samples split 5/2/1 is −(5/8 ln 5/8 + 2/8 ln 2/8 + 1/8 ln 1/8) ≈ 0.9003 nats', () => {
    assert.ok(Math.abs(clusterEntropy([5, 2, 1]) - 0.9002560) < 1e-6);
  });
});
