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
