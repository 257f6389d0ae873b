import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunRecord } from '../../src/protocol/messages';
import { labApi, nextEvent, useSettingsInSuite } from './extensionApi';

// A person the bundled model knows (world/known.json): greedy answers " Belcastro." and ends.
const PROMPT = 'Q: Where was Kawe Steiga born?\nA:';

function compare(args: Record<string, unknown> = {}): Thenable<RunRecord | undefined> {
  return vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt: PROMPT, ...args });
}

/** Sends the panel's runInputs message as the panel does, and waits until the host has handled it. */
async function panelFields(message: Record<string, unknown>): Promise<string | undefined> {
  const api = await labApi();
  const handled = nextEvent(api.onDidHandlePanelEvent, (o) => o.event.type === 'runInputs', 30_000);
  const accepted = api.receiveFromPanel({ type: 'runInputs', ...message });
  assert.ok(accepted.ok, `the host takes the panel's run fields: ${accepted.ok ? '' : accepted.error}`);
  return (await handled).error;
}

describe("the panel's per-run max tokens and stop strings", function () {
  this.timeout(300_000);
  // Greedy, and a sampler hot enough to run on to the token limit; each run must reach the model.
  useSettingsInSuite({ 'cache.enabled': false, strategies: [{ kind: 'greedy' }, { kind: 'temperature', temperature: 5 }], samples: 4, maxNewTokens: 24 });
  // The fields live in workspace storage: later suites must run with the settings alone.
  after(async () => {
    await panelFields({ stopStrings: [] });
  });

  it('a comparison started after the fields change runs with them: its record keeps them, completions end at the stop string and within the tokens', async () => {
    const api = await labApi();
    // Without the fields: the answer holds the stop string, and the sampler runs past 6 tokens.
    const plain = await compare();
    assert.equal(plain?.status, 'done', plain?.error ?? api.lastError());
    assert.ok(plain.result!.results[0]!.best.text.includes('.'), `greedy's answer holds "." without a stop string: ${JSON.stringify(plain.result!.results[0]!.best.text)}`);
    assert.ok(plain.result!.results[1]!.completions.some((c) => c.tokens.length > 6), 'a hot sample runs past 6 tokens under the setting (24)');
    assert.equal(plain.options.stopStrings, undefined);

    assert.equal(await panelFields({ maxNewTokens: 6, stopStrings: ['.', '\n\n'] }), undefined);
    const run = await compare();
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    assert.equal(run.options.maxNewTokens, 6);
    assert.deepEqual(run.options.stopStrings, ['.', '\n\n']);
    const greedy = run.result!.results[0]!.best;
    assert.equal(greedy.finishReason, 'stop', `greedy ended on the stop string: ${JSON.stringify(greedy.text)}`);
    assert.equal(greedy.text, plain.result!.results[0]!.best.text.slice(0, plain.result!.results[0]!.best.text.indexOf('.')), 'the text up to the stop string, without it');
    for (const r of run.result!.results) {
      for (const c of r.completions) {
        assert.ok(c.tokens.length <= 6, `${r.strategy.name}: ${c.tokens.length} tokens, at most 6`);
        assert.ok(!c.text.includes('.') && !c.text.includes('\n\n'), `${r.strategy.name}: no stop string in ${JSON.stringify(c.text)}`);
      }
    }
    assert.ok(run.result!.results[1]!.completions.some((c) => c.finishReason === 'length' && c.tokens.length === 6), 'a hot sample was cut at 6 tokens');
    const stored = api.history().find((h) => h.id === run.id);
    assert.deepEqual(stored?.options.stopStrings, ['.', '\n\n'], 'history keeps the stop strings');

    // A command's own arguments win over the panel's fields.
    const own = await compare({ maxNewTokens: 3, stopStrings: [] });
    assert.equal(own?.options.maxNewTokens, 3);
    assert.equal(own.options.stopStrings, undefined);
    assert.ok(own.result!.results.every((r) => r.completions.every((c) => c.tokens.length <= 3)));
  });

  it('a field holding what no run takes refuses the next comparison, naming the range, rather than running with something else', async () => {
    const api = await labApi();
    const before = api.history().length;
    // What the panel sends while its Max tokens field holds "99999".
    assert.equal(await panelFields({ stopStrings: ['.'], invalid: "The panel's run fields: Max tokens must be a whole number from 1 to 512 (got \"99999\")." }), undefined);
    assert.equal(await compare(), undefined, 'no run');
    assert.match(api.lastError() ?? '', /Max tokens must be a whole number from 1 to 512 \(got "99999"\)\. Fix the field in the Sampling Lab panel's toolbar/);
    assert.equal(api.history().length, before, 'nothing ran');
    // A value past the range that got by the panel is refused by the host, and the fields before it stay.
    assert.match((await panelFields({ maxNewTokens: 99999, stopStrings: [] })) ?? '', /Max tokens must be a whole number from 1 to 512 \(got 99999\)/);
    assert.match((await panelFields({ maxNewTokens: 0, stopStrings: [] })) ?? '', /from 1 to 512 \(got 0\)/);
    assert.equal(await compare(), undefined, 'still refused: the invalid fields were not replaced by a value the host refused');
    assert.equal(await panelFields({ maxNewTokens: 4, stopStrings: [] }), undefined);
    const run = await compare();
    assert.equal(run?.status, 'done', run?.error ?? api.lastError());
    assert.equal(run.options.maxNewTokens, 4);
  });
});
