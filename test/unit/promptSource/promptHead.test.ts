/** The run header's fold of a long prompt (webview-ui/panel/format.ts): pure, so tested here. */
import * as assert from 'node:assert/strict';
import { PROMPT_FOLD, promptHead } from '../../../webview-ui/panel/format';

describe('the run header folds long prompts', () => {
  it('shows a short prompt whole', () => {
    assert.equal(promptHead('Q: Where was Kawe Steiga born?\nA:'), undefined);
    assert.equal(promptHead('x'.repeat(PROMPT_FOLD.chars)), undefined);
  });

  it('keeps the first lines of a prompt with many lines', () => {
    const prompt = Array.from({ length: 890 }, (_, i) => `line ${i}`).join('\n');
    assert.equal(promptHead(prompt), 'line 0\nline 1\nline 2\nline 3');
  });

  it('cuts one long line at the character budget', () => {
    const head = promptHead('word '.repeat(4000));
    assert.equal(head?.length, PROMPT_FOLD.chars);
  });
});
