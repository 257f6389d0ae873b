/**
 * Endpoints in the editor: Add Endpoint writes user settings, Set API Key keeps the key out of
 * settings and history, Compare runs on the server from the extension host (greedy equal to the
 * panel's local greedy token for token, what the server cannot honour refused on its card), Stop
 * aborts the requests in flight and keeps what arrived, and a workspace can neither select nor
 * redirect an endpoint. The server is test/support/openaiServer.ts on 127.0.0.1, speaking
 * OpenAI's wire format with the bundled model behind it, here in the extension host.
 */
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/protocol/messages';
import { bundledModel } from '../support/model';
import { OpenAiTestServer } from '../support/openaiServer';
import { EXTENSION_ID, labApi, nextEvent, useSettingsInSuite } from './extensionApi';

const PROMPT = 'Q: Where was Ada Lovelace born?\nA:';
const KEY = 'sk-endpoint-test-5c1e9a77d0';
const NAME = 'test-server';

function compare(): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt: PROMPT });
}

/** Everything `samplingLab.*` holds, at every level, as text: where a leaked key would show. */
function allSettingsText(): string {
  const config = vscode.workspace.getConfiguration('samplingLab');
  const pkg = JSON.parse(fs.readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'package.json'), 'utf8'));
  const keys = Object.keys(pkg.contributes.configuration.properties as Record<string, unknown>).map((k) => k.replace(/^samplingLab\./, ''));
  return JSON.stringify(keys.map((k) => config.inspect(k)));
}

describe('endpoints', function () {
  // The server's model loads in this host; the local comparison loads the panel's (WASM).
  this.timeout(300_000);
  let server: OpenAiTestServer;

  before(async () => {
    server = await new OpenAiTestServer(await bundledModel(), 'openai').start();
    server.apiKey = KEY;
  });

  // Before the settings are put back (mocha runs after-hooks in the order they were added): the key goes while its endpoint is listed.
  after(async () => {
    await vscode.commands.executeCommand('samplingLab.setEndpointApiKey', { name: NAME, key: '' });
    await server?.close();
  });

  useSettingsInSuite({
    endpoints: [],
    model: 'facts-lm',
    strategies: [{ kind: 'greedy' }, { kind: 'min_p', minP: 0.1 }],
    samples: 1,
    maxNewTokens: 8,
    'cache.enabled': false,
  });

  it('Add Endpoint writes the endpoint to user settings, and Set API Key keeps the key out of them', async () => {
    const api = await labApi();
    const added = await vscode.commands.executeCommand('samplingLab.addEndpoint', { baseUrl: server.url, model: 'facts-lm', name: NAME });
    assert.ok(added, `added (last error: ${api.lastError()})`);
    assert.deepEqual(vscode.workspace.getConfiguration('samplingLab').inspect('endpoints')?.globalValue, [{ name: NAME, baseUrl: server.url, model: 'facts-lm', dialect: 'auto' }]);
    assert.equal(await vscode.commands.executeCommand('samplingLab.setEndpointApiKey', { name: NAME, key: KEY }), true);
    assert.ok(!allSettingsText().includes(KEY), 'the key is in no setting');
  });

  it('compares on the endpoint: greedy equals the local greedy token for token, min-p is refused on its card by name', async () => {
    const api = await labApi();
    const local = await compare();
    assert.equal(local?.status, 'done', local?.error ?? api.lastError());
    const localGreedy = local!.result!.results[0]!.best;

    const selected = await vscode.commands.executeCommand<{ endpoint: string; where: string } | undefined>('samplingLab.selectModel', { model: `endpoint:${NAME}` });
    assert.equal(selected?.endpoint, NAME, api.lastError());
    const protocolErrors: string[] = [];
    const watch = api.onPanelEvent((e) => e.type === 'protocolError' && protocolErrors.push(e.error));
    const streamed = nextEvent(api.onTokens, (e) => e.count > 0, 120_000);
    const remote = await compare();
    watch.dispose();
    assert.equal(remote?.status, 'done', remote?.error ?? api.lastError());
    await streamed;
    assert.deepEqual(protocolErrors, [], 'the panel took every message of the run');
    const engine = remote!.engine!;
    assert.match(engine.sampledBy, /^the server \(openai at http:\/\/127\.0\.0\.1:\d+\/v1\)$/);
    assert.equal(engine.distribution, 'top-logprobs');
    const host = new URL(server.url).host;
    assert.deepEqual(engine.refused, [{ strategy: remote!.strategies[1]!.strategy.name, reason: `min-p: not supported by ${host}` }]);
    assert.deepEqual(remote!.result!.refused!.map((r) => r.reason), [`min-p: not supported by ${host}`]);
    const greedy = remote!.result!.results[0]!;
    assert.equal(greedy.strategy.kind, 'greedy');
    assert.equal(remote!.result!.results.length, 1, 'only the honoured strategy ran');
    assert.deepEqual(
      greedy.best.tokens.map((t) => t.text),
      localGreedy.tokens.map((t) => t.text),
      'the server’s greedy tokens are the panel model’s',
    );
    assert.ok(greedy.best.tokens.every((t) => t.alternatives.length > 0), 'alternatives come from the server’s top log-probs');

    const posts = server.requests.filter((r) => r.method === 'POST');
    assert.ok(posts.length > 0 && posts.every((r) => r.authorization === `Bearer ${KEY}`), 'every request carried the stored key');
    assert.ok(posts.every((r) => !('min_p' in r.body)), 'the refused min-p was never sent');
    assert.ok(!JSON.stringify(api.history()).includes(KEY), 'the key is not in history');
    assert.ok(!allSettingsText().includes(KEY), 'the key is still in no setting');

    // Per-run max tokens and stop strings (the panel's fields, here the command's arguments) go on the wire.
    const before = server.requests.length;
    const stopped = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt: PROMPT, maxNewTokens: 5, stopStrings: ['.'] });
    assert.equal(stopped?.status, 'done', stopped?.error ?? api.lastError());
    assert.deepEqual(stopped.options.stopStrings, ['.']);
    const sent = server.requests.slice(before).filter((r) => r.method === 'POST');
    assert.ok(sent.length > 0 && sent.every((r) => r.body.max_tokens === 5 && JSON.stringify(r.body.stop) === '["."]'), `max_tokens 5 and stop ["."] sent: ${JSON.stringify(sent.map((r) => r.body))}`);
  });

  it('Stop aborts the request in flight and keeps the tokens that arrived', async () => {
    const api = await labApi();
    let release!: () => void;
    server.faults.push({ kind: 'hold', afterTokens: 2, release: new Promise<void>((r) => (release = r)) });
    try {
      const streaming = nextEvent(api.onTokens, (e) => e.count >= 2, 120_000);
      const disconnected = once(server.disconnects, 'disconnect');
      const running = compare();
      await streaming;
      await vscode.commands.executeCommand('samplingLab.stop');
      await disconnected;
      const run = await running;
      assert.equal(run?.status, 'aborted', run?.error);
      const kept = run!.result!.results[0]!.best;
      assert.equal(kept.finishReason, 'aborted');
      assert.equal(kept.tokens.length, 2, 'the two tokens that arrived are kept');
      assert.ok(api.history().some((h) => h.id === run!.id && h.status === 'aborted'), 'the stopped run is in history');
    } finally {
      release();
    }
  });

  it('a workspace can neither select an endpoint nor redirect one (its endpoints list is ignored)', async () => {
    const api = await labApi();
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const settingsFile = path.join(folder, '.vscode', 'settings.json');
    const before = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : undefined;
    const config = () => vscode.workspace.getConfiguration('samplingLab');
    const changed = nextEvent(vscode.workspace.onDidChangeConfiguration, (e) => e.affectsConfiguration('samplingLab.model'), 60_000);
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    // A repository's own settings: an endpoint of the same name pointing elsewhere, and that endpoint selected.
    fs.writeFileSync(
      settingsFile,
      JSON.stringify({ 'samplingLab.endpoints': [{ name: NAME, baseUrl: 'http://127.0.0.1:9/evil', model: 'x' }], 'samplingLab.model': `endpoint:${NAME}` }),
    );
    try {
      await changed;
      assert.equal(config().inspect('model')?.workspaceValue, `endpoint:${NAME}`);
      const sent = server.requests.length;
      const refused = await compare();
      assert.equal(refused, undefined);
      assert.match(api.lastError() ?? '', /a workspace cannot select an endpoint/);
      assert.equal(server.requests.length, sent, 'nothing was sent');

      // The user's own selection still goes to the user's endpoint, not the workspace's.
      const restored = nextEvent(vscode.workspace.onDidChangeConfiguration, (e) => e.affectsConfiguration('samplingLab.model'), 60_000);
      fs.writeFileSync(settingsFile, JSON.stringify({ 'samplingLab.endpoints': [{ name: NAME, baseUrl: 'http://127.0.0.1:9/evil', model: 'x' }] }));
      await restored;
      assert.equal(config().get('model'), `endpoint:${NAME}`, 'the user setting selects it');
      const run = await compare();
      assert.equal(run?.status, 'done', run?.error ?? api.lastError());
      assert.ok(server.requests.length > sent, 'the run went to the user’s endpoint');
    } finally {
      if (before === undefined) fs.rmSync(settingsFile, { force: true });
      else fs.writeFileSync(settingsFile, before);
    }
  });
});
