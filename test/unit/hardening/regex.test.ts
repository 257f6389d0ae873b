/** Regexes from a suite are untrusted (issue 12, item 2): they run on RE2, in time linear in the text. */
import * as assert from 'node:assert/strict';
import { checkAssertion, compileLinearRegex, parseSuite, type Assertion } from '../../../src/core/prompttest';

const range = { line: 1, column: 1, endLine: 1, endColumn: 1 };
const run = (text: string) => ({ text, tokenLogprobs: [], meanLogprob: 0, seed: 0, finishReason: 'eos' as const });

describe('hardening: suite regexes', () => {
  it('hardening: a catastrophic-backtracking regex is checked in linear time, and fails its case with the usual message', () => {
    // A backtracking engine doubles its work per space: 36 spaces take it about half an hour.
    const a: Assertion = { type: 'regex', pattern: '^(.|\\s)*XYZ$', flags: '', range };
    const outcome = checkAssertion(a, run(' '.repeat(36)), { prompt: 'p', riskSamples: {} });
    assert.equal(outcome.pass, false);
    assert.match(outcome.message, /^expected the output to match \/\^\(\.\|\\s\)\*XYZ\$\//);
    // And 100,000 characters, where no backtracking engine would ever finish.
    assert.equal(compileLinearRegex('^(a|a)*$').test(`${'a'.repeat(100_000)}b`), false);
    assert.equal(compileLinearRegex('^(a|a)*$').test('a'.repeat(100_000)), true);
  });

  it('hardening: JavaScript syntax and the i, m, s flags mean what they mean in a RegExp', () => {
    assert.equal(compileLinearRegex('belcastro', 'i').test(' Belcastro.'), true);
    assert.equal(compileLinearRegex('^A:', 'm').test('Q: x\nA: y'), true);
    assert.equal(compileLinearRegex('^A:').test('Q: x\nA: y'), false);
    assert.equal(compileLinearRegex('x.y', 's').test('x\ny'), true);
    assert.equal(compileLinearRegex('x.y').test('x\ny'), false);
    assert.equal(compileLinearRegex('(?<year>\\d{4})-\\d\\d').test('born 1931-04'), true);
  });

  it('hardening: lookaround and backreferences are refused where the suite is parsed, naming why', () => {
    const suite = (pattern: string) =>
      parseSuite(`cases:\n  - name: a\n    prompt: hi\n    assert:\n      - type: regex\n        value: ${JSON.stringify(pattern)}\n`).problems.map((p) => p.message).join('\n');
    assert.match(suite('foo(?=bar)'), /Bad regex: .*lookahead, lookbehind and backreferences are not supported/);
    assert.match(suite('(a)\\1'), /Bad regex: .*backreferences are not supported/);
    assert.equal(suite('^(.|\\s)*XYZ$'), '');
  });
});
