/**
 * GGUF models in the editor: samplingLab.model naming a .gguf file runs the llama.cpp engine
 * (node-llama-cpp's prebuilt CPU binary) in the extension host. facts-lm is converted to GGUF at
 * test time (tools/model/gguf.py), and its greedy card must be the bundled ONNX model's greedy
 * output token for token. A file that is not a GGUF, a path a workspace may not name, and a
 * node-llama-cpp that does not load each give a message naming the problem and the fix, and the
 * panel's own model keeps working.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { modelPickItems } from '../../src/extension/commands/selectModel';
import { resolveGgufFile } from '../../src/extension/modelChoice';
import { findGgufFiles } from '../../src/node/engines/llamacpp/ggufFiles';
import { NODE_LLAMA_CPP_ENV } from '../../src/node/engines/llamacpp/llamaCppModel';
import type { Calibration } from '../../src/core/consistency';
import type { RunRecord } from '../../src/protocol/messages';
import { writeCalibrationSet } from './calibrationSet';
import { ggufFile } from '../support/ggufModel';
import { bundledModel, cityQuestion, world } from '../support/model';
import { EXTENSION_ID, labApi, nextEvent, useSettingsInSuite, withSettings } from './extensionApi';

const MAX_TOKENS = 8;
const person = world('known')[2]!;
const PROMPT = cityQuestion(person.name);

function compare(prompt = PROMPT): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt });
}

function selectModel(model: string): Thenable<{ gguf?: string; where?: string; name?: string } | undefined> {
  return vscode.commands.executeCommand('samplingLab.selectModel', { model });
}

function modelSetting(): string | undefined {
  return vscode.workspace.getConfiguration('samplingLab').get<string>('model');
}

describe('GGUF models (llama.cpp in the extension host)', function () {
  // The conversion (first run only) and llama.cpp's load happen in this host.
  this.timeout(300_000);
  let f32: string;
  let scratch: string;

  before(() => {
    f32 = ggufFile('F32');
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ext-gguf-'));
  });
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  useSettingsInSuite({ model: 'facts-lm', strategies: [{ kind: 'greedy' }, { kind: 'top_p', topP: 0.9, temperature: 0.8 }], samples: 1, maxNewTokens: MAX_TOKENS, threads: 1, 'cache.enabled': false });

  it('compares on a .gguf file in the host: greedy is the ONNX model\'s greedy token for token, and the tokens stream to the panel', async () => {
    const api = await labApi();
    const selected = await selectModel(f32);
    assert.equal(selected?.gguf, f32, api.lastError());
    assert.equal(selected?.where, 'cpu (llama.cpp)');
    assert.equal(modelSetting(), f32);

    const protocolErrors: string[] = [];
    const watch = api.onPanelEvent((e) => e.type === 'protocolError' && protocolErrors.push(e.error));
    const streamed = nextEvent(api.onTokens, (e) => e.count > 0, 120_000);
    const run = await compare();
    watch.dispose();
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    await streamed;
    assert.deepEqual(protocolErrors, [], 'the panel took every message of the run');
    assert.equal(run!.model, 'facts-lm-F32.gguf');
    assert.equal(run!.result!.device, 'cpu (llama.cpp)');
    assert.equal(run!.engine?.sampledBy, 'cpu (llama.cpp)');
    assert.equal(run!.engine?.distribution, 'full');
    assert.deepEqual(run!.engine?.refused, []);

    const onnx = await compareStrategies(await bundledModel(), PROMPT, [strategyFromSettings({ kind: 'greedy' })], { maxNewTokens: MAX_TOKENS, seed: run!.options.seed });
    const expected = onnx.results[0]!.best;
    const greedy = run!.result!.results[0]!.best;
    assert.deepEqual(greedy.tokens.map((t) => t.token), expected.tokens.map((t) => t.token), 'llama.cpp\'s greedy ids are onnxruntime\'s');
    assert.equal(greedy.text, expected.text);
    assert.ok(greedy.text.includes(person.city), `the model's known answer (${person.city}) in ${JSON.stringify(greedy.text)}`);
    assert.ok(greedy.tokens.every((t) => t.alternatives.length > 1), 'the full distribution gives every step its alternatives');
    assert.equal(run!.result!.results[1]!.strategy.kind, 'top_p', 'our own sampler chain ran top-p');
    // The panel's worker has not got this model: the record sends the explorer to the host.
    assert.equal(run!.engine?.explorer, 'host');
    assert.equal(run!.engine?.modelSetting, f32);
    assert.ok(api.history().some((h) => h.id === run!.id && h.status === 'done'), 'the run is in history');
    // Model Anatomy reads ONNX graphs: it says so by name rather than read the file as a folder.
    assert.equal(await vscode.commands.executeCommand('samplingLab.showAnatomy'), undefined);
    assert.match(api.lastError() ?? '', /Model Anatomy reads an ONNX export \(config\.json and the graph\); it does not read \.gguf files yet\. Select the model folder/);
  });

  it('answers the explorer from the GGUF model in the host: the step\'s full distribution, and a branch from an alternative', async () => {
    const api = await labApi();
    const run = api.history().find((r) => r.model === 'facts-lm-F32.gguf' && r.status === 'done' && r.kind !== 'json');
    assert.ok(run, 'the GGUF run is in history');
    const card = run!.result!.results[0]!.best;
    const generated = card.tokens.map((t) => t.token);
    const step = 1;
    const base = { prompt: run!.prompt, maxNewTokens: run!.options.maxNewTokens, generated, step, settings: { temperature: 1 }, model: run!.model };
    const ask = async (request: Record<string, unknown>) => {
      const handled = nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'hostExplorer' && (o.event as { request: { requestId: string } }).request.requestId === request.requestId, 120_000);
      assert.deepEqual(api.receiveFromPanel({ type: 'hostExplorer', runId: run!.id, request }), { ok: true });
      return (await handled).explorer!;
    };
    const reply = await ask({ type: 'explorerStep', requestId: 'host-explorerStep-1', ...base });
    assert.equal(reply.type, 'explorerStepDone', JSON.stringify(reply));
    if (reply.type !== 'explorerStepDone') return;
    assert.equal(reply.vocabSize, (await bundledModel()).vocabSize, 'the whole vocabulary, not a top-k');
    assert.equal(reply.chosen.token, generated[step]);
    assert.equal(reply.chosen.rank, 0, 'greedy chose the top token');
    assert.ok(Math.abs(Math.log(reply.chosen.rawProb) - card.tokens[step]!.logprobRaw) < 1e-4, `the card's own probability (${reply.chosen.rawProb} vs ${Math.exp(card.tokens[step]!.logprobRaw)})`);
    assert.ok(reply.bars.length >= 2 && reply.bars[0]!.chosen, 'bars, the chosen first');
    const alt = reply.bars[1]!;
    const branched = await ask({ type: 'explorerBranch', requestId: 'host-explorerBranch-2', ...base, altToken: alt.token, seed: run!.options.seed });
    assert.equal(branched.type, 'explorerBranchDone', JSON.stringify(branched));
    if (branched.type !== 'explorerBranchDone') return;
    assert.equal(branched.token, alt.token);
    assert.equal(branched.tokenText, alt.text);
    assert.ok(branched.tokens.length > 0 && branched.text.length > 0, 'the branch decoded on from the alternative');
    const gone = await ask({ type: 'explorerStep', requestId: 'host-explorerStep-3', ...base, model: 'x' });
    assert.equal(gone.type, 'explorerStepDone', 'the host names the model from its record, not the request');
    const unknown = nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'hostExplorer', 60_000);
    api.receiveFromPanel({ type: 'hostExplorer', runId: 'run-that-never-was', request: { type: 'explorerStep', requestId: 'host-explorerStep-4', ...base } });
    assert.match((await unknown).error ?? '', /^Run run-that-never-was is no longer in history: nothing to explore\.$/);
  });

  it('runs Generate JSON on the GGUF file: three routes through our sampler, the constrained one refused on its card by name', async () => {
    const api = await labApi();
    assert.equal((await selectModel(f32))?.gguf, f32, api.lastError());
    const schemaFile = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'schemas', 'person.schema.json');
    const run = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.generateJson', { selection: `JSON for ${person.name}:\n`, schemaFile });
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    const routes = run!.structured!.routes;
    assert.deepEqual(routes.map((r) => r.route), ['prompting', 'repair', 'constrained', 'test_time']);
    assert.ok(routes.filter((r) => r.route !== 'constrained').every((r) => r.error === undefined && r.output.length > 0), JSON.stringify(routes));
    assert.match(JSON.stringify(routes[2]), /constrained: not supported by cpu \(llama\.cpp\)/);
  });

  it("runs a prompt test suite whose model: is the GGUF file, and serves the repeat from the cache keyed by the file", async () => {
    const api = await labApi();
    const dir = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'gguf-suite');
    fs.mkdirSync(dir, { recursive: true });
    const suite = path.join(dir, 'city.prompttest.yaml');
    fs.writeFileSync(suite, `model: ${JSON.stringify(f32)}\ndefaults:\n  strategy: greedy\n  max_tokens: 8\ncases:\n  - name: the birth city\n    prompt: ${JSON.stringify(PROMPT)}\n    assert:\n      - type: contains\n        value: ${person.city}\n`);
    try {
      await withSettings({ 'cache.enabled': true }, async () => {
        await api.promptTests.discover();
        const uri = vscode.Uri.file(suite).toString();
        const first = await api.promptTests.run([uri]);
        assert.deepEqual(first, { passed: 1, failed: 0, errored: 0, skipped: 0, cached: 0 }, api.lastError());
        const again = await api.promptTests.run([uri]);
        assert.deepEqual(again, { passed: 1, failed: 0, errored: 0, skipped: 0, cached: 1 });
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '.sampling-lab', 'cache'), { recursive: true, force: true });
    }
  });

  it("Select Model lists the GGUF files LM Studio holds (read-only), each picking its path, beside Open a GGUF file…", () => {
    const lmstudio = path.join(scratch, 'lmstudio');
    const inRepo = path.join(lmstudio, 'sampling-lab', 'facts-lm-GGUF');
    fs.mkdirSync(inRepo, { recursive: true });
    fs.copyFileSync(f32, path.join(inRepo, 'facts-lm-F32.gguf'));
    const found = findGgufFiles({ lmstudio: [lmstudio], ollama: [], folders: [] });
    const items = modelPickItems('facts-lm', path.join(scratch, 'no-hub-cache'), 'auto', found);
    const labels = items.map((i) => i.label);
    const at = labels.indexOf('GGUF files (llama.cpp in the extension host)');
    assert.ok(at > 0, labels.join(' | '));
    const row = items[at + 1]!;
    assert.equal(row.label, '$(file-binary) sampling-lab/facts-lm-GGUF/facts-lm-F32.gguf');
    assert.match(row.description ?? '', /^LM Studio · 7\.\d+ MB$/);
    assert.equal(row.model, path.join(inRepo, 'facts-lm-F32.gguf'));
    assert.equal(labels.at(-1), '$(file-binary) Open a GGUF file…');
    // The current GGUF setting is listed as current, found or not.
    const current = modelPickItems(f32, path.join(scratch, 'no-hub-cache'), 'auto', found).find((i) => i.model === f32);
    assert.equal(current?.description, 'current');
  });

  it('Calibrate Hallucination Risk on the GGUF file stores its fit by the file\'s fingerprint, and the next check uses it', async () => {
    const { set, probe } = writeCalibrationSet(fs.mkdtempSync(path.join(scratch, 'cal-')));
    await withSettings({ model: f32, 'risk.samples': 4, 'cache.enabled': false }, async () => {
      const before = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.checkRisk', { prompt: probe });
      assert.equal(before?.status, 'done', before?.error ?? (await labApi()).lastError());
      assert.equal(before!.model, 'facts-lm-F32.gguf');
      assert.equal(before!.risks?.[0]?.band, 'uncalibrated', 'not facts-lm\'s bands');
      const calibration = await vscode.commands.executeCommand<Calibration | undefined>('samplingLab.calibrateRisk', { file: set });
      assert.ok(calibration, (await labApi()).lastError());
      assert.equal(calibration.model.name, 'facts-lm-F32.gguf');
      assert.deepEqual(calibration.meta.rows, { wrong: 6, right: 6 });
      const after = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.checkRisk', { prompt: probe });
      assert.ok(['Low', 'Medium', 'High'].includes(after?.risks?.[0]?.band ?? ''), `the GGUF file's own calibration gives a band (${after?.risks?.[0]?.band})`);
      assert.equal(after?.risks?.[0]?.calibration?.model, 'facts-lm-F32.gguf');
    });
  });

  it('a file that is not a GGUF is refused with a message naming it, and the model in use stays selected', async () => {
    const api = await labApi();
    const garbage = path.join(scratch, 'notes.gguf');
    fs.writeFileSync(garbage, 'these are notes, not weights\n');
    assert.equal(await selectModel(garbage), undefined);
    assert.match(api.lastError() ?? '', /"[^"]*notes\.gguf" is not a GGUF file \(it does not start with the GGUF magic\)\. Convert the model/);
    assert.equal(modelSetting(), f32, 'the good pick was not replaced');

    const missing = path.join(scratch, 'gone.gguf');
    assert.equal(await selectModel(missing), undefined);
    assert.match(api.lastError() ?? '', /Cannot open GGUF file "[^"]*gone\.gguf": ENOENT\. Check the path given to samplingLab\.model\./);
    const run = await compare();
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    assert.equal(run!.model, 'facts-lm-F32.gguf');
  });

  it('a relative .gguf path is taken only from the workspace\'s settings, and never leads outside the workspace', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const config = vscode.workspace.getConfiguration('samplingLab');
    const before = config.inspect('model')?.workspaceValue;
    const outside = path.join(scratch, 'outside.gguf');
    fs.copyFileSync(f32, outside);
    const link = path.join(root, 'linked-out.gguf');
    fs.symlinkSync(outside, link);
    try {
      assert.throws(() => resolveGgufFile('./linked-out.gguf', root), /relative path in your user settings/);
      await config.update('model', './linked-out.gguf', vscode.ConfigurationTarget.Workspace);
      assert.throws(() => resolveGgufFile('./linked-out.gguf', root), /leads outside the workspace/);
      const climbing = path.relative(root, outside);
      await config.update('model', climbing, vscode.ConfigurationTarget.Workspace);
      assert.throws(() => resolveGgufFile(climbing, root), /leads outside the workspace/);
      fs.copyFileSync(f32, path.join(root, 'inside.gguf'));
      await config.update('model', 'inside.gguf', vscode.ConfigurationTarget.Workspace);
      assert.equal(resolveGgufFile('inside.gguf', root), path.join(root, 'inside.gguf'));
    } finally {
      await config.update('model', before, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(link, { force: true });
      fs.rmSync(path.join(root, 'inside.gguf'), { force: true });
    }
  });

  it('a node-llama-cpp that does not load is named with the fix, and the panel\'s own model still runs', async () => {
    const api = await labApi();
    // Another file, so the engine loads again rather than serving the kept one.
    const q8 = ggufFile('Q8_0');
    process.env[NODE_LLAMA_CPP_ENV] = path.join(scratch, 'no-such-node-llama-cpp', 'index.js');
    try {
      assert.equal(await selectModel(q8), undefined);
      const error = api.lastError() ?? '';
      assert.match(error, /The llama\.cpp engine for \.gguf files needs the node-llama-cpp package, which did not load from "[^"]*no-such-node-llama-cpp[^"]*"/);
      assert.match(error, /Install the Sampling Lab build for this platform .*unset SAMPLING_LAB_NODE_LLAMA_CPP\. ONNX models are not affected\.$/);
      assert.doesNotMatch(error, /\n\s+at /, 'no stack trace');
    } finally {
      delete process.env[NODE_LLAMA_CPP_ENV];
    }
    const loaded = await selectModel('facts-lm');
    assert.equal(loaded?.name, 'facts-lm', api.lastError());
    const run = await compare();
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    assert.equal(run!.model, 'facts-lm');
    assert.equal(run!.engine, undefined, 'the panel\'s own model needs no engine block');
  });
});
