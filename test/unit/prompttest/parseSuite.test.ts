import * as assert from 'node:assert/strict';
import { parseSuite, type SuiteProblem } from '../../../src/core/prompttest';

/** Lines of YAML joined, so a test shows the file it parses and the lines are easy to count. */
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

function onlyProblem(text: string, files: Record<string, string> = {}): SuiteProblem {
  const parsed = parseSuite(text, { readFile: (p) => read(files, p) });
  const errors = parsed.problems.filter((p) => p.severity === 'error');
  assert.equal(errors.length, 1, `expected one error, got ${JSON.stringify(parsed.problems, null, 1)}`);
  return errors[0]!;
}

function read(files: Record<string, string>, p: string): string {
  if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return files[p]!;
}

const GOOD = yaml(
  'description: birth cities',
  'defaults:',
  '  max_tokens: 12',
  '  stop: "\\n"',
  'cases:',
  '  - name: Kawe Steiga',
  '    prompt: "Q: Where was {{name}} born?\\nA:"',
  '    vars: { name: Kawe Steiga }',
  '    assert:',
  '      - type: contains',
  '        value: Belcastro',
  '      - type: max-risk',
  '        value: 0.3',
  '  - name: sampled',
  '    strategy: top-p',
  '    repeat: 5',
  '    pass_rate: 0.8',
  '    seed: 7',
  '    prompt: |-',
  '      Q: Where was Jorvale born?',
  '      A:',
  '    assert:',
  '      - type: regex',
  '        value: "^ [A-Z]"',
  '        flags: i',
);

describe('prompt test suite parser', () => {
  it('reads cases with defaults, vars and assertions, and keeps the line of each', () => {
    const suite = parseSuite(GOOD);
    assert.deepEqual(suite.problems, []);
    assert.equal(suite.description, 'birth cities');
    const [first, second] = suite.cases;
    assert.equal(first!.name, 'Kawe Steiga');
    assert.equal(first!.prompt, 'Q: Where was Kawe Steiga born?\nA:');
    assert.equal(first!.strategy.kind, 'greedy');
    assert.equal(first!.maxNewTokens, 12);
    assert.deepEqual(first!.stopStrings, ['\n']);
    assert.equal(first!.repeat, 1);
    assert.equal(first!.passRate, 1);
    assert.equal(first!.seed, 42);
    assert.deepEqual(first!.nameRange, { line: 6, column: 11, endLine: 6, endColumn: 22 });
    assert.equal(first!.range.line, 6);
    assert.deepEqual(first!.assertions.map((a) => [a.type, a.range.line]), [['contains', 10], ['max-risk', 12]]);
    const risk = first!.assertions[1]!;
    assert.ok(risk.type === 'max-risk' && risk.max === 0.3 && risk.samples === 8 && risk.temperature === 1);

    assert.equal(second!.strategy.name, 'top-p 0.9');
    assert.equal(second!.repeat, 5);
    assert.equal(second!.passRate, 0.8);
    assert.equal(second!.seed, 7);
    assert.equal(second!.prompt, 'Q: Where was Jorvale born?\nA:');
    const regex = second!.assertions[0]!;
    assert.ok(regex.type === 'regex' && regex.flags === 'i');
  });

  it('takes inline settings as strategyFromSettings reads them', () => {
    const suite = parseSuite(yaml(
      'cases:',
      '  - name: warm',
      '    prompt: hi',
      '    settings: { kind: top_p, topP: 0.5, temperature: 0.7 }',
      '    assert: [{ type: max-tokens, value: 3 }]',
    ));
    assert.deepEqual(suite.problems, []);
    assert.deepEqual(suite.cases[0]!.strategy.sampler.stages, [{ type: 'temperature', t: 0.7 }, { type: 'top_p', p: 0.5 }]);
  });

  it("lets a case's own strategy replace the defaults' settings", () => {
    const suite = parseSuite(yaml(
      'defaults:',
      '  settings: { kind: min_p, minP: 0.2 }',
      'cases:',
      '  - name: own',
      '    prompt: hi',
      '    strategy: greedy',
      '    assert: [{ type: contains, value: x }]',
      '  - name: inherited',
      '    prompt: hi',
      '    assert: [{ type: contains, value: x }]',
    ));
    assert.deepEqual(suite.problems, []);
    assert.deepEqual(suite.cases.map((c) => c.strategy.name), ['greedy', 'min-p 0.2']);
  });

  it('reads prompt_file through the reader with the path as written, dropping the final line break', () => {
    const asked: string[] = [];
    const suite = parseSuite(yaml(
      'cases:',
      '  - name: templated',
      '    prompt_file: prompts/city.txt',
      '    vars: { name: Ada }',
      '    assert: [{ type: contains, value: x }]',
    ), { readFile: (p) => (asked.push(p), 'Q: Where was {{ name }} born?\nA:\n') });
    assert.deepEqual(asked, ['prompts/city.txt']);
    assert.equal(suite.cases[0]!.prompt, 'Q: Where was Ada born?\nA:');
    assert.equal(suite.cases[0]!.promptFile, 'prompts/city.txt');
  });

  it('keeps numbers in texts and vars as written, so 0.10 is not 0.1', () => {
    const suite = parseSuite(yaml(
      'cases:',
      '  - name: 0.10',
      '    prompt: "Agent {{id}} scored"',
      '    vars: { id: 007 }',
      '    assert: [{ type: contains, value: 0.10 }]',
    ));
    const c = suite.cases[0]!;
    assert.equal(c.name, '0.10');
    assert.equal(c.prompt, 'Agent 007 scored');
    assert.ok(c.assertions[0]!.type === 'contains' && c.assertions[0]!.value === '0.10');
  });

  it('refuses both a prompt and a prompt_file, and both a strategy and settings', () => {
    const both = onlyProblem(yaml('cases:', '  - name: a', '    prompt: hi', '    prompt_file: p.txt', '    assert: [{ type: contains, value: x }]'));
    assert.deepEqual([both.range.line, both.message], [4, 'Give either prompt or prompt_file, not both.']);
    const two = onlyProblem(yaml('cases:', '  - name: a', '    prompt: hi', '    strategy: greedy', '    settings: { kind: top_p }', '    assert: [{ type: contains, value: x }]'));
    assert.deepEqual([two.range.line, two.message], [5, 'Give either strategy (a preset name) or settings (inline parameters), not both.']);
  });

  describe('rejects a malformed file at the line and column to fix', () => {
    const cases: Array<[string, string, [number, number], RegExp]> = [
      [
        'an unknown assertion type, suggesting the near one',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert:', '      - type: containz', '        value: x'),
        [5, 15],
        /Unknown assertion type "containz"\. Did you mean "contains"\? Use one of: contains, not-contains/,
      ],
      [
        'a bad regex, with the engine’s reason',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert:', '      - type: regex', '        value: "a(b"'),
        [6, 16],
        /Bad regex: missing closing \): `a\(b`/,
      ],
      [
        'regex flags that are not i, m, s or u',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert:', '      - type: regex', '        value: a', '        flags: g'),
        [7, 16],
        /regex flags must be letters from "imsu"/,
      ],
      [
        'a missing prompt, at the case’s first line',
        yaml('cases:', '  - name: a', '    assert:', '      - type: contains', '        value: x'),
        [2, 5],
        /The case has no prompt\. Add "prompt: …"/,
      ],
      [
        'repeat below 1',
        yaml('cases:', '  - name: a', '    prompt: hi', '    repeat: 0', '    assert: [{ type: contains, value: x }]'),
        [4, 13],
        /repeat must be an integer in \[1, 64\] \(got 0\)/,
      ],
      [
        'pass_rate outside [0, 1]',
        yaml('cases:', '  - name: a', '    prompt: hi', '    pass_rate: 1.5', '    assert: [{ type: contains, value: x }]'),
        [4, 16],
        /pass_rate must be a number in \[0, 1\].*got 1\.5/,
      ],
      [
        'an unknown strategy, in the words of StrategyError',
        yaml('cases:', '  - name: a', '    prompt: hi', '    strategy: gready', '    assert: [{ type: contains, value: x }]'),
        [4, 15],
        /strategy is "gready", which is not a strategy\. Did you mean "greedy"\? Use one of: greedy, temperature, top_k, top_p, min_p, best_of_n, custom\./,
      ],
      [
        'an inline setting out of range, at that setting',
        yaml('cases:', '  - name: a', '    prompt: hi', '    settings:', '      kind: top_p', '      topP: 1.5', '    assert: [{ type: contains, value: x }]'),
        [6, 13],
        /settings\.topP must be in \(0, 1\] \(got 1\.5\)/,
      ],
      [
        'a snake_case setting that strategyFromSettings would ignore',
        yaml('cases:', '  - name: a', '    prompt: hi', '    settings: { kind: top_p, top_p: 0.5 }', '    assert: [{ type: contains, value: x }]'),
        [4, 30],
        /Unknown key "top_p" in settings\. Did you mean "topP"\?/,
      ],
      [
        'an unknown key in a case, at the key',
        yaml('cases:', '  - name: a', '    prompt: hi', '    asert: []', '    assert: [{ type: contains, value: x }]'),
        [4, 5],
        /Unknown key "asert" in a case\. Did you mean "assert"\?/,
      ],
      [
        'an option that does not apply to the assertion type',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert:', '      - type: regex', '        value: x', '        ignore_case: true'),
        [7, 9],
        /Unknown key "ignore_case" in a regex assertion\. Allowed: type, value, flags/,
      ],
      [
        'a case without assertions',
        yaml('cases:', '  - name: a', '    prompt: hi'),
        [2, 5],
        /Case "a" has no assertions, so it could never fail/,
      ],
      [
        'two cases with the same name, at the second',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert: [{ type: contains, value: x }]', '  - name: a', '    prompt: hi', '    assert: [{ type: contains, value: x }]'),
        [5, 11],
        /Another case is already named "a"/,
      ],
      [
        'a {{var}} without a value',
        yaml('cases:', '  - name: a', '    prompt: "Where was {{who}} born?"', '    assert: [{ type: contains, value: x }]'),
        [3, 13],
        /\{\{who\}\} has no value: add it under vars/,
      ],
      [
        'a prompt_file that does not exist',
        yaml('cases:', '  - name: a', '    prompt_file: nowhere.txt', '    assert: [{ type: contains, value: x }]'),
        [3, 18],
        /prompt_file: cannot read "nowhere\.txt" \(no such file\)\. Paths are relative to the suite file/,
      ],
      [
        'an inline JSON Schema that is not one, inside the schema',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert:', '      - type: json-schema', '        schema:', '          type: object', '          properties:', '            age: { type: integr }'),
        [9, 26],
        /the inline schema is not a valid JSON Schema: \/properties\/age\/type/,
      ],
      [
        'max-risk with fewer than 2 samples',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert:', '      - type: max-risk', '        value: 0.3', '        samples: 1'),
        [7, 18],
        /samples must be an integer in \[2, 32\] \(got 1\): how many answers are sampled/,
      ],
      [
        'a positive min-mean-logprob',
        yaml('cases:', '  - name: a', '    prompt: hi', '    assert:', '      - type: min-mean-logprob', '        value: 0.5'),
        [6, 16],
        /min-mean-logprob value must be a log-probability ≤ 0/,
      ],
      [
        'a YAML syntax error',
        yaml('cases:', '  - name: a', '    prompt: "unterminated', '    assert: []'),
        [3, 13],
        /Missing closing ": the quoted text that starts here never ends/,
      ],
      [
        'duplicate keys',
        yaml('cases:', '  - name: a', '    prompt: hi', '    prompt: again', '    assert: [{ type: contains, value: x }]'),
        [4, 5],
        /Map keys must be unique/,
      ],
    ];
    for (const [what, text, [line, column], message] of cases) {
      it(what, () => {
        const p = onlyProblem(text);
        assert.match(p.message, message);
        assert.deepEqual([p.range.line, p.range.column], [line, column], p.message);
      });
    }
  });

  it('reports every problem of a file at once, in line order, and still returns the good cases', () => {
    const suite = parseSuite(yaml(
      'cases:',
      '  - name: broken',
      '    prompt: hi',
      '    repeat: -1',
      '    pass_rate: 2',
      '    assert: [{ type: nope }]',
      '  - name: fine',
      '    prompt: hi',
      '    assert: [{ type: contains, value: x }]',
    ));
    assert.deepEqual(suite.problems.map((p) => p.range.line), [4, 5, 6]);
    assert.deepEqual(suite.cases.map((c) => c.name), ['fine']);
  });

  it('reports a bad default once, where it is written, and runs no case on it', () => {
    const suite = parseSuite(yaml(
      'defaults:',
      '  repeat: 0',
      'cases:',
      '  - name: a',
      '    prompt: hi',
      '    assert: [{ type: contains, value: x }]',
      '  - name: b',
      '    prompt: hi',
      '    assert: [{ type: contains, value: x }]',
    ));
    assert.deepEqual(suite.problems.map((p) => [p.range.line, p.range.column]), [[2, 11]]);
    assert.deepEqual(suite.cases, []);
  });

  it('explains how a suite starts when the file is empty or has no cases', () => {
    assert.match(parseSuite('').problems[0]!.message, /The file is empty\. A suite needs a list of cases/);
    assert.match(parseSuite('description: x\n').problems[0]!.message, /The suite has no cases/);
    assert.match(parseSuite('- a\n- b\n').problems[0]!.message, /A suite must be a mapping with a "cases:" list \(got a list\)/);
  });

  it('warns that a max-tokens assertion at or above max_tokens can never fail', () => {
    const suite = parseSuite(yaml('cases:', '  - name: a', '    prompt: hi', '    max_tokens: 8', '    assert: [{ type: max-tokens, value: 8 }]'));
    assert.equal(suite.cases.length, 1);
    assert.deepEqual(suite.problems.map((p) => [p.severity, p.range.line]), [['warning', 5]]);
    assert.match(suite.problems[0]!.message, /can never fail/);
  });
});
