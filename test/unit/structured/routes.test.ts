import * as assert from 'node:assert/strict';
import {
  pickBestValid,
  prettyOutput,
  promptWithValidation,
  repairThenValidate,
  retryPrompt,
  type Generation,
} from '../../../src/core/structured/routes';
import { checkSchema } from '../../../src/core/structured/schema';

const person = checkSchema({
  type: 'object',
  properties: { name: { type: 'string' }, born: { type: 'integer', minimum: 1900, maximum: 1999 } },
  required: ['name', 'born'],
  additionalProperties: false,
});

/** Hand-made outputs, handed out in order; records the prompts it was asked. */
function scripted(texts: string[]) {
  const asked: string[] = [];
  const generate = async (prompt: string, attempt: number): Promise<Generation> => {
    asked.push(prompt);
    return { text: texts[attempt]!, tokens: [], ms: 1 };
  };
  return { asked, generate };
}

describe('route 1: prompting with validation', () => {
  it('stops at the first valid output', async () => {
    const s = scripted(['{"name": "Ada", "born": 1953}', 'never asked']);
    const run = await promptWithValidation('JSON for Ada:\n', person, 2, s.generate);
    assert.equal(run.attempts.length, 1);
    assert.equal(run.final.valid, true);
    assert.deepEqual(s.asked, ['JSON for Ada:\n']);
  });

  it('re-asks with the validation errors in the prompt, and the original prompt last', async () => {
    const s = scripted(['{"name": "Ada", "born": 2053}', '{"name": "Ada", "born": 1953}']);
    const run = await promptWithValidation('JSON for Ada:\n', person, 2, s.generate);
    assert.equal(run.attempts.length, 2);
    assert.equal(run.final.valid, true);
    assert.match(s.asked[1]!, /\/born must be <= 1999/);
    assert.ok(s.asked[1]!.endsWith('JSON for Ada:\n'));
  });

  it('gives up after 1 + maxRetries tries, reporting the last errors', async () => {
    const s = scripted(['nope', '{"name": 1}', '{"born": 1953}', 'never asked']);
    const run = await promptWithValidation('JSON for Ada:\n', person, 2, s.generate);
    assert.equal(run.attempts.length, 3);
    assert.equal(run.final.valid, false);
    assert.deepEqual(run.final.issues.map((i) => i.path), ['']);
    assert.match(run.final.issues[0]!.message, /must have required property 'name'/);
    assert.equal(s.asked.length, 3);
  });

  it('tries exactly once with maxRetries 0, and refuses a negative bound', async () => {
    const s = scripted(['nope', 'never asked']);
    assert.equal((await promptWithValidation('p', person, 0, s.generate)).attempts.length, 1);
    await assert.rejects(promptWithValidation('p', person, -1, s.generate), RangeError);
  });

  it('builds the re-ask from every issue, with "(root)" for the document itself', () => {
    const text = retryPrompt('JSON for Ada:\n', [
      { path: '', message: "must have required property 'born'" },
      { path: '/name', message: 'must be string' },
    ]);
    assert.equal(
      text,
      "The previous answer was not valid JSON for the schema: (root) must have required property 'born'; /name must be string.\nJSON for Ada:\n",
    );
  });
});

describe('route 2: post-processing with jsonrepair, then validation', () => {
  it('repairs a trailing comma and single quotes, then validates the result', () => {
    const r = repairThenValidate("{'name': 'Ada', 'born': 1953,}", person);
    assert.equal(r.changed, true);
    assert.equal(r.result.valid, true);
    assert.deepEqual(r.result.value, { name: 'Ada', born: 1953 });
  });

  it('closes a cut-off object, and still reports what the schema rejects', () => {
    const r = repairThenValidate('{"name": "Ada", "born": 2053', person);
    assert.equal(r.changed, true);
    assert.equal(r.result.valid, false);
    assert.deepEqual(r.result.issues, [{ path: '/born', message: 'must be <= 1999' }]);
  });

  it('leaves valid JSON unchanged', () => {
    const r = repairThenValidate('{"name": "Ada", "born": 1953}', person);
    assert.equal(r.changed, false);
    assert.equal(r.result.valid, true);
  });

  it('reports text jsonrepair cannot repair as invalid, with its reason', () => {
    const r = repairThenValidate('', person);
    assert.equal(r.result.valid, false);
    assert.match(r.result.issues[0]!.message, /jsonrepair could not repair it/);
  });
});

describe('route 4: test-time compute', () => {
  it('keeps the valid candidate with the highest mean log-prob, and counts the valid ones', () => {
    const pick = pickBestValid(
      [
        { text: '{"name": "Ada", "born": 1953}', meanLogprob: -0.9 },
        { text: '{"name": "Ada", "born": 3000}', meanLogprob: -0.1 },
        { text: '{"name": "Ada", "born": 1954}', meanLogprob: -0.5 },
        { text: 'not json', meanLogprob: -0.05 },
      ],
      person,
    );
    assert.equal(pick.best, 2);
    assert.equal(pick.validCount, 2);
  });

  it('shows the most likely candidate, marked invalid, when none is valid', () => {
    const pick = pickBestValid(
      [
        { text: '{"name": 1}', meanLogprob: -0.7 },
        { text: '{"born": 1}', meanLogprob: -0.2 },
      ],
      person,
    );
    assert.equal(pick.validCount, 0);
    assert.equal(pick.best, 1);
    assert.equal(pick.results[1]!.valid, false);
  });

  it('breaks ties toward the earlier candidate', () => {
    const text = '{"name": "Ada", "born": 1953}';
    assert.equal(pickBestValid([{ text, meanLogprob: -1 }, { text, meanLogprob: -1 }], person).best, 0);
  });
});

describe('route output', () => {
  it('is pretty-printed when it parses, and shown as it is when it does not', () => {
    assert.equal(prettyOutput(' {"a": [1, 2]} '), '{\n  "a": [\n    1,\n    2\n  ]\n}');
    assert.equal(prettyOutput('{"a": '), '{"a": ');
  });
});
