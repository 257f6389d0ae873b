import * as assert from 'node:assert/strict';
import { validateHostToWebview, validateWebviewToHost } from '../../../src/protocol/validate';

const error = (v: { ok: boolean; error?: string }) => (v.ok ? '' : (v as { error: string }).error);

describe('the strategy editor messages', () => {
  it('take strategy entries as plain JSON objects, whatever their keys (the settings parser checks those)', () => {
    const entries = [{ kind: 'top_p', topP: 0.9, logitBias: { '12': false, Paris: -2 }, drySequenceBreakers: ['\n'] }, { kind: 'greedy', name: null }];
    assert.ok(validateWebviewToHost({ type: 'saveStrategies', strategies: entries, base: [], target: 'workspace' }).ok);
    assert.ok(validateHostToWebview({ type: 'strategySettings', strategies: entries, source: 'default', workspace: false }).ok);
    assert.ok(validateHostToWebview({ type: 'strategySettings', strategies: [], source: 'user', workspace: true, saved: false, error: 'Not saved: …' }).ok);
  });

  it('refuse what settings.json cannot hold, a target that is not user or workspace, and entries that are not objects', () => {
    const save = (strategies: unknown, target: unknown = 'user') => validateWebviewToHost({ type: 'saveStrategies', strategies, base: [], target });
    assert.match(error(save([{ kind: 'greedy', temperature: Number.POSITIVE_INFINITY }])), /saveStrategies\.strategies\[0\]\.temperature must be a finite number/);
    assert.match(error(save([{ kind: 'greedy', at: new Date() }])), /saveStrategies\.strategies\[0\]\.at must be JSON/);
    assert.match(error(save(['greedy'])), /saveStrategies\.strategies\[0\] must be an object \(got string\)/);
    assert.match(error(save([{ kind: 'greedy' }], 'folder')), /saveStrategies\.target must be one of user, workspace/);
    assert.match(error(validateWebviewToHost({ type: 'saveStrategies', strategies: [] , target: 'user' })), /saveStrategies\.base must be an array/);
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    assert.match(error(save([{ kind: 'greedy', x: deep }])), /nested/);
    assert.match(error(validateHostToWebview({ type: 'strategySettings', strategies: [], source: 'folder', workspace: true })), /strategySettings\.source must be one of default, user, workspace/);
  });
});

describe('the token count the panel relays to the host', () => {
  it('is a count per request, not the tokens', () => {
    assert.ok(validateWebviewToHost({ type: 'tokensStreamed', requestId: 'run-1', count: 48 }).ok);
    assert.match(error(validateWebviewToHost({ type: 'tokensStreamed', requestId: 'run-1', count: 1.5 })), /tokensStreamed\.count must be an integer/);
    assert.match(error(validateWebviewToHost({ type: 'tokensStreamed', count: 3 })), /tokensStreamed\.requestId must be a string/);
  });
});

describe('a side-by-side of models in a run record', () => {
  const part = (id: string, model: string) => ({ id, startedAt: 'now', prompt: 'Q?', model, modelSource: 'bundled', options: { maxNewTokens: 4, seed: 42, samples: 1 }, strategies: [], status: 'running' });
  it("carries each model's run, checked like a run", () => {
    const run = { ...part('run-1', 'a · b'), models: [part('run-1.m0', 'a'), part('run-1.m1', 'b')] };
    assert.ok(validateHostToWebview({ type: 'runUpdated', run }).ok);
    const bad = { ...run, models: [part('run-1.m0', 'a'), { ...part('run-1.m1', 'b'), status: 'waiting' }] };
    assert.match(error(validateHostToWebview({ type: 'runUpdated', run: bad })), /runUpdated\.run\.models\[1\]\.status must be one of/);
    assert.match(error(validateHostToWebview({ type: 'runUpdated', run: { ...run, models: [{ ...part('x', 'a'), modelSource: 3 }] } })), /models\[0\]\.modelSource must be a string/);
  });
});

describe("the panel's per-run fields", () => {
  it('travel as max tokens (optional), stop strings and why a field is refused', () => {
    assert.ok(validateWebviewToHost({ type: 'runInputs', maxNewTokens: 64, stopStrings: ['\n\n'] }).ok);
    assert.ok(validateWebviewToHost({ type: 'runInputs', stopStrings: [], invalid: 'Max tokens must be …' }).ok);
    assert.match(error(validateWebviewToHost({ type: 'runInputs', maxNewTokens: '64', stopStrings: [] })), /runInputs\.maxNewTokens must be an integer/);
    assert.match(error(validateWebviewToHost({ type: 'runInputs', maxNewTokens: 64, stopStrings: '\n' })), /runInputs\.stopStrings must be an array/);
    assert.match(error(validateWebviewToHost({ type: 'runInputs', stopStrings: [3] })), /runInputs\.stopStrings\[0\] must be a string/);
    assert.ok(validateHostToWebview({ type: 'runDefaults', maxNewTokens: 24 }).ok);
    assert.match(error(validateHostToWebview({ type: 'runDefaults' })), /runDefaults\.maxNewTokens must be an integer/);
  });

  it("are part of a run's options as the record keeps them", () => {
    const run = { id: 'run-1', startedAt: 'now', prompt: 'Q?', model: 'm', options: { maxNewTokens: 4, seed: 42, samples: 1, stopStrings: ['\n'] }, strategies: [], status: 'done' };
    assert.ok(validateHostToWebview({ type: 'runUpdated', run }).ok);
    assert.match(error(validateHostToWebview({ type: 'runUpdated', run: { ...run, options: { ...run.options, stopStrings: [1] } } })), /stopStrings\[0\] must be a string/);
  });
});
