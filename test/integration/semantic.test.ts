/**
 * Semantic agreement with real runtimes: an NLI cross-encoder generated at test time
 * (test/support/tinyNli.ts) loaded through transformers.js, and the bundled model as a
 * SelfCheckGPT-Prompt judge. Plumbing, not accuracy: what the models say reaches the clusters,
 * the sentence risks and the score.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  causalLmYesNo,
  entailmentMatrix,
  entails,
  nliSentenceSupport,
  promptSentenceSupport,
  scoreConsistency,
  semanticClustering,
} from '../../src/core/consistency';
import { loadNliModel, type NliModel } from '../../src/node/nliModel';
import { bundledModel } from '../support/model';
import { writeTinyNli } from '../support/tinyNli';

describe('semantic agreement', function () {
  this.timeout(300_000);
  let nli: NliModel;
  before(async () => {
    nli = await loadNliModel(writeTinyNli(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-nli-'))));
  });
  after(async () => {
    await nli?.dispose();
  });

  it('reads entailment and contradiction from the ONNX model through its id2label', async () => {
    const [same, other] = await nli.classify([['Paris', 'paris'], ['Paris', 'Rome']]);
    assert.ok(entails(same!), JSON.stringify(same));
    assert.ok(other!.contradiction > other!.entailment, JSON.stringify(other));
    for (const p of [same!, other!]) assert.ok(Math.abs(p.entailment + p.neutral + p.contradiction - 1) < 1e-6);
  });

  it('builds the entailment matrix over distinct answers, pairs batched with padding', async () => {
    const m = await entailmentMatrix(nli, ['Paris', 'the capital of France', 'Rome']);
    assert.ok(entails(m[0]![0]!));
    assert.equal(entails(m[0]![1]!), false);
    assert.equal(entails(m[1]![2]!), false);
  });

  it('clusters by bidirectional entailment where lexical matching splits, and the semantic entropy falls', async () => {
    const samples = [' Paris.', ' Lutetia.', ' Paris.', ' Rome.', ' Lutetia.', ' Paris.'];
    const { clustering, mainCluster } = await semanticClustering(nli, ' Paris.', samples);
    assert.deepEqual(clustering.clusters.map((c) => c.members), [[0, 1, 2, 4, 5], [3]]);
    assert.equal(mainCluster, 0);
    const main = { text: ' Paris.', tokenLogprobs: [-0.2, -0.1] };
    const lexical = scoreConsistency({ main, samples });
    const semantic = scoreConsistency({ main, samples, clustering: { clustering, mainCluster } });
    assert.equal(lexical.agreement, 3 / 6);
    assert.equal(semantic.agreement, 5 / 6);
    assert.ok(semantic.parts.entropy < lexical.parts.entropy);
  });

  it('SelfCheckGPT-NLI: a sentence the samples contradict scores above one they entail', async () => {
    const [backed, unbacked] = await nliSentenceSupport(nli, ['She was born in Paris.', 'Oslo.'], ['She was born in Paris.', 'Lutetia.', 'Rome.']);
    assert.ok(backed!.risk < 0.5, `backed ${backed!.risk}`);
    // No shared word with any sample: logits [−1, 0, 1] each time, so P(c) / (P(e) + P(c)) = σ(2).
    assert.ok(Math.abs(unbacked!.risk - 1 / (1 + Math.exp(-2))) < 1e-6, `unbacked ${unbacked!.risk}`);
  });

  it('SelfCheckGPT-Prompt with the bundled model as the judge gives a share in [0, 1] from its Yes/No probabilities', async () => {
    const judge = causalLmYesNo(await bundledModel());
    const { yes, no } = await judge.yesNo('Q: Is Paris a city? Answer Yes or No.\nA:');
    assert.ok(yes > 0 && no > 0 && yes + no <= 1 + 1e-9, `${yes} ${no}`);
    const [r] = await promptSentenceSupport(judge, ['Belcastro.'], [' Belcastro.', ' Glenbarra.']);
    assert.ok(r!.risk >= 0 && r!.risk <= 1);
  });
});
