/**
 * Prompt test suites that name `model: endpoint:NAME`, run from the Testing controller: the cases
 * go to the user's endpoint (test/support/openaiServer.ts on 127.0.0.1, the bundled model behind
 * it) from the extension host, pass and fail as designed, a strategy the server cannot honour
 * fails its case by name with nothing sent, an unknown name says which endpoints there are,
 * Restricted Mode sends nothing, and Stop aborts the request in flight and keeps the finished case.
 */
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseSuite } from '../../src/core/prompttest';
import type { EndpointSetting } from '../../src/extension/endpoints';
import { CaseOutcomes, type CaseRun, type CaseToRun } from '../../src/extension/promptTests/caseOutcomes';
import { runCasesOnEndpoint, suiteEndpoint, type EndpointCaseDeps } from '../../src/extension/promptTests/endpointCases';
import { RemoteEngine } from '../../src/node/engines/remote/remoteEngine';
import { bundledModel, cityQuestion, type Person } from '../support/model';
import { OpenAiTestServer } from '../support/openaiServer';
import { EXTENSION_ID, labApi, nextEvent, until, useSettingsInSuite } from './extensionApi';

const NAME = 'suite-server';
/** Two people the bundled model knows (its world file; test/support/model.ts's path is the repository's, not this bundle's). */
let known: Person;
let other: Person;

/** A suite on `model`, with cases as YAML list items. */
function suiteText(model: string, ...cases: string[]): string {
  return `model: ${model}\ndefaults:\n  max_tokens: 8\ncases:\n${cases.join('')}`;
}
const containsCase = (name: string, prompt: string, value: string) =>
  `  - name: ${name}\n    prompt: ${JSON.stringify(prompt)}\n    assert:\n      - type: contains\n        value: ${JSON.stringify(value)}\n`;
const MIN_P_PROMPT = 'Q: Which strategy is refused?\nA:';
const minPCase = `  - name: min-p refused\n    settings: { kind: min_p, minP: 0.1 }\n    prompt: ${JSON.stringify(MIN_P_PROMPT)}\n    assert:\n      - type: contains\n        value: x\n      - type: max-risk\n        value: 0.5\n`;

/** What a run reported per case, and its output: the Testing view's side of a run. */
class RecordingRun implements CaseRun {
  output = '';
  readonly outcomes = new Map<string, { state: string; messages: vscode.TestMessage[] }>();
  started(): void {}
  passed(item: vscode.TestItem): void {
    this.outcomes.set(item.label, { state: 'passed', messages: [] });
  }
  failed(item: vscode.TestItem, message: vscode.TestMessage | readonly vscode.TestMessage[]): void {
    this.outcomes.set(item.label, { state: 'failed', messages: [message].flat() as vscode.TestMessage[] });
  }
  errored(item: vscode.TestItem, message: vscode.TestMessage | readonly vscode.TestMessage[]): void {
    this.outcomes.set(item.label, { state: 'errored', messages: [message].flat() as vscode.TestMessage[] });
  }
  skipped(item: vscode.TestItem): void {
    this.outcomes.set(item.label, { state: 'skipped', messages: [] });
  }
  appendOutput(text: string): void {
    this.output += text;
  }
}

describe('prompt tests on an endpoint (model: endpoint:NAME)', function () {
  // The server's model loads in this host.
  this.timeout(300_000);
  let server: OpenAiTestServer;
  let endpoint: EndpointSetting;
  const dir = () => path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'prompts-endpoint');
  const controller = vscode.tests.createTestController('samplingLab.test.endpointCases', 'endpoint cases');

  before(async () => {
    const world = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'models', 'facts-lm', 'world', 'known.json');
    [known, other] = JSON.parse(fs.readFileSync(world, 'utf8')) as Person[];
    server = await new OpenAiTestServer(await bundledModel(), 'openai').start();
    endpoint = { name: NAME, baseUrl: server.url, model: 'facts-lm', dialect: 'openai' };
    fs.mkdirSync(dir(), { recursive: true });
  });
  useSettingsInSuite({ model: 'facts-lm', 'cache.enabled': false, endpointConcurrency: 1 });
  before(async () => {
    await vscode.workspace.getConfiguration('samplingLab').update('endpoints', [endpoint], vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    await vscode.workspace.getConfiguration('samplingLab').update('endpoints', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir(), { recursive: true, force: true });
    controller.dispose();
    await server?.close();
  });

  /** Writes a suite into the workspace and returns its Test Explorer id, once discovered. */
  async function writeSuite(file: string, text: string): Promise<string> {
    const full = path.join(dir(), file);
    fs.writeFileSync(full, text);
    const uri = vscode.Uri.file(full).toString();
    const api = await labApi();
    const found = (await api.promptTests.discover()).find((f) => f.uri === uri);
    assert.ok(found && found.error === undefined, `discovered ${file}: ${JSON.stringify(found)}`);
    return uri;
  }

  /** The suite's cases as the run handler gets them, for driving runCasesOnEndpoint directly. */
  function casesOf(text: string): CaseToRun[] {
    const parsed = parseSuite(text);
    assert.deepEqual(parsed.problems, []);
    const uri = vscode.Uri.file(path.join(dir(), 'direct.prompttest.yaml'));
    return parsed.cases.map((c) => ({ item: controller.createTestItem(c.name, c.name, uri), entry: { case: c, uri, model: parsed.model, modelRange: parsed.modelRange } }));
  }

  function deps(overrides: Partial<EndpointCaseDeps> = {}): EndpointCaseDeps {
    return {
      trusted: () => true,
      endpoints: () => [endpoint],
      selected: () => endpoint,
      open: async (e) => new RemoteEngine({ endpoint: e.baseUrl, model: e.model, dialect: e.dialect }),
      concurrency: () => 2,
      cacheFor: () => undefined,
      ...overrides,
    };
  }

  it('runs the suite on the endpoint from the Testing controller: pass and fail as designed, the refused strategy never sent', async () => {
    const api = await labApi();
    const uri = await writeSuite(
      'remote.prompttest.yaml',
      suiteText(`endpoint:${NAME}`, containsCase('known city', cityQuestion(known.name), known.city), containsCase('wrong city', cityQuestion(other.name), 'Nowhereville'), minPCase),
    );
    const sent = server.requests.length;
    const summary = await api.promptTests.run([uri]);
    assert.deepEqual(summary, { passed: 1, failed: 2, errored: 0, skipped: 0, cached: 0 }, api.lastError());
    const posts = server.requests.slice(sent).filter((r) => r.method === 'POST');
    const prompts = posts.map((r) => r.body.prompt);
    assert.ok(prompts.includes(cityQuestion(known.name)) && prompts.includes(cityQuestion(other.name)), `the server got both cases: ${JSON.stringify(prompts)}`);
    assert.ok(!prompts.includes(MIN_P_PROMPT) && posts.every((r) => !('min_p' in r.body)), 'the refused case sent nothing');
  });

  it('says what the server changes, and fails a strategy it cannot honour by name', async () => {
    const run = new RecordingRun();
    const out = new CaseOutcomes(run);
    const sent = server.requests.length;
    const cases = casesOf(suiteText(`endpoint:${NAME}`, containsCase('known city', cityQuestion(known.name), known.city), minPCase));
    await runCasesOnEndpoint({ model: `endpoint:${NAME}`, fromSuite: true, cases }, out, new vscode.CancellationTokenSource().token, deps());
    assert.equal(run.outcomes.get('known city')?.state, 'passed', run.output);
    const refused = run.outcomes.get('min-p refused');
    assert.equal(refused?.state, 'failed');
    const host = new URL(server.url).host;
    assert.equal(refused!.messages[0]!.message, `Not run on endpoint ${NAME}: min-p: not supported by ${host}. The server samples, so a strategy it cannot honour is not sent.`);
    assert.match(run.output, new RegExp(`Prompt tests on endpoint ${NAME} \\(facts-lm, openai at http://${host.replace(/\./g, '\\.')}/v1\\), the suite's model: 2 cases, sampled by the server\\.`));
    assert.match(run.output, /Sampled by the server: only the parameters it honours are sent/);
    assert.match(run.output, /max-risk: the server samples the answers, and they are scored by lexical agreement, uncalibrated \(run Calibrate Hallucination Risk with this endpoint selected for bands\)/);
    assert.ok(server.requests.slice(sent).every((r) => r.body.prompt !== MIN_P_PROMPT));
  });

  it('an unknown endpoint name says which endpoints there are and how to add one, and sends nothing', async () => {
    const api = await labApi();
    const uri = await writeSuite('unknown.prompttest.yaml', suiteText('endpoint:nope', containsCase('known city', cityQuestion(known.name), known.city)));
    const sent = server.requests.length;
    const summary = await api.promptTests.run([uri]);
    assert.deepEqual(summary, { passed: 0, failed: 0, errored: 1, skipped: 0, cached: 0 });
    assert.equal(server.requests.length, sent, 'nothing was sent');
    assert.throws(
      () => suiteEndpoint('endpoint:nope', [endpoint, { ...endpoint, name: 'gpu-box' }]),
      /This suite's model is "endpoint:nope", but samplingLab\.endpoints has no endpoint named "nope"\. Your user settings list: suite-server, gpu-box\. Add it with Sampling Lab: Add Endpoint…/,
    );
    assert.throws(() => suiteEndpoint('endpoint:nope', []), /Your user settings list no endpoints\. Add it with Sampling Lab: Add Endpoint…/);
  });

  it('in Restricted Mode a suite naming an endpoint sends nothing, and each case says why and how to proceed', async () => {
    const run = new RecordingRun();
    const sent = server.requests.length;
    let opened = 0;
    const cases = casesOf(suiteText(`endpoint:${NAME}`, containsCase('known city', cityQuestion(known.name), known.city)));
    await runCasesOnEndpoint(
      { model: `endpoint:${NAME}`, fromSuite: true, cases },
      new CaseOutcomes(run),
      new vscode.CancellationTokenSource().token,
      deps({ trusted: () => false, open: async (e) => (opened++, new RemoteEngine({ endpoint: e.baseUrl, model: e.model, dialect: e.dialect })) }),
    );
    const outcome = run.outcomes.get('known city');
    assert.equal(outcome?.state, 'errored');
    assert.match(outcome!.messages[0]!.message as string, /^Nothing was sent\. This folder is open in Restricted Mode: Sampling Lab sends a suite's prompts to endpoint suite-server only once you trust the workspace \(Manage Workspace Trust\)\.$/);
    assert.equal(outcome!.messages[0]!.location!.range.start.line, 0, "at the suite's model: line");
    assert.equal(opened, 0, 'the endpoint was not even opened');
    assert.equal(server.requests.length, sent, 'the server received nothing');
  });

  it("a suite's own local model that cannot load errors its cases at the model: line, never running them on the selected model", async () => {
    const api = await labApi();
    const uri = await writeSuite('folder.prompttest.yaml', suiteText('./no-such-model', containsCase('known city', cityQuestion(known.name), known.city)));
    const sent = server.requests.length;
    const summary = await api.promptTests.run([uri]);
    assert.deepEqual(summary, { passed: 0, failed: 0, errored: 1, skipped: 0, cached: 0 }, 'not passed on facts-lm, the selected model');
    assert.equal(server.requests.length, sent);
  });

  it('Stop aborts the request in flight and keeps the case that finished', async () => {
    const api = await labApi();
    const uri = await writeSuite(
      'stop.prompttest.yaml',
      suiteText(`endpoint:${NAME}`, containsCase('first', cityQuestion(known.name), known.city), containsCase('held', cityQuestion(other.name), other.city)),
    );
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // One case at a time (endpointConcurrency 1): the second case's request is the one held, once it starts.
    const hold = api.promptTests.onDidStartCase((id) => id.endsWith('#held') && server.faults.push({ kind: 'hold', afterTokens: 1, release: held }));
    try {
      const cts = new vscode.CancellationTokenSource();
      const disconnected = once(server.disconnects, 'disconnect');
      const heldStarted = nextEvent(api.promptTests.onDidStartCase, (id) => id.endsWith('#held'), 120_000);
      const sent = server.requests.length;
      const running = api.promptTests.run([uri], cts.token);
      await heldStarted;
      await until(() => server.requests.slice(sent).some((r) => r.body.prompt === cityQuestion(other.name)), (ok) => ok, 'the held request to reach the server');
      cts.cancel();
      const summary = await running;
      await disconnected;
      assert.deepEqual(summary, { passed: 1, failed: 0, errored: 0, skipped: 1, cached: 0 });
    } finally {
      hold.dispose();
      release();
    }
  });
});
