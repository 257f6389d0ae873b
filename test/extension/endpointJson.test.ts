/**
 * Generate JSON for Selection on an endpoint: with `samplingLab.model: endpoint:NAME` the four
 * routes run in the extension host through the remote engine, the server (test/support/
 * openaiServer.ts on 127.0.0.1, vLLM's wire format, the bundled model behind it) sampling every
 * route and enforcing the schema on the constrained one by response_format json_schema. The
 * panel shows the route cards as for a local run, ajv gives the verdicts, a server route without
 * json_schema is refused on its card by name, and Stop aborts the request in flight and keeps the
 * routes that finished.
 */
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkSchema } from '../../src/core/structured/schema';
import type { RunRecord } from '../../src/protocol/messages';
import { bundledModel } from '../support/model';
import { OpenAiTestServer } from '../support/openaiServer';
import { EXTENSION_ID, labApi, useSettingsInSuite, withSettings } from './extensionApi';

const NAME = 'json-server';
/** The same server, declared as OpenAI's dialect: its /v1/completions has no json_schema. */
const OPENAI_NAME = 'json-server-openai';

function generateJson(args: Record<string, unknown>): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.generateJson', args);
}

describe('Generate JSON on an endpoint', function () {
  // The server's model loads in this host.
  this.timeout(300_000);
  let server: OpenAiTestServer;
  let schemaFile: string;
  let schema: Record<string, unknown>;
  let person: { name: string };

  before(async () => {
    server = await new OpenAiTestServer(await bundledModel(), 'vllm').start();
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    schemaFile = path.join(extension.extensionPath, 'test', 'fixtures', 'schemas', 'person.schema.json');
    schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    person = (JSON.parse(fs.readFileSync(path.join(extension.extensionPath, 'models', 'facts-lm', 'world', 'known.json'), 'utf8')) as { name: string }[])[4]!;
  });
  after(async () => {
    await server?.close();
  });

  useSettingsInSuite({ endpoints: [], model: 'facts-lm', seed: 42, 'cache.enabled': false });

  async function select(name: string, dialect: 'vllm' | 'openai'): Promise<void> {
    const api = await labApi();
    const added = await vscode.commands.executeCommand('samplingLab.addEndpoint', { baseUrl: server.url, model: 'facts-lm', name, dialect });
    assert.ok(added, `added (last error: ${api.lastError()})`);
    const selected = await vscode.commands.executeCommand<{ endpoint: string } | undefined>('samplingLab.selectModel', { model: `endpoint:${name}` });
    assert.equal(selected?.endpoint, name, api.lastError());
  }

  it('runs the four routes on the server: the constrained card is the server\'s json_schema, schema-valid, and the panel takes every record', async () => {
    const api = await labApi();
    await select(NAME, 'vllm');
    const protocolErrors: string[] = [];
    const watch = api.onPanelEvent((e) => e.type === 'protocolError' && protocolErrors.push(e.error));
    const before = server.requests.length;
    const run = await generateJson({ selection: `JSON for ${person.name}:\n`, schemaFile });
    watch.dispose();
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    assert.deepEqual(protocolErrors, [], 'the panel took every message of the run');
    assert.equal(run!.kind, 'json');
    assert.match(run!.engine!.sampledBy, /^the server \(vllm at http:\/\/127\.0\.0\.1:\d+\/v1\)$/);
    const routes = run!.structured!.routes;
    assert.deepEqual(routes.map((r) => [r.route, r.error]), [['prompting', undefined], ['repair', undefined], ['constrained', undefined], ['test_time', undefined]]);
    const constrained = routes[2]!;
    assert.equal(constrained.valid, true, constrained.output);
    assert.match(String(constrained.engine), /^server json_schema \(vllm at http:\/\/127\.0\.0\.1:\d+\/v1\)$/);
    assert.match(constrained.engineReason!, /vLLM's structured outputs/);
    const checked = checkSchema(schema, 'person.schema.json');
    for (const r of routes) assert.equal(r.valid, checked.validateText(r.output).valid, `${r.route}: the verdict is ajv's`);
    const posts = server.requests.slice(before).filter((q) => q.method === 'POST');
    const constrainedPosts = posts.filter((q) => q.body.response_format !== undefined);
    assert.equal(constrainedPosts.length, 1, 'only the constrained route sends the schema');
    assert.deepEqual((constrainedPosts[0]!.body.response_format as { json_schema: { schema: unknown } }).json_schema.schema, schema);
    assert.ok(api.history().some((h) => h.id === run!.id && h.status === 'done' && h.structured?.routes.length === 4), 'the finished run is in history');
  });

  it('Stop aborts the constrained request in flight and keeps the routes that finished', async () => {
    const api = await labApi();
    await select(NAME, 'vllm');
    let release!: () => void;
    server.faults.push({ kind: 'hold', afterTokens: 2, release: new Promise<void>((r) => (release = r)), when: (body) => body.response_format !== undefined });
    try {
      const holding = once(server.holds, 'hold');
      const disconnected = once(server.disconnects, 'disconnect');
      const running = generateJson({ selection: `JSON for ${person.name}:\n`, schemaFile });
      await holding;
      await vscode.commands.executeCommand('samplingLab.stop');
      await disconnected;
      const run = await running;
      assert.equal(run?.status, 'aborted', run?.error ?? api.lastError());
      assert.match(run!.error!, /routes that finished are kept/);
      const routes = run!.structured!.routes;
      assert.deepEqual(routes.slice(0, 2).map((r) => [r.route, r.error]), [['prompting', undefined], ['repair', undefined]]);
      assert.ok(routes.every((r) => r.route !== 'test_time'), 'nothing ran after Stop');
      assert.ok(api.history().some((h) => h.id === run!.id && h.status === 'aborted'), 'the stopped run is in history');
    } finally {
      release();
    }
  });

  it('with samplingLab.promptFormat left to auto, chats where the server\'s json_schema is on chat only: the constrained card runs and says so', async () => {
    const api = await labApi();
    await select(OPENAI_NAME, 'openai');
    const before = server.requests.length;
    const run = await generateJson({ selection: `JSON for ${person.name}:\n`, schemaFile });
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    const constrained = run!.structured!.routes.find((r) => r.route === 'constrained')!;
    assert.equal(constrained.error, undefined, constrained.error);
    assert.equal(constrained.valid, true, constrained.output);
    assert.match(constrained.engineReason!, /The prompt went as a chat message, every route alike: the prompt format is auto, and this server's json_schema needs chat\.$/);
    const posts = server.requests.slice(before).filter((q) => q.method === 'POST');
    assert.ok(posts.length >= 3 && posts.every((q) => q.path === '/v1/chat/completions'), posts.map((q) => q.path).join());
    assert.equal(posts.filter((q) => q.body.response_format !== undefined).length, 1, 'the constrained route sent the schema');
  });

  it('with samplingLab.promptFormat "raw" chosen, refuses the constrained route on its card by name, and sends nothing for it', async () => {
    const api = await labApi();
    await select(OPENAI_NAME, 'openai');
    const before = server.requests.length;
    const run = await withSettings({ promptFormat: 'raw' }, () => generateJson({ selection: `JSON for ${person.name}:\n`, schemaFile }));
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    const constrained = run!.structured!.routes.find((r) => r.route === 'constrained')!;
    assert.equal(constrained.error, `constrained: not supported by ${new URL(server.url).host} on /v1/completions (raw prompts); its json_schema is on /v1/chat/completions: use the chat prompt format (samplingLab.promptFormat "chat" or "auto", or drop --raw)`);
    assert.ok(server.requests.slice(before).every((q) => q.body.response_format === undefined && q.body.json_schema === undefined), 'no schema went to the server');
    assert.ok(server.requests.slice(before).some((q) => q.path === '/v1/completions'), 'the other routes ran raw');
  });
});
