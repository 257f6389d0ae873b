import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CaseGeneration } from '../../../src/core/prompttest';
import { PromptTestCache } from '../../../src/node/promptTestRunner';

const GENERATION: CaseGeneration = {
  runs: [{ text: ' Belcastro.', tokenLogprobs: [-0.01, -Infinity], meanLogprob: -Infinity, seed: 42, finishReason: 'eos' }],
  deterministic: false,
  riskSamples: { '8@T1': [' Belcastro.', ' Jorvale.'] },
};

describe('the prompt test cache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cache-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives back what was stored under the same key, −∞ log-probs included', () => {
    const cache = new PromptTestCache(path.join(dir, 'nested', 'cache'));
    assert.equal(cache.get('key'), undefined);
    cache.set('key', GENERATION);
    assert.deepEqual(cache.get('key'), GENERATION);
    assert.equal(cache.get('other key'), undefined);
  });

  it('stores one file per key hash, with no temporary files left behind', () => {
    const cache = new PromptTestCache(dir);
    cache.set('a', GENERATION);
    cache.set('b', GENERATION);
    assert.deepEqual(fs.readdirSync(dir).sort(), [`${PromptTestCache.keyHash('a')}.json`, `${PromptTestCache.keyHash('b')}.json`].sort());
  });

  it('treats an unreadable or foreign entry as a miss', () => {
    const cache = new PromptTestCache(dir);
    fs.writeFileSync(path.join(dir, `${PromptTestCache.keyHash('a')}.json`), '{ not json');
    assert.equal(cache.get('a'), undefined);
    fs.writeFileSync(path.join(dir, `${PromptTestCache.keyHash('b')}.json`), JSON.stringify({ key: 'not b', generation: GENERATION }));
    assert.equal(cache.get('b'), undefined);
  });
});
