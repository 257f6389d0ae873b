/**
 * WikiBio GPT-3 (SelfCheckGPT's annotated subset): sentence-level hallucination detection with
 * no model, from the main passage and its 20 samples. Compares SelfCheckGPT's unigram (max)
 * baseline, computed here on the same rows, with this project's scorer (`sentenceRisks`).
 * The annotation is read only to evaluate.
 *
 *   node -r ./test/support/register.cjs tools/eval/wikibio.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  averagePrecision,
  pearson,
  prAucTrapezoid,
  sentenceRisks,
  spearman,
  splitSentences,
  unigramMaxScores,
} from '../../src/core/consistency';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The shared folder beside the repository (or beside a folder above it, as for a git worktree). */
function findWikiBio(): string {
  const relative = path.join('shared', 'benchmarks', 'wikibio-gpt3', 'wikibio_gpt3_dev.json');
  for (let dir = path.dirname(REPO_ROOT); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, relative))) return path.join(dir, relative);
    if (path.dirname(dir) === dir) return path.resolve(REPO_ROOT, '..', relative);
  }
}

export const WIKIBIO_FILE = findWikiBio();

type Label = 'accurate' | 'minor_inaccurate' | 'major_inaccurate';
const LABEL_VALUE: Record<Label, number> = { accurate: 0, minor_inaccurate: 0.5, major_inaccurate: 1 };

interface Row {
  dataset_idx: number;
  main_passage: string;
  main_sentences: string[];
  annotation: Label[];
  sample_passages: string[];
}

/** SelfCheckGPT's table (full 238 passages): NonFact AUC-PR, Factual AUC-PR, Pearson. */
export const PUBLISHED: ReadonlyArray<[string, number, number, number | undefined]> = [
  ['random', 72.96, 27.04, undefined],
  ['GPT-3 Avg(−logP)', 83.21, 53.97, 57.04],
  ['BERTScore', 81.96, 44.23, 58.18],
  ['unigram (max)', 85.63, 58.47, 64.71],
  ['NLI', 92.5, 66.08, 74.14],
];

export interface ScoreRow {
  nonFactAucPr: number;
  factualAucPr: number;
  nonFactAp: number;
  factualAp: number;
  pearson: number;
  spearman: number;
}

export interface WikiBioReport {
  file: string;
  passages: number;
  sentences: number;
  skipped: string[];
  labelCounts: Record<Label, number>;
  nonFactRatio: number;
  /** Scorer name → half ('all' | 'even' | 'odd') → metrics. */
  results: Record<string, Record<'all' | 'even' | 'odd', ScoreRow>>;
  splitter: { reference: number; produced: number; exact: number; passagesExact: number; differences: string[] };
  elapsedMs: number;
}

interface Scored {
  passage: number;
  label: number;
  scores: Record<string, number>;
}

function evaluate(items: readonly Scored[], scorer: string): ScoreRow {
  const s = items.map((i) => i.scores[scorer]!);
  const nonFact = items.map((i) => i.label > 0.499);
  const factual = items.map((i) => i.label < 0.499);
  const neg = s.map((v) => -v);
  const passages = [...new Set(items.map((i) => i.passage))];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const passageScore = passages.map((p) => mean(items.filter((i) => i.passage === p).map((i) => i.scores[scorer]!)));
  const passageLabel = passages.map((p) => mean(items.filter((i) => i.passage === p).map((i) => i.label)));
  return {
    nonFactAucPr: prAucTrapezoid(s, nonFact),
    factualAucPr: prAucTrapezoid(neg, factual),
    nonFactAp: averagePrecision(s, nonFact),
    factualAp: averagePrecision(neg, factual),
    pearson: pearson(passageScore, passageLabel),
    spearman: spearman(passageScore, passageLabel),
  };
}

/** How well `splitSentences` reproduces the file's reference splits (spaCy's, kept by the dataset). */
function splitterAgreement(rows: readonly Row[]): WikiBioReport['splitter'] {
  let reference = 0;
  let produced = 0;
  let exact = 0;
  let passagesExact = 0;
  const differences: string[] = [];
  for (const row of rows) {
    const got = splitSentences(row.main_passage).map((s) => s.text);
    const want = row.main_sentences.map((s) => s.trim());
    reference += want.length;
    produced += got.length;
    const wanted = new Set(want);
    const matched = got.filter((g) => wanted.has(g)).length;
    exact += matched;
    if (matched === want.length && got.length === want.length) passagesExact++;
    else {
      const ours = got.filter((g) => !wanted.has(g));
      const theirs = want.filter((w) => !got.includes(w));
      differences.push(`passage ${row.dataset_idx}: ours ${JSON.stringify(ours)} vs reference ${JSON.stringify(theirs)}`);
    }
  }
  return { reference, produced, exact, passagesExact, differences };
}

export function runWikiBio(file = WIKIBIO_FILE): WikiBioReport {
  const started = Date.now();
  if (!fs.existsSync(file)) {
    throw new Error(`WikiBio data not found at ${file}. It lives in the shared folder beside the repository (../shared/benchmarks/wikibio-gpt3/).`);
  }
  const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as Row[];
  const skipped: string[] = [];
  const items: Scored[] = [];
  const labelCounts: Record<Label, number> = { accurate: 0, minor_inaccurate: 0, major_inaccurate: 0 };
  rows.forEach((row, p) => {
    if (row.main_sentences.length !== row.annotation.length || row.sample_passages.length < 2) {
      skipped.push(`passage ${row.dataset_idx}: ${row.main_sentences.length} sentences, ${row.annotation.length} labels, ${row.sample_passages.length} samples`);
      return;
    }
    const unigram = unigramMaxScores(row.main_sentences, row.main_passage, row.sample_passages);
    const ours = sentenceRisks(row.main_sentences, row.sample_passages);
    row.annotation.forEach((label, i) => {
      labelCounts[label]++;
      items.push({ passage: p, label: LABEL_VALUE[label], scores: { unigram: unigram[i]!, ours: ours[i]!.risk } });
    });
  });
  const results: WikiBioReport['results'] = {};
  for (const scorer of ['unigram', 'ours']) {
    results[scorer] = {
      all: evaluate(items, scorer),
      even: evaluate(items.filter((i) => i.passage % 2 === 0), scorer),
      odd: evaluate(items.filter((i) => i.passage % 2 === 1), scorer),
    };
  }
  return {
    file,
    passages: rows.length - skipped.length,
    sentences: items.length,
    skipped,
    labelCounts,
    nonFactRatio: items.filter((i) => i.label > 0.499).length / items.length,
    results,
    splitter: splitterAgreement(rows),
    elapsedMs: Date.now() - started,
  };
}

const pct = (v: number | undefined) => (v === undefined ? '–' : (100 * v).toFixed(2));
const num = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));

export function formatWikiBio(r: WikiBioReport): string {
  const ours = r.results.ours!;
  const uni = r.results.unigram!;
  const lines = [
    `Data: \`../shared/benchmarks/wikibio-gpt3/wikibio_gpt3_dev.json\`: ${r.passages} passages, ${r.sentences} sentences ` +
      `(major ${r.labelCounts.major_inaccurate}, minor ${r.labelCounts.minor_inaccurate}, accurate ${r.labelCounts.accurate}), 20 samples each. ` +
      (r.skipped.length === 0 ? 'No rows skipped: every passage has one label per sentence and 20 samples.' : `Skipped: ${r.skipped.join('; ')}.`),
    '',
    '| method | rows | NonFact AUC-PR | Factual AUC-PR | Pearson | Spearman |',
    '|---|---|---|---|---|---|',
    `| random (this subset) | 60 | ${pct(r.nonFactRatio)} | ${pct(1 - r.nonFactRatio)} | – | – |`,
    `| unigram (max), ours on this subset | 60 | ${pct(uni.all.nonFactAucPr)} | ${pct(uni.all.factualAucPr)} | ${pct(uni.all.pearson)} | ${pct(uni.all.spearman)} |`,
    `| **lexical support in context (this scorer)** | 60 | **${pct(ours.all.nonFactAucPr)}** | **${pct(ours.all.factualAucPr)}** | **${pct(ours.all.pearson)}** | **${pct(ours.all.spearman)}** |`,
    ...PUBLISHED.map(([name, nf, f, pr]) => `| ${name} (published, full set) | 238 | ${num(nf)} | ${num(f)} | ${num(pr)} | – |`),
    '',
    'AUC-PR as SelfCheckGPT computes it: scikit-learn `auc(recall, precision)` over `precision_recall_curve` (trapezoids). ' +
      'Average precision (scikit-learn `average_precision_score`, a step sum) for the same scores:',
    '',
    '| method | half | NonFact AUC-PR | Factual AUC-PR | NonFact AP | Factual AP | Pearson | Spearman |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, key] of [['unigram (max)', 'unigram'], ['this scorer', 'ours']] as const) {
    for (const half of ['all', 'even', 'odd'] as const) {
      const m = r.results[key]![half];
      const label = half === 'all' ? 'all 60' : half === 'even' ? 'even rows (tuning half)' : 'odd rows (held out)';
      lines.push(`| ${name} | ${label} | ${pct(m.nonFactAucPr)} | ${pct(m.factualAucPr)} | ${pct(m.nonFactAp)} | ${pct(m.factualAp)} | ${pct(m.pearson)} | ${pct(m.spearman)} |`);
    }
  }
  const s = r.splitter;
  lines.push(
    '',
    `Sentence splitter vs the file's reference splits (\`main_sentences\`): ${s.exact} of ${s.reference} reference sentences reproduced exactly ` +
      `(${pct(s.exact / s.reference)}%; we produce ${s.produced}); ${s.passagesExact} of ${r.passages} passages split identically. Differences:`,
    ...s.differences.map((d) => `- ${d}`),
  );
  return lines.join('\n');
}

/**
 * SelfCheckGPT-NLI and -Prompt rows with real models (not run by `npm run eval`): an NLI folder
 * (ONNX export of an MNLI cross-encoder) and/or an instruct model folder as the Yes/No judge.
 */
export async function runWikiBioSemantic(options: { nli?: string; judge?: string }, file = WIKIBIO_FILE): Promise<string[]> {
  const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as Row[];
  const { nliSentenceSupport, promptSentenceSupport, causalLmYesNo } = await import('../../src/core/consistency');
  const lines: string[] = [];
  const methods: Array<[string, (row: Row) => Promise<number[]>, () => Promise<void>]> = [];
  if (options.nli) {
    const { loadNliModel } = await import('../../src/node/nliModel');
    const nli = await loadNliModel(options.nli);
    methods.push(['SelfCheckGPT-NLI (this code)', async (row) => (await nliSentenceSupport(nli, row.main_sentences, row.sample_passages)).map((r) => r.risk), () => nli.dispose()]);
  }
  if (options.judge) {
    const { loadNodeModel } = await import('../../src/node/loadNodeModel');
    const model = await loadNodeModel({ model: options.judge, device: 'cpu' });
    const judge = causalLmYesNo(model);
    methods.push(['SelfCheckGPT-Prompt (this code)', async (row) => (await promptSentenceSupport(judge, row.main_sentences, row.sample_passages)).map((r) => r.risk), () => model.dispose()]);
  }
  for (const [name, score, dispose] of methods) {
    const items: Scored[] = [];
    for (const [p, row] of rows.entries()) {
      const risks = await score(row);
      row.annotation.forEach((label, i) => items.push({ passage: p, label: LABEL_VALUE[label], scores: { s: risks[i]! } }));
    }
    const m = evaluate(items, 's');
    lines.push(`| ${name} | ${rows.length} | ${pct(m.nonFactAucPr)} | ${pct(m.factualAucPr)} | ${pct(m.pearson)} | ${pct(m.spearman)} |`);
    await dispose();
  }
  return lines;
}

if (require.main === module) {
  const report = runWikiBio();
  console.log(formatWikiBio(report));
  console.log(`\n(${report.elapsedMs} ms)`);
  const flag = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const nli = flag('--nli');
  const judge = flag('--judge');
  if (nli || judge) {
    runWikiBioSemantic({ nli, judge })
      .then((lines) => console.log(['', '| method | rows | NonFact AUC-PR | Factual AUC-PR | Pearson | Spearman |', '|---|---|---|---|---|---|', ...lines].join('\n')))
      .catch((e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
      });
  }
}
