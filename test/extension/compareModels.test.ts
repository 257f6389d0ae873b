/**
 * Models side by side (issue #16 item 5): Compare Models on Selection runs the same strategies
 * with the same seed on `samplingLab.model` and on each model of `samplingLab.compareModels`, one
 * loaded at a time, as one run in history whose records per model name the model. The models
 * are real: the bundled facts-lm, a copy of it holding only its q8 weights as a folder model,
 * and the bundled model served over OpenAI's wire format by test/support/openaiServer.ts on
 * 127.0.0.1 (an endpoint). A folder that does not exist fails in its own group, saying why and
 * where to fix it, and the other models still run; Stop ends the whole run.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunHistory } from '../../src/extension/history';
import type { BranchRecord, RunRecord } from '../../src/protocol/messages';
import { bundledModel } from '../support/model';
import { OpenAiTestServer } from '../support/openaiServer';
import { EXTENSION_ID, labApi, nextEvent, useSettingsInSuite, withSettings } from './extensionApi';

const PROMPT = 'Q: Where was Ada Lovelace born?\nA:';
const NAME = 'side-by-side-server';

function compareModels(args?: { prompt?: string; models?: string[] }): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareModels', { prompt: PROMPT, ...args });
}

describe('compareModels', function () {
  // Three models load one after another (two in the panel's worker, one in this host behind the server).
  this.timeout(300_000);
  let server: OpenAiTestServer;
  let tmp: string;
  let q8Folder: string;
  const missing = path.join(os.tmpdir(), 'sampling-lab-no-such-model-folder');

  // First, so its before-hook runs before the one below that adds the endpoint.
  useSettingsInSuite({
    endpoints: [],
    compareModels: [],
    model: 'facts-lm',
    dtype: 'auto',
    strategies: [{ kind: 'greedy' }, { kind: 'min_p', minP: 0.1 }],
    samples: 1,
    maxNewTokens: 8,
    seed: 7,
    'cache.enabled': false,
  });

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-models-'));
    // A differently built folder model: the bundled model's files with only its q8 weights.
    q8Folder = path.join(tmp, 'facts-lm-q8');
    const bundled = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'models', 'facts-lm');
    fs.mkdirSync(path.join(q8Folder, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(bundled, f), path.join(q8Folder, f));
    fs.copyFileSync(path.join(bundled, 'onnx', 'model_quantized.onnx'), path.join(q8Folder, 'onnx', 'model_quantized.onnx'));
    server = await new OpenAiTestServer(await bundledModel(), 'openai').start();
    await vscode.workspace.getConfiguration('samplingLab').update('endpoints', [{ name: NAME, baseUrl: server.url, model: 'facts-lm' }], vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The side-by-side the first test runs: bundled, the q8 folder, the endpoint, and a missing folder. */
  let sideBySide: RunRecord | undefined;

  it('runs the same strategies and seed on each model, one run whose records per model name it; a model that cannot load says why and the rest run', async () => {
    const api = await labApi();
    await vscode.workspace.getConfiguration('samplingLab').update('compareModels', [q8Folder, `endpoint:${NAME}`, missing], vscode.ConfigurationTarget.Global);
    const protocolErrors: string[] = [];
    const watch = api.onPanelEvent((e) => e.type === 'protocolError' && protocolErrors.push(e.error));
    const run = await compareModels();
    watch.dispose();
    assert.ok(run, api.lastError());
    sideBySide = run;
    assert.deepEqual(protocolErrors, [], 'the panel took every message of the run');
    const models = run.models!;
    assert.deepEqual(
      models.map((m) => [m.model, m.modelSource, m.status]),
      [
        ['facts-lm', 'bundled', 'done'],
        ['facts-lm-q8', `folder ${q8Folder}`, 'done'],
        ['facts-lm', `endpoint ${NAME}`, 'done'],
        [missing, missing, 'failed'],
      ],
      JSON.stringify(models.map((m) => m.error)),
    );
    // Which weights each local model ran, and who sampled on the server.
    assert.equal(models[0]!.dtype, 'fp32');
    assert.equal(models[1]!.dtype, 'q8');
    assert.match(models[2]!.engine!.sampledBy, /^the server \(openai at http:\/\/127\.0\.0\.1:\d+\/v1\)$/);
    // The same strategies and seed on every model; the server refuses min-p on its card by name.
    for (const m of models) {
      assert.deepEqual(m.strategies.map((s) => s.strategy.name).sort(), run.strategies.map((s) => s.strategy.name).sort(), m.model);
      assert.equal(m.options.seed, 7, m.model);
    }
    assert.deepEqual(models[2]!.engine!.refused.map((r) => r.strategy), [run.strategies[1]!.strategy.name]);
    const seeds = (m: RunRecord) => m.result!.results.map((r) => [r.strategy.name, r.best.seed]);
    assert.deepEqual(seeds(models[1]!), seeds(models[0]!), 'each card of the folder model has the seed of the same card on the bundled one');
    // The server's greedy is the bundled model's, token for token (the same model behind it).
    assert.deepEqual(
      models[2]!.result!.results[0]!.best.tokens.map((t) => t.text),
      models[0]!.result!.results[0]!.best.tokens.map((t) => t.text),
    );
    // The folder that is not there: its group says what is missing and where to fix it.
    assert.match(models[3]!.error!, new RegExp(`has no config\\.json.*Fix or remove it in your user settings' samplingLab\\.compareModels\\.`));
    assert.equal(run.status, 'done');
    assert.match(run.error!, /1 of 4 models did not run/);
    assert.equal(run.model, `facts-lm · facts-lm-q8 · endpoint:${NAME} · ${missing}`);
    // One run in history, holding the four.
    const stored = api.history()[0]!;
    assert.equal(stored.id, run.id);
    assert.deepEqual(stored.models!.map((m) => m.id), models.map((_, k) => `${run.id}.m${k}`));
    assert.ok(!api.history().some((h) => h.id.startsWith(`${run.id}.`)), 'no model of it is a run of its own');

    // Export names the model on every row.
    const exported = await vscode.commands.executeCommand<{ text: string }>('samplingLab.exportRun', { runId: run.id, format: 'markdown' });
    assert.match(exported!.text, /^\| model \| strategy \|/m);
    assert.match(exported!.text, new RegExp(`^\\| facts-lm-q8 \\(folder ${q8Folder.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) \\| greedy \\|`, 'm'));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a branch of one model\'s card is kept in that model\'s record of the run: one made in the explorer, and one the server continued', async () => {
    assert.ok(sideBySide, 'the side-by-side of the first test');
    const api = await labApi();
    const id = sideBySide.id;
    const handled = (type: string, runId: string) => nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === type && 'runId' in o.event && o.event.runId === runId, 120_000);
    const protocolErrors: string[] = [];
    const watch = api.onPanelEvent((e) => e.type === 'protocolError' && protocolErrors.push(e.error));

    // A branch the explorer made on the folder model's first card.
    const made: BranchRecord = { strategyIndex: 0, step: 1, tokenText: ' London', text: ' London, England.', firstText: ' London' };
    const kept = handled('branchAdded', `${id}.m1`);
    assert.deepEqual(api.receiveFromPanel({ type: 'branchAdded', runId: `${id}.m1`, branch: made }), { ok: true });
    assert.equal((await kept).error, undefined);

    // A branch by continuation on the endpoint model's greedy card, from its second token's first alternative.
    const alternative = sideBySide.models![2]!.result!.results[0]!.best.tokens[1]!.alternatives[0]!.text;
    const continued = handled('branchContinue', `${id}.m2`);
    assert.deepEqual(api.receiveFromPanel({ type: 'branchContinue', branchId: 'side-by-side-branch', runId: `${id}.m2`, strategyIndex: 0, sample: 0, step: 1, tokenText: alternative }), { ok: true });
    assert.equal((await continued).error, undefined);
    watch.dispose();

    const stored = api.history().find((h) => h.id === id)!;
    assert.deepEqual(stored.models!.map((m) => m.id), sideBySide.models!.map((m) => m.id), 'the run still holds its four models, in order');
    assert.deepEqual(stored.models![1]!.branches, [made]);
    const [server] = stored.models![2]!.branches!;
    assert.equal(server!.tokenText, alternative);
    assert.equal(server!.state, undefined, server!.error);
    assert.match(server!.continuedBy!, /^openai at http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.equal(stored.models![0]!.branches, undefined, 'only the model whose card it was');
    assert.equal(stored.branches, undefined, 'not on the run holding the models');
    assert.ok(!api.history().some((h) => h.id.startsWith(`${id}.`)), 'no model of it became a run of its own');
    assert.deepEqual(protocolErrors, [], 'the panel took the updated run');
  });

  it('Stop ends the whole run: the model running keeps what arrived, the next ones do not run', async () => {
    const api = await labApi();
    let release!: () => void;
    server.faults.push({ kind: 'hold', afterTokens: 2, release: new Promise<void>((r) => (release = r)) });
    try {
      const streaming = nextEvent(api.onTokens, (e) => e.count >= 2, 120_000);
      const running = compareModels({ models: [`endpoint:${NAME}`, q8Folder] });
      await streaming;
      await vscode.commands.executeCommand('samplingLab.stop');
      const run = await running;
      assert.equal(run?.status, 'aborted', run?.error ?? api.lastError());
      const [first, second] = run!.models!;
      assert.equal(first!.status, 'aborted');
      assert.equal(first!.result!.results[0]!.best.tokens.length, 2, 'the two tokens that arrived are kept');
      assert.equal(second!.status, 'aborted');
      assert.equal(second!.error, 'Not run: the comparison was stopped before this model loaded.');
      assert.equal(api.history()[0]!.status, 'aborted');
    } finally {
      release();
    }
  });

  it('Stop while the panel runs the first model ends the run: the next model does not run, or stops while it loads', async () => {
    const api = await labApi();
    const started = nextEvent(api.onDidStartRun, () => true, 60_000);
    const running = compareModels({ models: ['facts-lm', q8Folder] });
    const id = await started;
    // The first tokens of the first model (in the panel's worker): Stop from the panel's button, as the host gets it.
    await nextEvent(api.onTokens, (e) => e.runId === `${id}.m0` && e.count > 0, 120_000);
    assert.deepEqual(api.receiveFromPanel({ type: 'stop' }), { ok: true });
    const run = await running;
    assert.equal(run?.status, 'aborted', run?.error ?? api.lastError());
    const second = run!.models![1]!;
    assert.equal(second.status, 'aborted');
    // Stop came during the first model's decode, or between it and the second's load.
    assert.match(second.error!, /^(Not run: the comparison was stopped before this model loaded\.|Stopped while the model was loading: nothing was generated\.)/);
    assert.equal(second.result, undefined, 'nothing ran on the second model');
    assert.equal(api.resources().runsInProgress, 0);
  });

  it('a side-by-side cut off by a window reload is kept stopped, and so is the model that was running in it', () => {
    const part = (id: string, status: RunRecord['status']): RunRecord => ({ id, startedAt: 'now', prompt: PROMPT, model: id, options: { maxNewTokens: 4, seed: 7, samples: 1 }, strategies: [], status });
    const stored = [{ ...part('run-9', 'running'), models: [part('run-9.m0', 'done'), part('run-9.m1', 'running')] }];
    const memento = { get: () => stored, update: async () => undefined, keys: () => [] } as unknown as vscode.Memento;
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m) } as unknown as vscode.LogOutputChannel;
    const [run] = new RunHistory(memento, log).all();
    assert.deepEqual(warnings, [], 'the stored side-by-side reads back');
    assert.equal(run!.status, 'aborted');
    assert.deepEqual(
      run!.models!.map((m) => [m.status, m.error]),
      [
        ['done', undefined],
        ['aborted', 'Interrupted: the window was reloaded during the run.'],
      ],
    );
  });

  it('asks for a second model by name, and refuses a relative folder in the list', async () => {
    const api = await labApi();
    await vscode.workspace.getConfiguration('samplingLab').update('compareModels', [], vscode.ConfigurationTarget.Global);
    assert.equal(await compareModels(), undefined);
    assert.match(api.lastError()!, /Compare Models needs a second model: list it in your user settings' samplingLab\.compareModels/);
    await withSettings({ compareModels: ['./models/mine'] }, async () => {
      assert.equal(await compareModels(), undefined);
      assert.match(api.lastError()!, /samplingLab\.compareModels\[0\] "\.\/models\/mine" is a relative path/);
    });
  });
});
