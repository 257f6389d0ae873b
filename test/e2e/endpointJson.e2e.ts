/**
 * Generate JSON for Selection on an endpoint in real VS Code (code-server + Chromium): the user's
 * settings name an OpenAI-compatible test server on 127.0.0.1 (vLLM's wire format, the bundled
 * model behind it) and select it; the four route cards fill in from the extension host, the run's
 * header says the server sampled, and the constrained card names the server's json_schema as its
 * engine, valid against the schema.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './support/codeServer';
import { knownPerson } from './support/facts';
import { openLab, type Lab } from './support/lab';
import { panelFrame } from './support/panel';
import { serveModelInSuite } from './support/servedModel';
import { openFile, runCommand, selectLines } from './support/workbench';

describe('Generate JSON on an endpoint, end to end', function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  const prompt = `JSON for ${knownPerson(1)}:\n`;
  after(() => lab?.close());
  const served = serveModelInSuite('sl-endpoint-json-ws-', { 'prompts.txt': `${prompt}\n`, 'person.schema.json': fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'schemas', 'person.schema.json'), 'utf8') }, 'vllm');

  it('shows the four route cards from the server, the constrained one the server\'s json_schema, valid', async () => {
    lab = await openLab(served.workspace, {
      settings: { 'samplingLab.endpoints': [{ name: 'e2e-json', baseUrl: served.server.url, model: 'facts-lm', dialect: 'vllm' }], 'samplingLab.model': 'endpoint:e2e-json' },
    });
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    assert.equal(await selectLines(page, 1, 2), prompt.length);
    await runCommand(page, 'Sampling Lab: Generate JSON for Selection…');
    const pick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'person.schema.json' }).first();
    await pick.waitFor({ state: 'visible', timeout: 30_000 });
    await pick.click();

    const panel = await panelFrame(page);
    const run = panel.locator('.run[data-kind="json"]').first();
    await panel.locator('.run[data-kind="json"][data-status="done"]').first().waitFor({ state: 'attached', timeout: 300_000 });
    const host = new URL(served.server.url).host.replace(/\./g, '\\.');
    assert.match((await run.locator('.run-meta').textContent()) ?? '', new RegExp(`^facts-lm · sampled by the server \\(vllm at http://${host}/v1\\)`));
    assert.equal(await run.locator('.route-card[data-state="done"]').count(), 4, 'four cards, every one filled in');
    const constrained = run.locator('.route-card[data-route="constrained"]');
    assert.equal(await constrained.locator('.route-badge').textContent(), '✓ valid');
    assert.match((await constrained.locator('.route-engine').textContent()) ?? '', new RegExp(`^Engine: server json_schema \\(vllm at http://${host}/v1\\)\\. The server enforces the schema with vLLM's structured outputs`));
    const output = JSON.parse((await constrained.locator('.route-output').textContent()) ?? '') as { born: number };
    assert.ok(output.born >= 1900 && output.born <= 1999, `born ${output.born} within the schema's bounds`);
    const sent = served.server.requests.filter((r) => r.method === 'POST' && r.body.response_format !== undefined);
    assert.equal(sent.length, 1, 'the schema went to the server once, with the constrained route');
  });
});
