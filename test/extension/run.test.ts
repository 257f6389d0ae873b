import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { onnxFileFor } from '../../src/core/model/hubModel';
import type { RunRecord } from '../../src/protocol/messages';
import { labApi, nextEvent, useSettingsInSuite, withLinkedModelCopy, withSettings } from './extensionApi';

const PROMPT = 'Q: Where was Ada Lovelace born?\nA:';

function compare(prompt = PROMPT): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt });
}

/** Waits for tokens to stream; fails at once if the run ends (or fails) before any arrive. */
async function untilStreaming(streaming: Promise<unknown>, running: Thenable<RunRecord | undefined>): Promise<void> {
  const ended = Promise.resolve(running).then((r) => {
    throw new Error(`the run ended before streaming: ${r?.status ?? 'no record'} ${r?.error ?? ''}`);
  });
  await Promise.race([streaming, ended]);
}

describe('runs in the panel', function () {
  // The first run loads the model in the webview (WASM, single thread).
  this.timeout(300_000);
  // These runs repeat prompts on purpose: each must reach the model, not the response cache.
  useSettingsInSuite({ 'cache.enabled': false });

  it('a comparison gives a completed card per configured strategy, from the bundled model', async () => {
    const api = await labApi();
    const run = await compare();
    assert.ok(run, `the run returned a record (last error: ${api.lastError()})`);
    assert.equal(run.status, 'done', run.error);
    const strategies = vscode.workspace.getConfiguration('samplingLab').get<unknown[]>('strategies')!;
    assert.equal(run.result!.results.length, strategies.length);
    for (const r of run.result!.results) {
      assert.ok(r.best.tokens.length > 0, `${r.strategy.name} generated tokens`);
      assert.notEqual(r.best.finishReason, 'aborted');
    }
    assert.equal(api.modelState().status, 'ready');
    assert.ok(api.history().some((h) => h.id === run.id && h.status === 'done'), 'the run is in history');
  });

  it('keeps the loaded model across runs instead of reloading it', async () => {
    const api = await labApi();
    const before = api.modelState();
    assert.equal(before.status, 'ready');
    const run = await compare('Q: Where was Alan Turing born?\nA:');
    assert.equal(run?.status, 'done');
    assert.strictEqual(api.modelState(), before, 'the same loaded-model state: no load happened');
  });

  it('a run cancelled mid-way stops promptly, and the panel runs the next one', async () => {
    const api = await labApi();
    // T = 5 flattens the distribution so EOS is rare: the run would go on for hundreds of steps.
    const long = await withSettings(
      { strategies: [{ kind: 'temperature', temperature: 5 }], samples: 8, maxNewTokens: 400 },
      async () => {
        const streaming = nextEvent(api.onTokens, (e) => e.count >= 16, 120_000);
        const running = compare();
        await untilStreaming(streaming, running);
        await vscode.commands.executeCommand('samplingLab.stop');
        return { record: await running };
      },
    );
    // Promptly means within the runner's grace for the partial result (past it, the run is
    // recorded without one). Not in milliseconds: a loaded machine stretches every hop, and a
    // wall-clock bound here failed under npm run test:load.
    assert.equal(long.record?.status, 'aborted', long.record?.error);
    assert.ok(long.record.result, `the partial result came back (${long.record.error ?? ''})`);
    const tokens = long.record.result.results[0]!.completions.reduce((n, c) => n + c.tokens.length, 0);
    assert.ok(tokens < 8 * 400, `stopped before the end (${tokens} tokens)`);

    const next = await compare();
    assert.equal(next?.status, 'done', 'the panel still runs after a stop');
  });

  it('a run started while another runs replaces it', async () => {
    const api = await labApi();
    // 8 sequences: the run lasts until the last of them ends, so the replacement always finds it
    // running (with one, the seed could end it at EOS before the second run arrived).
    await withSettings({ strategies: [{ kind: 'temperature', temperature: 5 }], samples: 8, maxNewTokens: 400 }, async () => {
      const streaming = nextEvent(api.onTokens, (e) => e.count >= 16, 120_000);
      const first = compare();
      await untilStreaming(streaming, first);
      const replacing = nextEvent(api.onDidStartRun, () => true, 60_000);
      const second = compare('Q: Where was Grace Hopper born?\nA:');
      await replacing;
      // Stop while the first run still winds down: it must stop the second, the current run now.
      await vscode.commands.executeCommand('samplingLab.stop');
      assert.equal((await first)?.status, 'aborted');
      assert.equal((await second)?.status, 'aborted', 'Stop pressed as a run replaces another stops the new one');
    });
  });

  it('shows a token that holds part of a character as its bytes (<0xF0>), never as "�"', async () => {
    const api = await labApi();
    // A bias on "😀" (F0 9F 98 80) lifts the bundled model's four byte tokens above every other:
    // each one alone is no character. The panel's worker names the tokens the cards show.
    const run = await withSettings({ strategies: [{ kind: 'temperature', temperature: 1, logitBias: { '😀': 100 } }], samples: 1, maxNewTokens: 4 }, () => compare());
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    const shown = run!.result!.results[0]!.best.tokens.map((t) => t.text);
    assert.equal(shown.length, 4);
    for (const text of shown) assert.ok(['<0xF0>', '<0x9F>', '<0x98>', '<0x80>'].includes(text), `${JSON.stringify(text)} is one of the emoji's bytes: ${JSON.stringify(shown)}`);
  });
});

describe('Sample with Settings and Select Model', function () {
  this.timeout(300_000);
  useSettingsInSuite({ 'cache.enabled': false });

  it('Sample with Settings runs the one strategy picked, and remembers the choice', async () => {
    const picked = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.sampleWithSettings', {
      prompt: PROMPT,
      choice: { kind: 'top_k', topK: 5, temperature: 0.7, seed: 7, maxNewTokens: 8 },
    });
    assert.equal(picked?.status, 'done', picked?.error);
    assert.deepEqual(picked.strategies.map((s) => s.strategy.name), ['top-k 5']);
    assert.equal(picked.strategies[0]!.chain, 'logits -> temperature(0.7) -> top_k(5) -> dist');
    assert.deepEqual(picked.options, { seed: 7, maxNewTokens: 8, samples: 1 });

    // An empty choice means "as last time".
    const again = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.sampleWithSettings', { prompt: PROMPT, choice: {} });
    assert.deepEqual(again?.strategies.map((s) => s.chain), [picked.strategies[0]!.chain]);
    assert.equal(again?.options.seed, 7);
  });

  it('Sample with Settings takes a step per stage parameter: typical-p, DRY, XTC and logit bias run in the chain', async () => {
    const picked = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.sampleWithSettings', {
      prompt: PROMPT,
      choice: { kind: 'top_p', topP: 0.9, temperature: 0.8, typicalP: 0.95, dryMultiplier: 0.8, xtcProbability: 0.5, logitBias: { '5': false }, seed: 3, maxNewTokens: 6 },
    });
    assert.equal(picked?.status, 'done', picked?.error);
    assert.equal(
      picked.strategies[0]!.chain,
      'logits -> logit_bias(5: ban) -> dry(0.8, base 1.75, allowed 2) -> temperature(0.8) -> typical_p(0.95) -> top_p(0.9) -> xtc(p=0.5, t=0.1) -> dist',
    );
    const off = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.sampleWithSettings', {
      prompt: PROMPT,
      choice: { typicalP: undefined, dryMultiplier: undefined, xtcProbability: undefined, logitBias: undefined },
    });
    assert.equal(off?.strategies[0]!.chain, 'logits -> temperature(0.8) -> top_p(0.9) -> dist');
  });

  it('Select Model loads a model folder from disk in place of the bundled one, read by the panel itself (no byte copied through the host)', async () => {
    const api = await labApi();
    const extension = vscode.extensions.getExtension('sampling-lab.sampling-lab')!;
    const folder = vscode.Uri.joinPath(extension.extensionUri, 'models', 'facts-lm').fsPath;
    const bundled = api.modelState();
    try {
      const loaded = await vscode.commands.executeCommand<{ name: string; backend: string } | undefined>('samplingLab.selectModel', { model: folder });
      assert.ok(loaded, `loaded (last error: ${api.lastError()})`);
      const state = api.modelState();
      assert.equal(state.status, 'ready');
      assert.notStrictEqual(state, bundled, 'a new load, not the bundled model kept');
      assert.equal(state.status === 'ready' && state.hostServedBytes, 0, 'no model file went through the host');
      const run = await compare();
      assert.equal(run?.status, 'done', run?.error);
    } finally {
      await vscode.commands.executeCommand('samplingLab.selectModel', { model: 'facts-lm' });
      await vscode.workspace.getConfiguration('samplingLab').update('model', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.equal(api.modelState().status, 'ready');
  });
});

describe('a model folder holding a symlink', function () {
  this.timeout(300_000);

  it('is served file by file by the host, which checks each link (the panel could follow one out of the folder)', async () => {
    const api = await labApi();
    await withLinkedModelCopy(async (folder) => {
      assert.ok(await vscode.commands.executeCommand('samplingLab.selectModel', { model: folder }), `loaded (last error: ${api.lastError()})`);
      const state = api.modelState();
      assert.equal(state.status, 'ready');
      // The weights of the dtype it loaded (a copy of facts-lm loads q8 under "auto").
      const onnxBytes = fs.statSync(path.join(folder, onnxFileFor(state.status === 'ready' ? (state.dtype ?? 'fp32') : 'fp32'))).size;
      assert.ok(state.status === 'ready' && (state.hostServedBytes ?? 0) >= onnxBytes, `the host served the weights (${state.status === 'ready' ? state.hostServedBytes : '-'} bytes)`);
      const run = await compare();
      assert.equal(run?.status, 'done', run?.error);
    });
  });
});

describe('caches keyed on the model by content', function () {
  this.timeout(300_000);

  it('a model folder replaced in place (same path) is a new model: reloaded, and no stale hit from the response cache', async () => {
    const api = await labApi();
    const bundled = path.join(vscode.extensions.getExtension('sampling-lab.sampling-lab')!.extensionUri.fsPath, 'models', 'facts-lm');
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-replaced-'));
    const folder = path.join(parent, 'model');
    fs.cpSync(bundled, folder, { recursive: true, filter: (src) => !src.includes(`${path.sep}world`) });
    const prompt = 'Q: Where was Kawe Steiga born? (a model replaced in place)\nA:';
    try {
      await withSettings({ 'cache.enabled': true }, async () => {
        assert.ok(await vscode.commands.executeCommand('samplingLab.selectModel', { model: folder }), `loaded (last error: ${api.lastError()})`);
        const first = await compare(prompt);
        assert.equal(first?.status, 'done', first?.error);
        assert.notEqual(first.cached, true);
        assert.equal((await compare(prompt))?.cached, true, 'the same model: served from the cache');
        const loaded = api.modelState();

        // Another export copied over the old one, at the same path.
        const config = path.join(folder, 'config.json');
        fs.writeFileSync(config, JSON.stringify({ ...JSON.parse(fs.readFileSync(config, 'utf8')), _exported: 'again' }, null, 2));
        const after = await compare(prompt);
        assert.equal(after?.status, 'done', after?.error);
        assert.notEqual(after.cached, true, 'a replaced model is a new model: no stale hit');
        const reloaded = api.modelState();
        assert.equal(reloaded.status, 'ready');
        assert.notEqual(reloaded.status === 'ready' && loaded.status === 'ready' && reloaded.key === loaded.key, true, 'the replaced model was loaded, not the old one kept');
      });
    } finally {
      await vscode.commands.executeCommand('samplingLab.selectModel', { model: 'facts-lm' });
      await vscode.workspace.getConfiguration('samplingLab').update('model', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
