/**
 * Scores the bundled model's quantized weights against fp32: greedy answers to every known-fact
 * question (7 phrasings x 400 people), exact-match accuracy per dtype, and how often each dtype's
 * greedy completion equals fp32's token for token. The figures go into models/facts-lm/README.md.
 *
 *   node -r ./test/support/register.cjs tools/model/compare_dtypes.ts [fp32 q8 q4]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { isDtype, type Dtype } from '../../src/core/model/hubModel';
import { loadNodeModel } from '../../src/node/loadNodeModel';

const MODEL_DIR = path.resolve(__dirname, '..', '..', 'models', 'facts-lm');

interface Question {
  id: string;
  prompt: string;
  answer: string;
}
interface Person {
  name: string;
  city: string;
  profession: string;
  born: number;
}

/** formats.json's placeholders, filled by plain replacement as the model card says. */
function fill(template: string, p: Person): string {
  const profession = p.profession.toLowerCase();
  const fields: Record<string, string> = {
    name: p.name,
    first: p.name.split(' ')[0]!,
    city: p.city,
    profession,
    article: /^[aeiou]/i.test(profession) ? 'an' : 'a',
    born: String(p.born),
  };
  return template.replace(/\{(\w+)\}/g, (m, k: string) => fields[k] ?? m);
}

async function main(): Promise<void> {
  const dtypes = process.argv.slice(2).filter(isDtype);
  const order: Dtype[] = dtypes.length > 0 ? dtypes : ['fp32', 'q8', 'q4'];
  const formats = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'world', 'formats.json'), 'utf8')) as { questions: Record<string, Question[]> };
  const people = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'world', 'known.json'), 'utf8')) as Person[];
  const questions = Object.values(formats.questions).flat();
  const items = questions.flatMap((q) => people.map((p) => ({ id: q.id, prompt: fill(q.prompt, p), answer: fill(q.answer, p) })));
  const greedy = [strategyFromSettings({ kind: 'greedy' })];
  const outputs = new Map<Dtype, string[]>();
  for (const dtype of order) {
    const model = await loadNodeModel({ device: 'cpu', dtype });
    const texts: string[] = [];
    const t0 = performance.now();
    for (const item of items) {
      const r = await compareStrategies(model, item.prompt, greedy, { maxNewTokens: 16, seed: 0 });
      texts.push(r.results[0]!.best.text);
    }
    outputs.set(dtype, texts);
    const correct = texts.filter((t, i) => t === items[i]!.answer).length;
    const perQuestion = questions.map((q) => {
      const idx = items.flatMap((it, i) => (it.id === q.id ? [i] : []));
      return `${q.id} ${((100 * idx.filter((i) => texts[i] === items[i]!.answer).length) / idx.length).toFixed(1)}%`;
    });
    console.log(`${dtype}: known-fact accuracy ${correct}/${items.length} = ${((100 * correct) / items.length).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    console.log(`  ${perQuestion.join(', ')}`);
    const base = outputs.get('fp32');
    if (base && dtype !== 'fp32') {
      const same = texts.filter((t, i) => t === base[i]).length;
      console.log(`  greedy agreement with fp32: ${same}/${items.length} = ${((100 * same) / items.length).toFixed(2)}%`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
