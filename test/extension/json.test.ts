import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { inferSchema } from '../../src/core/structured/inferSchema';
import type { RunRecord } from '../../src/protocol/messages';
import { validateHostToWebview, validateRunRecords, validateWebviewToHost, validateWorkerRequest } from '../../src/protocol/validate';
import { INFERRED_SCHEMA_SOURCE, schemaFromBlock, splitSelection } from '../../src/extension/schemaSources';
import { EXTENSION_ID, labApi, nextEvent } from './extensionApi';

function generateJson(args: Record<string, unknown>): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.generateJson', args);
}

/** A person the bundled model was trained on (models/facts-lm/world/known.json). */
function knownPerson(): { name: string; city: string; profession: string; born: number } {
  const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
  const file = vscode.Uri.joinPath(extension.extensionUri, 'models', 'facts-lm', 'world', 'known.json').fsPath;
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; city: string; profession: string; born: number }[])[0]!;
}

describe('Generate JSON for Selection', function () {
  // The first run may load the model in the webview (WASM, single thread).
  this.timeout(300_000);
  const workspace = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const written: string[] = [];
  const writeWorkspaceFile = (name: string, text: string) => {
    const file = path.join(workspace(), name);
    fs.writeFileSync(file, text);
    written.push(file);
    return file;
  };

  after(() => {
    for (const file of written) fs.rmSync(file, { force: true });
  });

  it('is registered, in the "Sampling Lab" category, and in the editor context menu when text is selected', async () => {
    await labApi();
    assert.ok((await vscode.commands.getCommands(true)).includes('samplingLab.generateJson'));
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const command = (pkg.contributes.commands as { command: string; title: string; category: string }[]).find((c) => c.command === 'samplingLab.generateJson');
    assert.equal(command?.title, 'Generate JSON for Selection…');
    assert.equal(command?.category, 'Sampling Lab');
    const menu = pkg.contributes.menus['editor/context'] as { command: string; when: string }[];
    assert.equal(menu.find((m) => m.command === 'samplingLab.generateJson')?.when, 'editorHasSelection');
  });

  it('a schema file that is not JSON gives a message naming the file, the line and the column', async () => {
    const api = await labApi();
    const file = writeWorkspaceFile('broken.schema.json', '{\n  "type": "object",\n  "properties": { "name": { "type": "string" } ,}\n}\n');
    const run = await generateJson({ selection: 'JSON for Ada:\n', schemaFile: file });
    assert.equal(run, undefined, 'nothing runs');
    assert.match(api.lastError() ?? '', /^Sampling Lab: broken\.schema\.json is not valid JSON: .* at line 3, column \d+/);
  });

  it('a schema file that is not a valid JSON Schema names the keyword at fault', async () => {
    const api = await labApi();
    const file = writeWorkspaceFile('wrong.schema.json', JSON.stringify({ type: 'object', properties: { born: { type: 'integr' } } }));
    const run = await generateJson({ selection: 'JSON for Ada:\n', schemaFile: file });
    assert.equal(run, undefined);
    assert.match(api.lastError() ?? '', /^Sampling Lab: wrong\.schema\.json is not a valid JSON Schema: \/properties\/born\/type /);
  });

  it('JSON in the selection that does not parse is reported, not run', async () => {
    const api = await labApi();
    const run = await generateJson({ selection: 'JSON for Ada:\n{"type": "object", "properties": {', useSelectionJson: true });
    assert.equal(run, undefined);
    assert.match(api.lastError() ?? '', /^Sampling Lab: The JSON in the selection is not valid JSON: /);
  });

  it('splits a selection into the prompt and its JSON block: a schema, an example, or a fenced block', () => {
    const schema = splitSelection('JSON for Ada:\n{ "type": "object", "properties": { "name": { "type": "string" } } }\n');
    assert.equal(schema.prompt, 'JSON for Ada:\n');
    assert.equal(schema.block?.kind, 'schema');
    const example = splitSelection('{"name": "Ada", "tags": ["a", "}"]}\nJSON for Ada:\n');
    assert.equal(example.prompt, 'JSON for Ada:\n');
    assert.equal(example.block?.kind, 'example');
    const fenced = splitSelection('JSON for Ada:\n```json\n{"type": "string"}\n```\n');
    assert.equal(fenced.prompt, 'JSON for Ada:\n');
    assert.equal(fenced.block?.kind, 'schema');
    assert.deepEqual(splitSelection('JSON for Ada:\n'), { prompt: 'JSON for Ada:\n' });
  });

  it('infers a schema from a JSON example: every key required, integers stay integers', () => {
    const example = splitSelection('JSON for Ada:\n{"name": "Ada Lovelace", "born": 1815, "tags": ["a"]}');
    const resolved = schemaFromBlock(example.block!);
    assert.equal(resolved.inferred, true);
    assert.equal(resolved.source, INFERRED_SCHEMA_SOURCE);
    assert.deepEqual(resolved.schema, {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { name: { type: 'string' }, born: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['name', 'born', 'tags'],
      additionalProperties: false,
    });
  });

  it('runs the four routes in the panel on a schema inferred from an example, the constrained one valid, and keeps the run in history', async () => {
    const api = await labApi();
    const person = knownPerson();
    const example = { name: 'Ada Lovelace', city: 'Paris', profession: 'baker', born: 1953 };
    const run = await generateJson({ selection: `JSON for ${person.name}:\n${JSON.stringify(example)}\n`, useSelectionJson: true, acceptInferred: true });
    assert.ok(run, `a record (last error: ${api.lastError()})`);
    assert.equal(run.status, 'done', run.error);
    assert.equal(run.kind, 'json');
    assert.equal(run.prompt, `JSON for ${person.name}:\n`);
    assert.equal(run.structured?.schemaSource, INFERRED_SCHEMA_SOURCE);
    assert.deepEqual(run.structured?.schema, inferSchema(example));
    assert.deepEqual(run.structured?.routes.map((r) => r.route), ['prompting', 'repair', 'constrained', 'test_time']);
    const constrained = run.structured!.routes.find((r) => r.route === 'constrained')!;
    assert.equal(constrained.valid, true, `${constrained.output} ${JSON.stringify(constrained.issues)} ${constrained.error ?? ''}`);
    assert.equal(constrained.engine, 'xgrammar');
    assert.ok(constrained.outputTokens.length > 0 && constrained.outputTokens.every((t) => Number.isInteger(t.allowed) && t.allowed! >= 1 && t.allowed! <= constrained.vocabSize));
    assert.equal(JSON.parse(constrained.output).name.length > 0, true);
    const stored = api.history().find((h) => h.id === run.id);
    assert.equal(stored?.status, 'done');
    // History goes through workspace storage as JSON: what it keeps must read back.
    const roundTrip = validateRunRecords(JSON.parse(JSON.stringify(api.history())));
    assert.ok(roundTrip.ok, (roundTrip as { error?: string }).error);
  });

  it('Stop ends a JSON run early, as it does a comparison', async () => {
    const api = await labApi();
    const person = knownPerson();
    const started = nextEvent(api.onDidStartRun, () => true, 60_000);
    const running = generateJson({ selection: `JSON for ${person.name}:\n{"name": "Ada", "born": 1953}`, useSelectionJson: true, acceptInferred: true });
    await started;
    await vscode.commands.executeCommand('samplingLab.stop');
    const run = await running;
    assert.equal(run?.status, 'aborted', `${run?.status} ${run?.error ?? ''} (last error: ${api.lastError()})`);
    assert.ok((run.structured?.routes.length ?? 0) < 4, `${run.structured?.routes.length} routes ran`);
  });
});

describe('structured-output messages', () => {
  const strategy = { strategy: { name: 'temperature 1', kind: 'temperature', sampler: { stages: [{ type: 'temperature', temperature: 1 }], select: 'sample' } }, chain: 'logits -> temperature(1) -> dist' };
  const options = { maxNewTokens: 96, seed: 42, samples: 8 };
  const request = { type: 'structured', requestId: 'run-1', prompt: 'p', strategy, options, maxRetries: 2, schema: { type: 'object' }, schemaSource: 'person.schema.json' };
  const route = {
    route: 'constrained',
    title: 'Constrained sampling',
    output: '{}',
    valid: true,
    issues: [],
    tries: 1,
    tokens: 1,
    timeMs: 3,
    note: 'xgrammar',
    attempts: [{ text: '{}', valid: true, issues: [], tokens: 1, meanLogprob: -0.1 }],
    outputTokens: [{ token: 1, text: '{}', logprobRaw: -0.1, logprobSampling: -0.1, candidates: 3, alternatives: [], allowed: 12 }],
    engine: 'xgrammar',
    vocabSize: 1400,
  };

  it('accepts a structured request, route results and the finished routes', () => {
    assert.ok(validateHostToWebview(request).ok);
    assert.ok(validateWorkerRequest(request).ok, 'the worker takes it');
    assert.ok(validateWebviewToHost({ type: 'routeDone', requestId: 'r', result: route }).ok);
    assert.ok(validateWebviewToHost({ type: 'structuredDone', requestId: 'r', result: { prompt: 'p', strategy: 's', seed: 42, routes: [route], elapsedMs: 9 } }).ok);
  });

  it('rejects malformed ones, saying where', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...request, schema: [1] }, /structured\.schema must be a JSON schema \(an object or a boolean\) \(got an array\)/],
      [{ ...request, maxRetries: 1.5 }, /structured\.maxRetries must be an integer/],
      [{ ...request, options: { ...options, seed: 'x' } }, /structured\.options\.seed must be/],
    ];
    for (const [message, error] of cases) {
      const checked = validateHostToWebview(message);
      assert.equal(checked.ok, false, JSON.stringify(message));
      assert.match((checked as { error: string }).error, error);
    }
    const badRoute = validateWebviewToHost({ type: 'routeDone', requestId: 'r', result: { ...route, route: 'magic' } });
    assert.match((badRoute as { error: string }).error, /routeDone\.result\.route must be one of prompting, repair, constrained, test_time/);
    const badToken = validateWebviewToHost({ type: 'routeDone', requestId: 'r', result: { ...route, outputTokens: [{ ...route.outputTokens[0], allowed: 'many' }] } });
    assert.match((badToken as { error: string }).error, /outputTokens\[0\]\.allowed must be an integer/);
  });
});
