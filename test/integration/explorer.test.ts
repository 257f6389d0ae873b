import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { compareStrategies, preparePrompt } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { completionLogits, continueFrom, stepHistory, stepLogits } from '../../src/core/explorer/branch';
import { explainStep, explainStepWithSpec } from '../../src/core/explorer/explainStep';
import { explorerSettingsOf, explorerStrategy } from '../../src/core/explorer/settings';
import { temperatureSweep } from '../../src/core/explorer/temperatureSweep';
import { bundledModel, cityQuestion, REPO, world } from '../support/model';

/** softmax(row / T) at one index, in float64, the textbook way. */
function softmaxAt(row: Float32Array, index: number, T: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v / T);
  let sum = 0;
  for (const v of row) sum += Math.exp(v / T - max);
  return Math.exp(row[index]! / T - max) / sum;
}

describe('distribution explorer on the bundled model', function () {
  this.timeout(300_000);

  it('finds at every step the logits the decode loop saw: same raw and sampling log-probs, within 1e-4', async () => {
    const model = await bundledModel();
    const prompt = `Tell me about ${world('known')[7]!.name}.\n`;
    const strategy = strategyFromSettings({ kind: 'custom', temperature: 1.3, topK: 50, topP: 0.9 });
    const run = await compareStrategies(model, prompt, [strategy], { maxNewTokens: 24, seed: 5 });
    const completion = run.results[0]!.best;
    const promptIds = preparePrompt(model, prompt, 24).ids;
    const generated = completion.tokens.map((t) => t.token);
    const all = await completionLogits(model, promptIds, generated);
    assert.equal(all.steps, generated.length);
    let sameCandidates = 0;
    completion.tokens.forEach((t, k) => {
      const view = explainStepWithSpec(all.at(k), stepHistory(promptIds, generated, k), strategy.sampler, { chosenToken: t.token });
      assert.ok(Math.abs(view.chosen!.rawLogprob - t.logprobRaw) < 1e-4, `step ${k}: raw ${view.chosen!.rawLogprob} vs ${t.logprobRaw}`);
      assert.ok(Math.abs(view.chosen!.finalLogprob - t.logprobSampling) < 1e-4, `step ${k}: sampling ${view.chosen!.finalLogprob} vs ${t.logprobSampling}`);
      if (view.final.surviving === t.candidates) sameCandidates++;
    });
    // A top-p boundary may move by a token when logits differ by 1e-6 between a cached step and a full pass.
    assert.ok(sameCandidates >= generated.length - 1, `${sameCandidates} of ${generated.length} steps kept the same candidates`);

    for (const k of [0, 3, generated.length - 1]) {
      const one = await stepLogits(model, promptIds, generated, k);
      const row = all.at(k);
      let diff = 0;
      for (let i = 0; i < row.length; i++) diff = Math.max(diff, Math.abs(one[i]! - row[i]!));
      assert.ok(diff < 1e-4, `step ${k}: stepLogits and completionLogits differ by ${diff}`);
    }
  });

  it('shows the top token’s probability moving as softmax(logits / T) predicts', async () => {
    const model = await bundledModel();
    const person = world('heldout')[2]!;
    const promptIds = model.encodePrompt(cityQuestion(person.name));
    const row = await stepLogits(model, promptIds, [], 0);
    const greedy = explainStep(row, promptIds, { temperature: 1 });
    const top = greedy.tokens[0]!.token;
    for (const T of [0.3, 0.7, 1, 1.4, 2]) {
      const view = explainStep(row, promptIds, { temperature: T });
      assert.equal(view.tokens[0]!.token, top, 'the bars stay in raw order');
      assert.ok(Math.abs(view.tokens[0]!.finalProb - softmaxAt(row, top, T)) < 1e-9, `T=${T}`);
    }
    const sweep = temperatureSweep(row, top);
    for (let i = 1; i < sweep.length; i++) assert.ok(sweep[i]!.entropyNats > sweep[i - 1]!.entropyNats);
    assert.ok(Math.abs(sweep[9]!.chosenProb - softmaxAt(row, top, 1)) < 1e-9, 'T = 1.0 is the tenth point');
    assert.ok(greedy.tailMass > 0 && greedy.tailMass < 1);
  });

  it('branches from an alternative token: the new completion starts with it and decodes on', async () => {
    const model = await bundledModel();
    const prompt = cityQuestion(world('known')[12]!.name);
    const run = await compareStrategies(model, prompt, [strategyFromSettings({ kind: 'greedy' })], { maxNewTokens: 8, seed: 0 });
    const parent = run.results[0]!.best;
    const promptIds = preparePrompt(model, prompt, 8).ids;
    const generated = parent.tokens.map((t) => t.token);
    const row = await stepLogits(model, promptIds, generated, 0);
    const view = explainStep(row, promptIds, { temperature: 1 }, { chosenToken: generated[0]! });
    const alt = view.tokens.find((t) => !t.chosen && model.tokenText(t.token).trim().length > 0)!.token;

    const settings = explorerSettingsOf(strategyFromSettings({ kind: 'top_p', topP: 0.95 }).sampler).settings;
    const branch = await continueFrom(model, promptIds, [], alt, explorerStrategy(settings), { maxNewTokens: 8, seed: 3 });
    assert.equal(branch.completion.tokens[0]!.token, alt);
    assert.ok(branch.completion.text.startsWith(model.tokenText(alt)), `${JSON.stringify(branch.completion.text)} starts with ${JSON.stringify(model.tokenText(alt))}`);
    assert.ok(Math.abs(branch.completion.tokens[0]!.logprobRaw - view.tokens.find((t) => t.token === alt)!.logprob) < 1e-4);
    assert.notEqual(branch.completion.text, parent.text);
    assert.deepEqual(branch.contextIds, promptIds);
  });

  it('branches mid-completion: the parent’s first k tokens, then the alternative', async () => {
    const model = await bundledModel();
    const prompt = `Tell me about ${world('known')[4]!.name}.\n`;
    const run = await compareStrategies(model, prompt, [strategyFromSettings({ kind: 'greedy' })], { maxNewTokens: 16, seed: 0 });
    const promptIds = preparePrompt(model, prompt, 16).ids;
    const generated = run.results[0]!.best.tokens.map((t) => t.token);
    const k = 5;
    const view = explainStep(await stepLogits(model, promptIds, generated, k), stepHistory(promptIds, generated, k), { temperature: 1 }, { chosenToken: generated[k]! });
    const alt = view.tokens[1]!.token === generated[k] ? view.tokens[0]!.token : view.tokens[1]!.token;
    const tokens: number[] = [];
    const branch = await continueFrom(model, promptIds, generated.slice(0, k), alt, explorerStrategy({ temperature: 0 }), {
      maxNewTokens: 6,
      seed: 0,
      onToken: (_step, t) => tokens.push(t.token),
    });
    assert.equal(branch.step, k);
    assert.deepEqual(branch.contextIds, [...promptIds, ...generated.slice(0, k)]);
    assert.equal(tokens[0], alt);
    assert.deepEqual(branch.completion.tokens.map((t) => t.token), tokens);
    assert.equal(branch.completion.tokens[0]!.logprobSampling, -Infinity, 'greedy would not have picked the alternative');
  });

  it('prints one step from the CLI: `sampling-lab explore "<prompt>" --step K`, with a sweep and a branch', () => {
    const person = world('known')[1]!;
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['-r', path.join(REPO, 'test/support/register.cjs'), path.join(REPO, 'src/cli/main.ts'), 'explore', ...args], {
        encoding: 'utf8',
        timeout: 120_000,
      });
    const prompt = cityQuestion(person.name).replace('\n', '\\n');
    const json = cli([prompt, '--step', '0', '--temperature', '1.5', '--top-p', '0.95', '--sweep', '--branch', '268', '--json']);
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    assert.equal(out.explanation.tokens.length, 30);
    assert.equal(out.explanation.chain, 'logits -> temperature(1.5) -> top_p(0.95) -> dist');
    assert.ok(out.completion.text.includes(person.city), out.completion.text);
    assert.equal(out.sweep.length, 20);
    assert.equal(out.branch.completion.tokens[0].token, 268);
    const text = cli([prompt, '--step', '0', '--top', '5']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /◀ chosen/);
    const past = cli([prompt, '--step', '99']);
    assert.equal(past.status, 2);
    assert.match(past.stderr, /--step 99 is past the completion/);
  });
});
