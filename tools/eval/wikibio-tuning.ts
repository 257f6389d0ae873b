/**
 * How the sentence scorer's two numbers were chosen, reproducibly: a grid over the even rows of
 * WikiBio only, scored by the mean of NonFact and Factual average precision. The odd rows stay
 * held out (wikibio.ts reports both halves).
 *
 *   node -r ./test/support/register.cjs tools/eval/wikibio-tuning.ts
 */
import * as fs from 'node:fs';
import { averagePrecision, SENTENCE_SCORER, sentenceRisks } from '../../src/core/consistency';
import { WIKIBIO_FILE } from './wikibio';

export const MEAN_WEIGHTS = [0, 0.05, 0.1, 0.2, 0.3, 0.5];
export const PASSAGE_WEIGHTS = [0, 0.25, 0.5, 0.75];

interface Row {
  main_sentences: string[];
  annotation: string[];
  sample_passages: string[];
}

function main(): void {
  const rows = (JSON.parse(fs.readFileSync(WIKIBIO_FILE, 'utf8')) as Row[]).filter((_, i) => i % 2 === 0);
  const labels = rows.flatMap((r) => r.annotation.map((a) => a !== 'accurate'));
  let best = { score: -1, meanWeight: 0, passageWeight: 0 };
  console.log('meanWeight passageWeight  NonFact-AP Factual-AP  mean   (even rows only)');
  for (const meanWeight of MEAN_WEIGHTS) {
    for (const passageWeight of PASSAGE_WEIGHTS) {
      const scores = rows.flatMap((r) => sentenceRisks(r.main_sentences, r.sample_passages, { meanWeight, passageWeight }).map((s) => s.risk));
      const nonFact = averagePrecision(scores, labels);
      const factual = averagePrecision(scores.map((s) => -s), labels.map((l) => !l));
      const score = (nonFact + factual) / 2;
      console.log(`${String(meanWeight).padEnd(10)} ${String(passageWeight).padEnd(13)}  ${(100 * nonFact).toFixed(2).padEnd(10)} ${(100 * factual).toFixed(2).padEnd(10)} ${(100 * score).toFixed(2)}`);
      if (score > best.score + 1e-12) best = { score, meanWeight, passageWeight };
    }
  }
  console.log(`best: meanWeight ${best.meanWeight}, passageWeight ${best.passageWeight}; in use: ${SENTENCE_SCORER.meanWeight}, ${SENTENCE_SCORER.passageWeight}`);
}

if (require.main === module) main();
