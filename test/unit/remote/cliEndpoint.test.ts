/** The CLI's endpoint flags and the engine registry, without a server. */
import * as assert from 'node:assert/strict';
import { apiKeyFrom, endpointArgs } from '../../../src/cli/endpoint';
import { parseCompareArgs } from '../../../src/cli/args';
import { engineProviders } from '../../../src/node/engines';
import { Limiter } from '../../../src/node/engines/remote/http';
import { capabilitiesOf } from '../../../src/node/engines/remote/remoteEngine';
import { DIALECTS } from '../../../src/node/engines/remote/dialects';
import { capabilityNotes, LOCAL_CAPABILITIES } from '../../../src/core/engine/types';

describe('remote engine: CLI flags, registry, capabilities', () => {
  it('parses --endpoint, --dialect, --api-key-env and --concurrency on compare', () => {
    const args = parseCompareArgs(['--endpoint', 'http://127.0.0.1:8000', '--dialect', 'vllm', '--api-key-env', 'MY_KEY', '--concurrency', '16', 'hi']);
    assert.ok(args !== 'help');
    assert.deepEqual(args.endpoint, { endpoint: 'http://127.0.0.1:8000', dialect: 'vllm', apiKeyEnv: 'MY_KEY', concurrency: 16 });
  });

  it('refuses a bad dialect, a URL that is not http(s), and endpoint-only flags without --endpoint', () => {
    assert.throws(() => endpointArgs({ endpoint: 'http://x', dialect: 'tgi' }), /--dialect must be one of auto, openai, vllm, llamacpp, ollama, lmstudio \(got "tgi"\)/);
    assert.throws(() => endpointArgs({ endpoint: 'file:///etc/passwd' }), /http:\/\/ or https:\/\//);
    assert.throws(() => endpointArgs({ dialect: 'vllm' }), /--dialect needs --endpoint URL/);
    assert.throws(() => endpointArgs({ endpoint: 'http://x', concurrency: '0' }), /--concurrency must be an integer in \[1, 256\]/);
    assert.throws(() => endpointArgs({ endpoint: 'http://x', 'api-key-env': '$(rm -rf)' }), /--api-key-env takes a variable name/);
  });

  it('takes the key from the named variable, else OPENAI_API_KEY', () => {
    const args = endpointArgs({ endpoint: 'http://x' })!;
    assert.equal(apiKeyFrom(args, { OPENAI_API_KEY: 'sk-a' }), 'sk-a');
    assert.equal(apiKeyFrom(args, {}), undefined);
    assert.equal(apiKeyFrom({ ...args, apiKeyEnv: 'K' }, { K: 'sk-b', OPENAI_API_KEY: 'sk-a' }), 'sk-b');
    assert.throws(() => apiKeyFrom({ ...args, apiKeyEnv: 'K' }, {}), /the environment variable K is not set/);
  });

  it('registers the local, remote and llama.cpp engines, each from its own folder', () => {
    assert.deepEqual(engineProviders().map((p) => p.kind).sort(), ['llamacpp', 'local', 'remote']);
  });

  it('declares what each engine can do, and says what a server changes', () => {
    assert.deepEqual(capabilityNotes(LOCAL_CAPABILITIES), []);
    const llama = capabilitiesOf(DIALECTS.llamacpp);
    assert.equal(llama.maxN, 1);
    assert.equal(llama.sampling, 'server');
    assert.ok(llama.serverParams.includes('typicalP'));
    assert.equal(capabilitiesOf(DIALECTS.lmstudio).distribution, 'none');
    assert.ok(capabilityNotes(capabilitiesOf(DIALECTS.openai)).some((n) => /Sampled by the server/.test(n)));
  });

  it('Limiter never runs more than its limit at once, and runs everything', async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const tasks = Array.from({ length: 10 }, () =>
      limiter.run(async () => {
        peak = Math.max(peak, ++active);
        await new Promise<void>((r) => gates.push(r));
        active--;
      }),
    );
    // Release tasks one at a time as they start: each release lets exactly one queued task in.
    let released = 0;
    while (released < 10) {
      await new Promise((r) => setImmediate(r));
      const g = gates.shift();
      if (g) {
        g();
        released++;
      }
    }
    await Promise.all(tasks);
    assert.equal(peak, 3);
    assert.throws(() => new Limiter(0), /concurrency must be an integer ≥ 1/);
  });
});
