/**
 * The panel's strategy editor, host side (issue 16, item 7): a `saveStrategies` message from the
 * panel writes `samplingLab.strategies` to user or workspace settings, the next run's cards
 * follow the saved list, and nothing is written for a list with a problem or over a list that
 * changed since the edits began. The form itself is driven by keyboard in test/e2e/strategyEditor.e2e.ts.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PanelEventOutcome } from '../../src/extension/api';
import type { RunRecord } from '../../src/protocol/messages';
import { labApi, nextEvent, useSettingsInSuite } from './extensionApi';

type Entry = Record<string, unknown>;

const config = () => vscode.workspace.getConfiguration('samplingLab');
const effective = (): Entry[] => config().get<Entry[]>('strategies')!;

/** Sends Save as the panel does and waits until the host has handled it. */
async function save(strategies: Entry[], base: Entry[], target: 'user' | 'workspace'): Promise<PanelEventOutcome> {
  const api = await labApi();
  const handled = nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'saveStrategies', 60_000);
  const received = api.receiveFromPanel({ type: 'saveStrategies', strategies, base, target });
  assert.deepEqual(received, { ok: true });
  return handled;
}

describe('editing strategies from the panel', function () {
  this.timeout(300_000);
  useSettingsInSuite({ 'cache.enabled': false, maxNewTokens: 4 });
  let userBefore: unknown;
  let workspaceBefore: unknown;

  before(async () => {
    const inspected = config().inspect('strategies');
    userBefore = inspected?.globalValue;
    workspaceBefore = inspected?.workspaceValue;
  });

  after(async () => {
    await config().update('strategies', workspaceBefore, vscode.ConfigurationTarget.Workspace);
    await config().update('strategies', userBefore, vscode.ConfigurationTarget.Global);
  });

  it('saves an edited list to user settings, keeping every setting of every entry, and the next run follows it', async () => {
    const base = effective();
    const edited: Entry[] = [
      { name: 'mine', kind: 'top_p', topP: 0.8, temperature: 0.9, repetitionPenalty: 1.2, dryMultiplier: 0.5 },
      { kind: 'greedy' },
      { name: 'mine copy', kind: 'top_p', topP: 0.8, temperature: 0.9, repetitionPenalty: 1.2, dryMultiplier: 0.5 },
    ];
    const outcome = await save(edited, base, 'user');
    assert.equal(outcome.error, undefined);
    assert.deepEqual(config().inspect('strategies')?.globalValue, edited, 'written to user settings as sent');
    const run = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt: 'Q: Where was Ada Lovelace born?\nA:' });
    assert.equal(run?.status, 'done', run?.error);
    assert.deepEqual(
      run.strategies.map((s) => s.strategy.name),
      ['mine', 'greedy', 'mine copy'],
      'the cards come in the saved order',
    );
    assert.match(run.strategies[0]!.chain, /repetition/, 'the kept repetition penalty is in the chain that ran');
  });

  it('writes nothing for a list with a problem, and says which setting and how to fix it', async () => {
    const before = effective();
    const outcome = await save([{ kind: 'top_p', topP: 2 }, { kind: 'greedy', temprature: 1 }], before, 'user');
    assert.match(outcome.error ?? '', /^Not saved: samplingLab\.strategies\[0\]\.topP must be in \(0, 1\] \(got 2\)/);
    assert.match(outcome.error ?? '', /samplingLab\.strategies\[1\] has "temprature", which is not a setting of a strategy/);
    assert.deepEqual(effective(), before, 'the setting is unchanged');
  });

  it('writes nothing over a list that changed since the edits began, and then saves against the new list', async () => {
    const stale = effective();
    await config().update('strategies', [{ kind: 'min_p', minP: 0.2 }], vscode.ConfigurationTarget.Global);
    const mine = [{ kind: 'temperature', temperature: 0.5 }];
    const refused = await save(mine, stale, 'user');
    assert.match(refused.error ?? '', /changed since you began editing .* Save again to replace the new list with them, or Load/);
    assert.deepEqual(effective(), [{ kind: 'min_p', minP: 0.2 }], 'the other change is kept');
    // The panel's next Save is made against the list it was told about.
    const saved = await save(mine, effective(), 'user');
    assert.equal(saved.error, undefined);
    assert.deepEqual(effective(), mine);
  });

  it('saves to the workspace, whose list then wins over the user list', async () => {
    assert.ok(vscode.workspace.workspaceFolders?.length, 'the suites run with a folder open');
    const mine = [{ kind: 'greedy' }, { kind: 'top_k', topK: 7 }];
    const outcome = await save(mine, effective(), 'workspace');
    assert.equal(outcome.error, undefined);
    assert.deepEqual(config().inspect('strategies')?.workspaceValue, mine);
    assert.deepEqual(effective(), mine);
    // Saving to user settings now changes the user list, and the workspace's still runs here.
    const user = [{ kind: 'top_p', topP: 0.5 }];
    const shadowed = await save(user, mine, 'user');
    assert.equal(shadowed.error, undefined);
    assert.deepEqual(config().inspect('strategies')?.globalValue, user);
    assert.deepEqual(effective(), mine, 'the workspace list still wins');
  });

  it('rejects malformed saveStrategies messages before they reach the settings', async () => {
    const api = await labApi();
    for (const raw of [
      { type: 'saveStrategies', strategies: 'greedy', base: [], target: 'user' },
      { type: 'saveStrategies', strategies: [{ kind: 'greedy' }], base: [], target: 'folder' },
      { type: 'saveStrategies', strategies: [{ kind: 'greedy', temperature: Number.NaN }], base: [], target: 'user' },
      { type: 'saveStrategies', strategies: [[{ kind: 'greedy' }]], base: [], target: 'user' },
    ]) {
      const result = api.receiveFromPanel(raw);
      assert.equal(result.ok, false, JSON.stringify(raw));
    }
  });
});
