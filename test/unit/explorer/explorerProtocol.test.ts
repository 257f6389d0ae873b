import { strict as assert } from 'node:assert';
import { explainStep } from '../../../src/core/explorer/explainStep';
import { isExplorerMessage, validateExplorerReply, validateExplorerRequest } from '../../../src/protocol/explorer';
import { explorerModelMismatch } from '../../../src/core/explorer/answer';

const step = { type: 'explorerStep', requestId: 'explorer-1', prompt: 'Q:', maxNewTokens: 8, generated: [3, 4], step: 1, settings: { temperature: 0.7, topK: 2 } };

describe('the explorer messages between panel and worker', () => {
  it('name their type and request like the main protocol, and are told apart from it by their "explorer" types', () => {
    assert.ok(isExplorerMessage(step));
    assert.ok(isExplorerMessage({ type: 'explorerFailed', requestId: 'explorer-1', error: 'x' }));
    assert.ok(!isExplorerMessage({ type: 'compare', requestId: 'r' }));
    assert.ok(!isExplorerMessage({ explorer: 'step', id: 1 }), 'the old shape is no longer one');
  });

  it('accept a well-formed step or branch request and refuse a step past the completion or bad settings', () => {
    assert.equal(typeof validateExplorerRequest(step), 'object');
    assert.equal(typeof validateExplorerRequest({ ...step, type: 'explorerBranch', altToken: 5, seed: 42 }), 'object');
    assert.match(validateExplorerRequest({ ...step, step: 2 }) as string, /step/);
    assert.match(validateExplorerRequest({ ...step, settings: { temperature: 'hot' } }) as string, /settings/);
    assert.match(validateExplorerRequest({ ...step, type: 'explorerBranch' }) as string, /branch/);
  });

  it("name the card's model and weights; a malformed name is refused", () => {
    assert.equal(typeof validateExplorerRequest({ ...step, model: 'facts-lm', dtype: 'q8' }), 'object');
    assert.match(validateExplorerRequest({ ...step, model: 7 }) as string, /model/);
    assert.match(validateExplorerRequest({ ...step, dtype: ['q8'] }) as string, /weights/);
  });

  it("the worker explores a card only with the card's model and weights loaded, and says which to run otherwise", () => {
    assert.equal(explorerModelMismatch({ model: 'facts-lm', dtype: 'fp32' }, { name: 'facts-lm' }), undefined, 'no dtype in the load is fp32');
    assert.equal(explorerModelMismatch({ model: 'facts-lm' }, { name: 'facts-lm', dtype: 'q8' }), undefined, 'a run that named no weights');
    assert.equal(explorerModelMismatch({}, { name: 'other' }), undefined, 'a request from before cards named their model');
    // One side of a side-by-side: the other model is the one loaded now.
    assert.equal(
      explorerModelMismatch({ model: 'facts-lm', dtype: 'fp32' }, { name: 'facts-lm-q8', dtype: 'q8' }),
      "This card came from facts-lm (fp32), and the panel has facts-lm-q8 (q8) loaded: the explorer reads the loaded model's logits. Run the prompt again on facts-lm (Sampling Lab: Select Model…), then open this step on the new run's card.",
    );
    // The same model with other weights.
    assert.match(explorerModelMismatch({ model: 'facts-lm', dtype: 'q8' }, { name: 'facts-lm' })!, /came from facts-lm \(q8\), and the panel has facts-lm \(fp32\) loaded.*with samplingLab\.dtype "q8"/);
  });

  it('carry a cut token as probability 0 (its −∞ log-prob never crosses), and survive JSON', () => {
    const logits = Float32Array.from([3, 2, 1, 0]);
    const view = explainStep(logits, [], { temperature: 1, topK: 2 }, { chosenToken: 2 });
    const reply = {
      type: 'explorerStepDone',
      requestId: 'explorer-1',
      promptIds: [1],
      vocabSize: 4,
      bars: view.tokens.map((t, i) => ({ token: t.token, text: 'x', rank: t.rank, logit: t.logit, prob: t.prob, finalProb: t.finalProb, chosen: t.chosen, cutBy: t.cutBy, survives: view.stages.slice(1).map((s) => s.survives[i]!) })),
      entropyBits: view.entropyBits,
      tailMass: view.tailMass,
      chain: view.chain,
      stages: view.stages.map((s) => ({ name: s.name, survivors: s.survivors })),
      surviving: view.final.surviving,
      chosen: { token: 2, text: 'x', rank: 2, rawProb: view.chosen!.rawProb, finalProb: view.chosen!.finalProb, cutBy: view.chosen!.cutBy },
      sweep: [],
    };
    const checked = validateExplorerReply(JSON.parse(JSON.stringify(reply)));
    assert.equal(typeof checked, 'object', String(checked));
    assert.equal(view.chosen!.finalProb, 0);
    assert.match(String(view.chosen!.cutBy), /top_k/);
  });

  it('refuse a reply whose numbers are not finite', () => {
    assert.equal(typeof validateExplorerReply({ type: 'explorerStepDone', requestId: 'explorer-1', bars: [{ token: 0, text: '', prob: null, finalProb: 0, logit: 0, survives: [] }], chosen: { finalProb: 0 }, sweep: [], stages: [], entropyBits: 0, tailMass: 0 }), 'string');
  });
});
