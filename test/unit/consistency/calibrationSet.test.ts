import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { answerMatches, CalibrationSetError, isWrongAnswer, parseCalibrationSet } from '../../../src/core/consistency';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples', 'risk');

describe('labelled calibration sets (JSONL)', () => {
  it('read reference answers, a single answer, and answerable: false', () => {
    const qs = parseCalibrationSet(
      '{"question": "Q: a?\\nA:", "answers": ["Paris", "the city of Paris"]}\n\n{"question": "Q: b?", "answer": "100"}\n{"question": "Q: c?", "answerable": false}\n',
    );
    assert.deepEqual(qs.map((q) => [q.line, q.answers, q.answerable]), [[1, ['Paris', 'the city of Paris'], true], [3, ['100'], true], [4, [], false]]);
    assert.equal(qs[0]!.question, 'Q: a?\nA:');
  });

  it('name the line and the fix for each mistake', () => {
    const cases: [string, RegExp][] = [
      ['{"question": "q"', /set\.jsonl:1: not JSON/],
      ['["q"]', /set\.jsonl:1: each line must be a JSON object/],
      ['{"question": "q", "answers": ["a"], "label": 1}', /unknown field "label"/],
      ['{"question": "", "answers": ["a"]}', /"question" must be a non-empty string/],
      ['{"question": "q"}', /give reference answers .* or say "answerable": false/],
      ['{"question": "q", "answerable": false, "answers": ["x"]}', /cannot have reference answers/],
      ['{"question": "q", "answers": ["..."]}', /non-empty strings with words or digits/],
      ['{"question": "q", "answerable": "no"}', /"answerable" must be true or false/],
      ['\n\n', /has no questions/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseCalibrationSet(text, 'set.jsonl'), (e: unknown) => e instanceof CalibrationSetError && message.test(e.message), text);
    }
  });

  it('count an answer right when it holds a reference as whole words after normalising', () => {
    assert.equal(answerMatches(' Paris.', ['paris']), true);
    assert.equal(answerMatches('A: The City of London.', ['city of london']), true);
    assert.equal(answerMatches('It was in nineteen fifty-three.', ['1953']), true);
    assert.equal(answerMatches(' Parisville.', ['Paris']), false);
    assert.equal(answerMatches(' Rome.', ['Paris', 'Lutetia']), false);
    const [known, unknown] = parseCalibrationSet('{"question": "q", "answers": ["Belcastro"]}\n{"question": "r", "answerable": false}');
    assert.equal(isWrongAnswer(known!, ' Belcastro.'), false);
    assert.equal(isWrongAnswer(known!, ' Glenbarra.'), true);
    assert.equal(isWrongAnswer(unknown!, ' Belcastro.'), true);
  });

  it('the shipped template and facts-lm\'s set parse, and facts-lm\'s holds both kinds of question', () => {
    assert.ok(parseCalibrationSet(fs.readFileSync(path.join(EXAMPLES, 'calibration-template.jsonl'), 'utf8')).length >= 3);
    const facts = parseCalibrationSet(fs.readFileSync(path.join(EXAMPLES, 'facts-lm.calibration.jsonl'), 'utf8'));
    assert.equal(facts.length, 275);
    assert.equal(facts.filter((q) => !q.answerable).length, 75);
  });
});
