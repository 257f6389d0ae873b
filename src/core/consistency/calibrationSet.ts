/**
 * The labelled questions a model is calibrated on, one JSON object per line (JSONL):
 *
 *   {"question": "Q: Where was Kawe Steiga born?\nA:", "answers": ["Glenbarra"]}
 *   {"question": "Q: Where was Jeizeiskra Mykeman born?\nA:", "answerable": false}
 *
 * - `question` (required): the prompt exactly as the model is asked.
 * - `answers` (a list) or `answer` (one string): reference answers. The model's main answer is
 *   right when it contains one of them, word for word after normalising (case, punctuation,
 *   "A:" prefixes, number words); otherwise it is wrong.
 * - `answerable`: false marks a question nobody can answer (a made-up person): any answer is a
 *   hallucination. true without references counts the answer as right.
 * Blank lines are skipped. Every other mistake names its line.
 */
import { answerTokens } from './normalize';

export interface LabelledQuestion {
  /** 1-based line in the file. */
  line: number;
  question: string;
  /** Reference answers; empty when the line only says whether the question is answerable. */
  answers: string[];
  answerable: boolean;
}

export class CalibrationSetError extends Error {
  override readonly name = 'CalibrationSetError';
}

export function parseCalibrationSet(text: string, source = 'the calibration file'): LabelledQuestion[] {
  const out: LabelledQuestion[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const where = `${source}:${line}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new CalibrationSetError(`${where}: not JSON (${(e as Error).message}). Each line holds one object such as {"question": "…", "answers": ["…"]}.`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CalibrationSetError(`${where}: each line must be a JSON object.`);
    const o = value as Record<string, unknown>;
    const unknownKeys = Object.keys(o).filter((k) => !['question', 'answers', 'answer', 'answerable'].includes(k));
    if (unknownKeys.length > 0) throw new CalibrationSetError(`${where}: unknown field ${unknownKeys.map((k) => `"${k}"`).join(', ')}; use question, answers (or answer) and answerable.`);
    if (typeof o.question !== 'string' || o.question.trim() === '') throw new CalibrationSetError(`${where}: "question" must be a non-empty string.`);
    if (o.answers !== undefined && o.answer !== undefined) throw new CalibrationSetError(`${where}: give "answers" or "answer", not both.`);
    const refs = o.answers ?? (o.answer === undefined ? [] : [o.answer]);
    if (!Array.isArray(refs) || refs.some((r) => typeof r !== 'string' || answerTokens(r).length === 0)) {
      throw new CalibrationSetError(`${where}: "answers" must be a list of non-empty strings with words or digits in them.`);
    }
    if (o.answerable !== undefined && typeof o.answerable !== 'boolean') throw new CalibrationSetError(`${where}: "answerable" must be true or false.`);
    if (o.answerable === false && refs.length > 0) throw new CalibrationSetError(`${where}: a question marked "answerable": false cannot have reference answers.`);
    if (refs.length === 0 && o.answerable === undefined) {
      throw new CalibrationSetError(`${where}: give reference answers ("answers": ["…"]) or say "answerable": false for a question nobody can answer.`);
    }
    out.push({ line, question: o.question, answers: refs as string[], answerable: o.answerable !== false });
  });
  if (out.length === 0) throw new CalibrationSetError(`${source} has no questions. Each line holds one object such as {"question": "…", "answers": ["…"]}.`);
  return out;
}

/** True when the answer holds one of the references as a run of whole words (after normalising). */
export function answerMatches(answer: string, references: readonly string[]): boolean {
  const got = answerTokens(answer);
  return references.some((ref) => {
    const want = answerTokens(ref);
    if (want.length === 0 || want.length > got.length) return false;
    for (let i = 0; i + want.length <= got.length; i++) if (want.every((w, k) => got[i + k] === w)) return true;
    return false;
  });
}

/** Whether the model's answer to a labelled question counts as a hallucination. */
export function isWrongAnswer(q: LabelledQuestion, answer: string): boolean {
  if (!q.answerable) return true;
  return q.answers.length > 0 && !answerMatches(answer, q.answers);
}
