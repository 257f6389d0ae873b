/**
 * The protocol for runs a server sampled: the host streams their tokens (`runTokens`), a run
 * record names who sampled and what was refused, and a log-prob nobody knows (a server's chain
 * probability, NaN) reaches the panel as JSON's null, which the validators accept as unknown.
 */
import * as assert from 'node:assert/strict';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import { validateHostToWebview, validateRunRecords, validateWebviewToHost, validateWorkerRequest } from '../../../src/protocol/validate';

const token = { token: -1, text: ' Paris', logprobRaw: -0.51, logprobSampling: Number.NaN, alternatives: [{ token: -1, text: ' Paris', logprob: -0.51, prob: 0.6 }], candidates: 0 };
/** What crosses postMessage and storage: JSON. */
const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('the protocol of runs sampled by a server', () => {
  it('carries streamed tokens whose sampling log-prob is unknown (NaN, null once JSON)', () => {
    const message = wire({ type: 'runTokens', requestId: 'run-1', events: [{ strategy: 0, sample: 0, step: 0, token }] });
    assert.equal((message as { events: { token: { logprobSampling: unknown } }[] }).events[0]!.token.logprobSampling, null);
    assert.deepEqual(validateHostToWebview(message), { ok: true, message });
    // The host's own stream: never forwarded to the worker.
    assert.equal(validateWorkerRequest(message).ok, false);
  });

  it('keeps a run record’s engine (who sampled, the refused strategies by name) and checks its shape', () => {
    const greedy = strategyFromSettings({ kind: 'greedy' });
    const run = {
      id: 'run-1',
      kind: 'compare',
      startedAt: '2026-12-01T23:00:00Z',
      prompt: 'Q: Where was Ada Lovelace born?\nA:',
      model: 'facts-lm',
      options: { maxNewTokens: 8, seed: 42, samples: 1 },
      strategies: [{ strategy: greedy, chain: 'logits -> greedy' }],
      status: 'done',
      engine: { sampledBy: 'the server (vllm at http://127.0.0.1:8000/v1)', distribution: 'top-logprobs', maxTopLogprobs: 20, notes: [], refused: [{ strategy: 'typical-p 0.9', reason: 'typical-p: not supported by vLLM at 127.0.0.1:8000' }] },
      result: {
        prompt: 'p',
        promptTokens: 9,
        model: 'facts-lm',
        device: 'vllm at http://127.0.0.1:8000/v1',
        results: [{ strategy: greedy, best: { text: ' Paris', tokens: [token], seed: 1, finishReason: 'length', meanLogprob: -0.51, sumLogprob: -0.51 }, completions: [], bestIndex: 0, elapsedMs: 1, tokensPerSecond: 1 }],
        prefillMs: 0,
        elapsedMs: 1,
        tokensPerSecond: 1,
        sampledBy: 'the server (vLLM at 127.0.0.1:8000)',
        refused: [{ strategy: strategyFromSettings({ kind: 'custom', temperature: 1, typicalP: 0.9 }), reason: 'typical-p: not supported by vLLM at 127.0.0.1:8000' }],
      },
    };
    assert.equal(validateRunRecords(wire([run])).ok, true);
    const bad = validateHostToWebview(wire({ type: 'runUpdated', run: { ...run, engine: { ...run.engine, distribution: 'most' } } }));
    assert.equal(bad.ok, false);
    assert.match((bad as { error: string }).error, /runUpdated\.run\.engine\.distribution must be one of full, top-logprobs, none/);
    const noReason = validateHostToWebview(wire({ type: 'runUpdated', run: { ...run, engine: { ...run.engine, refused: [{ strategy: 'x' }] } } }));
    assert.match((noReason as { error: string }).error, /engine\.refused\[0\]\.reason must be a string/);
    // llama.cpp in the host: the full distribution, and the explorer asks the host.
    const host = { ...run, engine: { sampledBy: 'cpu (llama.cpp)', distribution: 'full', maxTopLogprobs: 0, notes: [], refused: [], modelSetting: '/m/x.gguf', explorer: 'host' } };
    assert.deepEqual(validateHostToWebview(wire({ type: 'runUpdated', run: host })), { ok: true, message: wire({ type: 'runUpdated', run: host }) });
    const elsewhere = validateHostToWebview(wire({ type: 'runUpdated', run: { ...host, engine: { ...host.engine, explorer: 'worker' } } }));
    assert.match((elsewhere as { error: string }).error, /engine\.explorer must be one of host/);
  });

  it("the explorer on a host engine's card: the panel asks with the run's id and the explorer's own request, the host answers with the explorer's reply", () => {
    const request = { type: 'explorerStep', requestId: 'explorer-3', prompt: 'Q: x\nA:', maxNewTokens: 8, generated: [5, 6], step: 1, settings: { temperature: 0.7, topK: 40 }, model: 'x.gguf' };
    const ask = { type: 'hostExplorer', runId: 'run-1', request };
    assert.deepEqual(validateWebviewToHost(ask), { ok: true, message: ask });
    assert.match((validateWebviewToHost({ ...ask, request: { ...request, step: 2 } }) as { error: string }).error, /hostExplorer\.request must be an explorer request \(bad generated ids or step\)/);
    assert.match((validateWebviewToHost({ ...ask, runId: 3 }) as { error: string }).error, /hostExplorer\.runId must be a string/);
    const failed = { type: 'hostExplorerReply', reply: { type: 'explorerFailed', requestId: 'explorer-3', error: 'gone' } };
    assert.deepEqual(validateHostToWebview(failed), { ok: true, message: failed });
    const branch = { type: 'hostExplorerReply', reply: { type: 'explorerBranchDone', requestId: 'explorer-4', step: 1, token: 7, tokenText: ' Lyon', text: ' Lyon.', tokens: [] } };
    assert.deepEqual(validateHostToWebview(branch), { ok: true, message: branch });
    assert.match((validateHostToWebview({ type: 'hostExplorerReply', reply: { type: 'explorerStepDone', requestId: 'e', bars: 'many' } }) as { error: string }).error, /hostExplorerReply\.reply must be an explorer reply \(bad explorer step reply\)/);
  });

  it('still refuses a log-prob that is neither a number nor null', () => {
    const checked = validateHostToWebview({ type: 'runTokens', requestId: 'r', events: [{ strategy: 0, sample: 0, step: 0, token: { ...token, logprobRaw: '-0.5' } }] });
    assert.match((checked as { error: string }).error, /token\.logprobRaw must be a number or null/);
  });

  it('branch by continuation: the panel asks (no requestId: it is an event, not a reply), the host streams the branch card, Stop names it', () => {
    const ask = { type: 'branchContinue', branchId: 'branch-1', runId: 'run-1', strategyIndex: 0, sample: 0, step: 2, tokenText: ' Lyon' };
    assert.deepEqual(validateWebviewToHost(ask), { ok: true, message: ask });
    assert.match((validateWebviewToHost({ ...ask, step: '2' }) as { error: string }).error, /branchContinue\.step must be an integer/);
    assert.match((validateWebviewToHost({ ...ask, tokenText: undefined }) as { error: string }).error, /branchContinue\.tokenText must be a string/);
    assert.equal(validateWebviewToHost({ type: 'branchStop', branchId: 'branch-1' }).ok, true);
    const branch = { strategyIndex: 0, step: 2, tokenText: ' Lyon', text: ' Lyon.', firstText: ' Lyon', continuedBy: 'vllm at http://127.0.0.1:8000/v1', state: 'failed', error: 'HTTP 500' };
    const progress = { type: 'branchProgress', branchId: 'branch-1', runId: 'run-1', branch };
    assert.deepEqual(validateHostToWebview(progress), { ok: true, message: progress });
    assert.match((validateHostToWebview({ ...progress, branch: { ...branch, state: 'lost' } }) as { error: string }).error, /branchProgress\.branch\.state must be one of running, aborted, failed/);
    // The panel's own message, never forwarded to the worker.
    assert.equal(validateWorkerRequest(progress).ok, false);
  });
});
