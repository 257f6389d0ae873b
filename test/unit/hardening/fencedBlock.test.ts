/** The fenced-block finder for Generate JSON for Selection (issue 12, item 8): same answers as the old regex, in linear time. */
import * as assert from 'node:assert/strict';
import { findFencedBlock } from '../../../src/core/structured/fencedBlock';

/** The regular expression schemaSources.ts used, kept here as the reference for what a match is. */
const OLD = /```[a-z]*[^\S\n]*\n([\s\S]*?)\n?[^\S\n]*```/i;

function viaRegex(text: string) {
  const m = OLD.exec(text);
  return m ? { start: m.index, end: m.index + m[0].length, body: m[1]! } : undefined;
}

describe('hardening: fenced blocks in a selection', () => {
  it('hardening: an unclosed fence followed by 40,000 spaces is answered in one linear scan', () => {
    // The old regex took 7.4 s on this; 400,000 spaces would take it about 12 minutes.
    assert.equal(findFencedBlock(`\`\`\`json\n${' '.repeat(400_000)}`), undefined);
    assert.deepEqual(findFencedBlock(`\`\`\`json\n${' '.repeat(400_000)}\`\`\``), { start: 0, end: 400_011, body: '' });
  });

  it('hardening: finds the same block as the old regex on 20,000 random selections', () => {
    // A seeded generator over the characters that matter: backticks, breaks, spaces, letters.
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const alphabet = ['`', '`', '`', '\n', ' ', '\t', '\r', 'j', 'S', '{', '}', '1', '\u00a0'];
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(next() * 24);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      assert.deepEqual(findFencedBlock(text), viaRegex(text), JSON.stringify(text));
    }
  });

  it('hardening: reads the usual shapes', () => {
    assert.deepEqual(findFencedBlock('JSON for Ada:\n```json\n{"type": "string"}\n```\n'), { start: 14, end: 44, body: '{"type": "string"}' });
    assert.equal(findFencedBlock('```json {"inline": true}```'), undefined);
  });
});
