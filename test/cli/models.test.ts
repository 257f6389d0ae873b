/**
 * The built CLI with hub models, against the hub test server: `models pull | list | rm`, plain
 * progress lines when stderr is not a terminal, compare / json / anatomy on a hub id (chat template
 * by default, --raw, --system), from the cache once the server is gone.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../support/model';
import { startHubServer, type HubServer } from '../support/hubServer';
import { qwen3RandomFiles } from '../support/qwen3Model';

const CLI = path.join(REPO, 'dist', 'cli.js');
const QWEN = 'sampling-lab/qwen3-random';

/** Runs the CLI without blocking this process (the hub server answers from it). */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('sampling-lab with hub models', function () {
  this.timeout(300_000);
  let server: HubServer;
  let cacheDir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = await startHubServer();
    server.addRepo({ id: QWEN, files: qwen3RandomFiles() });
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-hub-'));
    env = { HF_ENDPOINT: server.endpoint, HF_HUB_CACHE: cacheDir, HF_HUB_OFFLINE: '', HF_TOKEN: '' };
  });
  after(async () => {
    await server.close().catch(() => undefined);
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('models pull downloads the q8 files with plain progress lines, and models list shows them', async () => {
    const pull = await run(['models', 'pull', QWEN, '--dtype', 'q8'], env);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stderr, /^download: 100% .* \(5 of 5 files\)$/m);
    assert.doesNotMatch(pull.stderr, /\r/, 'no terminal redraws into a pipe');
    assert.match(pull.stdout, /sampling-lab\/qwen3-random q8 at [0-9a-f]{10}: [\d.]+ MB downloaded/);
    const list = await run(['models', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`Hugging Face cache: ${cacheDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(list.stdout, /sampling-lab\/qwen3-random {2}[0-9a-f]{10} \(main\) {2}q8 {2}1[0-9.]+ MB/);
  });

  it('compare, json and anatomy take the hub id, and run from the cache with the hub gone', async () => {
    const compare = await run(['compare', '--json', '--model', QWEN, '--strategies', 'greedy', '--max-tokens', '3', 'Hello'], env);
    assert.equal(compare.code, 0, compare.stderr);
    const out = JSON.parse(compare.stdout);
    assert.equal(out.model, QWEN);
    assert.equal(out.results[0].best.tokens.length, 3);
    assert.equal(server.requests.filter((r) => r.host === 'cdn').length, 2, 'nothing downloaded again (2 LFS files, pulled once)');

    const chat = await run(['compare', '--model', QWEN, '--system', 'Be brief.', '--strategies', 'greedy', '--max-tokens', '2', 'Hi'], env);
    assert.equal(chat.code, 0, chat.stderr);
    assert.match(chat.stdout, /^prompt through the chat template \(\d+ tokens\): "<\|im_start\|>system\\nBe brief\.<\|im_end\|>\\n<\|im_start\|>user\\nHi<\|im_end\|>\\n<\|im_start\|>assistant\\n"$/m);
    const raw = await run(['compare', '--model', QWEN, '--raw', '--strategies', 'greedy', '--max-tokens', '2', 'Hi'], env);
    assert.equal(raw.code, 0, raw.stderr);
    assert.doesNotMatch(raw.stdout, /chat template/);
    assert.match(raw.stdout, /prompt 1 tokens/);

    const anatomy = await run(['anatomy', '--json', '--model', QWEN], env);
    assert.equal(anatomy.code, 0, anatomy.stderr);
    assert.equal(JSON.parse(anatomy.stdout).model, QWEN);

    await server.close();
    const schema = path.join(cacheDir, 'n.schema.json');
    fs.writeFileSync(schema, JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }));
    const json = await run(['json', '--json', '--model', QWEN, '--schema', schema, '--max-tokens', '8', 'JSON:'], env);
    assert.equal(json.code, 0, json.stderr);
    const offline = await run(['compare', '--model', QWEN, '--strategies', 'greedy', '--max-tokens', '2', 'Hi'], { ...env, HF_HUB_OFFLINE: '1' });
    assert.equal(offline.code, 0, offline.stderr);
  });

  it('names a model missing from the cache when offline, and models rm removes one', async () => {
    const missing = await run(['compare', '--model', 'someone/other-model', 'Hi'], { ...env, HF_HUB_OFFLINE: '1' });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /someone\/other-model is not in the cache .* HF_HUB_OFFLINE is set\. Pull it while online: sampling-lab models pull someone\/other-model/);
    const rm = await run(['models', 'rm', QWEN], env);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /Removed sampling-lab\/qwen3-random \(1[0-9.]+ MB\)/);
    assert.equal((await run(['models', 'list', '--json'], env)).stdout.includes(QWEN), false);
    const bad = await run(['models', 'pull', 'not-an-id'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"not-an-id" is not a hub id/);
  });
});
