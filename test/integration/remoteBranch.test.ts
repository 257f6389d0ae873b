/**
 * Branching by continuation on a card a server sampled, against the OpenAI-compatible test server
 * with the bundled model behind it: the host's RemoteBranches sends prompt + the card's text
 * before step k + the picked token to /v1/completions, with the card's strategy and seed, and the
 * continuation equals the local model's continuation from the same token sequence. Faults end on
 * the branch card in words; Stop keeps what arrived; a chat run and a server without
 * /v1/completions are refused by name and send nothing.
 */
import * as assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import type { CompareResult, Strategy } from '../../src/core/decode/types';
import { branchingRefusal } from '../../src/core/engine/types';
import { continueFrom } from '../../src/core/explorer/branch';
import { RemoteBranches, type RemoteBranchHost } from '../../src/extension/remoteBranches';
import type { BranchContinueAction, BranchProgress, BranchRecord, RunRecord } from '../../src/protocol/messages';
import { DIALECTS, type DialectId } from '../../src/node/engines/remote/dialects';
import { capabilitiesOf, RemoteEngine } from '../../src/node/engines/remote/remoteEngine';
import { world } from '../support/model';
import { servedEnginesInSuite } from '../support/servedEngines';

const greedy = strategyFromSettings({ kind: 'greedy' });
const MAX_NEW = 12;

describe('branching by continuation on a server (test server, bundled model behind it)', function () {
  this.timeout(300_000);
  // The bio prompt (models/facts-lm/world/formats.json): several sentence templates, so an alternative leads somewhere long.
  const prompt = `Tell me about ${world('known')[1]!.name}.\n`;

  const served = servedEnginesInSuite();
  const serve = served.serve;

  /** The run as the runner records it after a compare on the endpoint. */
  function runOf(result: CompareResult, strategy: Strategy, engine: Partial<NonNullable<RunRecord['engine']>> = {}): RunRecord {
    return {
      id: 'run-1',
      startedAt: new Date(0).toISOString(),
      prompt,
      model: 'facts-lm',
      options: { maxNewTokens: MAX_NEW, seed: 42, samples: 1 },
      strategies: [{ strategy, chain: strategy.name }],
      status: 'done',
      result,
      engine: { sampledBy: 'the server', distribution: 'top-logprobs', maxTopLogprobs: 20, notes: [], refused: [], modelSetting: 'endpoint:test', ...engine },
    };
  }

  /** RemoteBranches with the engine behind `endpoint:test`, recording what it shows and keeps. */
  function branchesOn(engine: RemoteEngine, run: RunRecord) {
    const shown: BranchProgress[] = [];
    const kept: BranchRecord[] = [];
    const progress = new EventEmitter();
    const host: RemoteBranchHost = {
      runOf: (id) => (id === run.id ? run : undefined),
      engineFor: (setting) => (setting === 'endpoint:test' ? Promise.resolve(engine) : undefined),
      post: async (m) => {
        shown.push(m);
        progress.emit('progress', m);
      },
      keep: async (_, b) => void kept.push(b),
      log: () => undefined,
    };
    return { branches: new RemoteBranches(host), shown, kept, progress };
  }

  const action = (step: number, tokenText: string, branchId = 'b1'): BranchContinueAction => ({ type: 'branchContinue', branchId, runId: 'run-1', strategyIndex: 0, sample: 0, step, tokenText });

  for (const dialect of ['vllm', 'llamacpp'] as const) {
    it(`${dialect}: the continuation from prefix + an alternative equals the local model's greedy continuation from the same tokens`, async () => {
      const { server, engine } = await serve(dialect);
      const model = served.model();
      const result = await engine.compare(prompt, [greedy], { maxNewTokens: MAX_NEW, seed: 42, topAlternatives: 20 });
      const card = result.results[0]!.best;
      const run = runOf(result, greedy);
      const promptIds = model.encodePrompt(prompt);
      const generated = model.encodePrompt(prompt + card.text).slice(promptIds.length);
      let compared = 0;
      for (let step = 0; step < Math.min(4, card.tokens.length) && compared < 2; step++) {
        for (const alt of card.tokens[step]!.alternatives.slice(0, 3)) {
          const altIds = model.encode(alt.text);
          if (altIds.length !== 1) continue;
          const ids = [...promptIds, ...generated.slice(0, step), altIds[0]!];
          // Only where the text prefix round-trips to the same tokens can the two be equal token for token.
          if (model.encodePrompt(prompt + model.decode([...generated.slice(0, step), altIds[0]!])).join() !== ids.join()) continue;
          const sent = server.requests.length;
          const { branches, kept } = branchesOn(engine, run);
          const branch = await branches.start(action(step, alt.text, `b${step}-${compared}`));
          const local = await continueFrom(model, promptIds, generated.slice(0, step), altIds[0]!, greedy, { maxNewTokens: MAX_NEW - step, seed: card.seed });
          assert.equal(branch.state, undefined, `finished: ${branch.error}`);
          assert.equal(branch.text, local.completion.text, `step ${step}, ${JSON.stringify(alt.text)}`);
          assert.equal(branch.firstText, alt.text);
          assert.match(branch.continuedBy!, new RegExp(`^${dialect} at http://127\\.0\\.0\\.1`));
          assert.equal(branch.retokenized, undefined, 'the prefix round-trips: the server counted the card\'s tokens');
          assert.deepEqual(kept, [branch]);
          // What went to the server: one raw completion of prompt + prefix, greedy, with the card's seed.
          assert.equal(server.requests.length, sent + 1);
          const request = server.requests.at(-1)!;
          assert.equal(request.path, '/v1/completions');
          assert.equal(request.body.prompt, prompt + model.decode(generated.slice(0, step)) + alt.text);
          assert.equal(request.body.temperature, 0);
          assert.equal(request.body.seed, card.seed);
          assert.equal(request.body.max_tokens, MAX_NEW - step - 1);
          assert.equal(request.body.stream, true);
          // Token for token, through the engine seam.
          const direct = await engine.continueText({ prompt, prefix: String(request.body.prompt).slice(prompt.length), strategy: greedy, seed: card.seed, maxNewTokens: MAX_NEW - step - 1 });
          assert.deepEqual(direct.completion.tokens.map((t) => t.text), local.completion.tokens.slice(1).map((t) => t.text));
          assert.equal(direct.promptTokens, ids.length);
          compared++;
          break;
        }
      }
      assert.equal(compared, 2, 'two alternatives whose prefix round-trips were branched');
    });
  }

  it('says on the branch when the server read the text prefix as other tokens than the card\'s', async () => {
    const { engine } = await serve('vllm');
    const model = served.model();
    const result = await engine.compare(prompt, [greedy], { maxNewTokens: MAX_NEW, seed: 42, topAlternatives: 20 });
    const card = result.results[0]!.best;
    // An alternative whose text merges with the card's text before it ("Th" + "i" is one token "Thi"), found, not assumed.
    const merged = card.tokens.slice(0, 8).flatMap((t, step) =>
      t.alternatives
        .map((alt) => ({ step, text: alt.text, count: model.encodePrompt(prompt + card.tokens.slice(0, step).map((x) => x.text).join('') + alt.text).length }))
        .filter((c) => c.count !== result.promptTokens + step + 1),
    )[0];
    assert.ok(merged, 'some alternative re-tokenizes with the text before it');
    const { branches } = branchesOn(engine, runOf(result, greedy));
    const branch = await branches.start(action(merged.step, merged.text));
    assert.equal(branch.state, undefined, `finished: ${branch.error}`);
    assert.equal(
      branch.retokenized,
      `The server read the prompt and prefix as ${merged.count} tokens, not the ${result.promptTokens + merged.step + 1} of the card (prompt, ${merged.step} tokens, the chosen one): the text re-tokenized differently.`,
    );
  });

  it('a 500 or a dropped stream ends on the branch card with the server\'s words, never silently', async () => {
    const { server, engine } = await serve('vllm');
    const result = await engine.compare(prompt, [greedy], { maxNewTokens: MAX_NEW, seed: 42, topAlternatives: 20 });
    const alt = result.results[0]!.best.tokens[0]!.alternatives[1]!.text;
    const { branches, shown, kept } = branchesOn(engine, runOf(result, greedy));
    for (let i = 0; i < 4; i++) server.faults.push({ kind: 'status', status: 500, message: 'CUDA out of memory' });
    const failed = await branches.start(action(0, alt, 'b500'));
    assert.equal(failed.state, 'failed');
    assert.match(failed.error!, /\/v1\/completions answered HTTP 500 after 4 tries: CUDA out of memory/);
    assert.deepEqual(shown.at(-1)!.branch, failed, 'the panel was shown the failure');
    assert.deepEqual(kept.at(-1), failed, 'kept with the run, error and all');

    server.faults.push({ kind: 'drop', afterTokens: 1 });
    const dropped = await branches.start(action(0, alt, 'bdrop'));
    assert.equal(dropped.state, 'failed');
    assert.match(dropped.error!, /connection dropped mid-stream|stream ended before the completion finished/);
    assert.equal(shown.at(-1)!.branchId, 'bdrop');
  });

  it('Stop aborts the request and keeps the partial branch', async () => {
    const { server, engine } = await serve('vllm');
    const sampler = strategyFromSettings({ kind: 'temperature', temperature: 1 });
    const result = await engine.compare(prompt, [sampler], { maxNewTokens: MAX_NEW, seed: 42, topAlternatives: 20 });
    const alt = result.results[0]!.best.tokens[0]!.alternatives[0]!.text;
    const { branches, progress } = branchesOn(engine, runOf(result, sampler));
    let release!: () => void;
    server.faults.push({ kind: 'hold', afterTokens: 2, release: new Promise<void>((r) => (release = r)) });
    const disconnected = once(server.disconnects, 'disconnect');
    const streamed = new Promise<void>((resolve) => progress.on('progress', (m: BranchProgress) => m.branch.state === 'running' && m.branch.text.length > alt.length && resolve()));
    const running = branches.start(action(0, alt, 'bstop'));
    await streamed;
    assert.equal(branches.stop('bstop'), true);
    const stopped = await running;
    await disconnected;
    release();
    assert.equal(stopped.state, 'aborted');
    assert.match(stopped.error!, /Stopped: the tokens that arrived are kept/);
    assert.ok(stopped.text.startsWith(alt) && stopped.text.length > alt.length, `partial text kept: ${JSON.stringify(stopped.text)}`);
    assert.equal(server.requests.at(-1)!.body.temperature, 1, 'the card\'s strategy');
    assert.equal(branches.running, 0);
  });

  it('a chat run, a server without /v1/completions and a token the server never offered are refused by name, and nothing is sent', async () => {
    const { server, engine } = await serve('vllm');
    const result = await engine.compare(prompt, [greedy], { maxNewTokens: MAX_NEW, seed: 42, topAlternatives: 20 });
    const chatOnly = capabilitiesOf({ ...DIALECTS.vllm, completions: false });
    assert.equal(chatOnly.branching, 'none');
    const noCompletions = branchingRefusal(chatOnly, false)!;
    assert.match(noCompletions, /no completions endpoint \(\/v1\/completions\)/);
    const chatRun = branchingRefusal(capabilitiesOf(DIALECTS.vllm), true)!;
    assert.match(chatRun, /No branching on a chat run: .*samplingLab\.promptFormat/);
    assert.equal(branchingRefusal(capabilitiesOf(DIALECTS.vllm), false), undefined);
    const sent = server.requests.length;
    for (const reason of [noCompletions, chatRun]) {
      const { branches } = branchesOn(engine, runOf(result, greedy, { branchRefused: reason }));
      const refused = await branches.start(action(0, result.results[0]!.best.tokens[0]!.alternatives[1]!.text));
      assert.deepEqual([refused.state, refused.error], ['failed', reason]);
    }
    const { branches } = branchesOn(engine, runOf(result, greedy));
    const made = await branches.start(action(0, ' never offered'));
    assert.deepEqual([made.state, made.error], ['failed', '" never offered" is not among the server\'s tokens at step 0.']);
    assert.equal(server.requests.length, sent, 'nothing reached the server');
  });
});
