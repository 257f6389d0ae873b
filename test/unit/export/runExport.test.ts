/** Exports of runs (core/export): the CLI's --json text, and Markdown that survives hostile text. */
import * as assert from 'node:assert/strict';
import type { CompareResult, Completion } from '../../../src/core/decode/types';
import { compareResultJson, runsJson, runsMarkdown, type ExportableRun } from '../../../src/core/export/runExport';
import { strategyFromSettings } from '../../../src/core/decode/strategies';

const completion = (text: string, logprobs: number[]): Completion => ({
  text,
  tokens: logprobs.map((lp, i) => ({ token: i, text: i === 0 ? text : '', logprobRaw: lp, logprobSampling: lp, candidates: 1, alternatives: [] }) as Completion['tokens'][number]),
  seed: 7,
  finishReason: 'eos',
  meanLogprob: logprobs.reduce((a, b) => a + b, 0) / logprobs.length,
  sumLogprob: logprobs.reduce((a, b) => a + b, 0),
});

function run(prompt: string, text: string, status = 'done'): ExportableRun {
  const strategy = strategyFromSettings({ kind: 'greedy' }, 'test');
  const best = completion(text, [-0.25, -Infinity]);
  const result: CompareResult = {
    prompt,
    promptTokens: 5,
    model: 'facts-lm',
    device: 'wasm',
    results: [{ strategy, best, completions: [best], bestIndex: 0, elapsedMs: 10, tokensPerSecond: 200 }],
    prefillMs: 1,
    elapsedMs: 10,
    tokensPerSecond: 200,
  };
  return { startedAt: '2026-12-01T20:00:00.000Z', prompt, model: 'facts-lm', backend: 'wasm', status, options: { maxNewTokens: 4, seed: 42, samples: 1 }, strategies: [{ strategy, chain: 'sample(greedy)' }], result };
}

describe('run export', () => {
  it("JSON is the CLI's --json text: the result itself, with partial only when stopped", () => {
    const r = run('Q?', 'Paris').result!;
    assert.deepEqual(JSON.parse(compareResultJson(r)), JSON.parse(JSON.stringify(r)));
    assert.equal(JSON.parse(compareResultJson(r, true)).partial, true);
    assert.equal(JSON.parse(runsJson([run('a', 'x', 'aborted')], true)).partial, true);
    assert.equal(JSON.parse(runsJson([run('a', 'x'), run('b', 'y')], false)).length, 2);
  });

  it('a run without a result is left out of JSON but kept in Markdown with its status', () => {
    const failed = { ...run('Q?', 'x', 'failed'), result: undefined, error: 'The model failed to load.' };
    assert.deepEqual(JSON.parse(runsJson([failed], false)), []);
    const md = runsMarkdown([failed]);
    assert.match(md, /Note: The model failed to load\./);
    assert.match(md, /\| greedy \| sample\(greedy\) \|  \|/);
  });

  it('Markdown keeps a completion with pipes and newlines inside its table cell', () => {
    const md = runsMarkdown([run('Q?', 'a | b\nc')]);
    const row = md.split('\n').find((l) => l.startsWith('| greedy |'))!;
    assert.ok(row.includes('a \\| b↵c'), row);
    assert.equal(row.split(/(?<!\\)\|/).length - 2, 9, 'nine cells, none split by the text');
    // Backslashes are escaped too, so the JSON-quoted token reads as written once rendered.
    assert.ok(row.endsWith(String.raw`| "a \| b\\nc" -0.25 · "" -Infinity |`), row);
  });

  it('a prompt with backticks cannot close its fence', () => {
    const prompt = 'Format:\n```json\n{}\n```\nA:';
    const md = runsMarkdown([run(prompt, 'x')]);
    assert.ok(md.includes(`\`\`\`\`text\n${prompt}\n\`\`\`\``), md);
  });

  it('a side-by-side of models names the model on every row and object, and keeps a model that did not run with its reason', () => {
    const bundled = { ...run('Q?', 'Paris'), modelSource: 'bundled' };
    const copy = { ...run('Q?', 'Rome'), model: 'facts-copy', modelSource: 'folder /tmp/facts-copy' };
    const broken = { ...run('Q?', 'x', 'failed'), model: 'missing', modelSource: 'folder /nowhere', result: undefined, error: 'config.json is missing.' };
    const sideBySide: ExportableRun = { ...run('Q?', ''), model: 'facts-lm · facts-copy · missing', result: undefined, models: [bundled, copy, broken] };
    const md = runsMarkdown([sideBySide]);
    assert.match(md, /^\| model \| strategy \| settings \| completion \|/m);
    assert.match(md, /^\| facts-lm \(bundled\) \| greedy \| sample\(greedy\) \| Paris \|/m);
    assert.match(md, /^\| facts-copy \(folder \/tmp\/facts-copy\) \| greedy \| sample\(greedy\) \| Rome \|/m);
    assert.match(md, /^\| missing \(folder \/nowhere\) \| greedy \| sample\(greedy\) \|  \|  \|  \|  \|  \| failed \|  \|$/m);
    assert.match(md, /Note on missing \(folder \/nowhere\): config\.json is missing\./);
    // A run on one model keeps its table as it was: no model column.
    assert.doesNotMatch(runsMarkdown([run('Q?', 'Paris')]), /\| model \|/);
    const json = JSON.parse(runsJson([sideBySide], true)) as { model: string; modelSource: string; results: { best: { text: string } }[] }[];
    assert.deepEqual(
      json.map((o) => [o.modelSource, o.results[0]!.best.text]),
      [
        ['bundled', 'Paris'],
        ['folder /tmp/facts-copy', 'Rome'],
      ],
    );
  });
});
