// Verify models/facts-lm through transformers.js, the way the app loads it.
//
//   node tools/model/verify.mjs [--full] [--agreement]
//
// Checks (exit code 1 if any fails):
//   * the tokenizer reproduces Python's ids on ~1,600 texts and decodes them back exactly;
//   * logits equal PyTorch's (tools/model/work/ref.json) to 1e-4;
//   * a left-padded batch gives the same last-position logits as single rows;
//   * one cached decoding step equals a full forward pass;
//   * greedy generate() answers known questions (>= 95% on birth city).
// --full scores every known person with every phrasing (for the model card);
// --agreement samples 8 answers at T=1 for known vs held-out people.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, AutoTokenizer, AutoModelForCausalLM, Tensor } from '@huggingface/transformers';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const modelDir = path.join(root, 'models', 'facts-lm');
const args = new Set(process.argv.slice(2));

env.localModelPath = path.join(root, 'models');
env.allowRemoteModels = false;

const tokenizer = await AutoTokenizer.from_pretrained('facts-lm');
const model = await AutoModelForCausalLM.from_pretrained('facts-lm', { dtype: 'fp32', device: 'cpu' });
const ref = JSON.parse(fs.readFileSync(path.join(here, 'work', 'ref.json'), 'utf8'));
const world = (name) => JSON.parse(fs.readFileSync(path.join(modelDir, 'world', name), 'utf8'));
const known = world('known.json');
const heldout = world('heldout.json');
const formats = world('formats.json');
const EOS = model.generation_config?.eos_token_id ?? model.config.eos_token_id;

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

// ---- tokenizer ------------------------------------------------------------
{
  let idMismatch = 0;
  let roundTrip = 0;
  for (const { text, ids } of ref.tokenization) {
    const got = tokenizer.encode(text);
    if (got.length !== ids.length || got.some((v, i) => v !== ids[i])) {
      if (idMismatch++ < 3) console.log('  ids differ for', JSON.stringify(text), got, ids);
    }
    // ids[0] is the BOS the post-processor adds; the rest must decode to the text.
    const back = got.length > 1 ? tokenizer.decode(got.slice(1), { skip_special_tokens: false }) : '';
    if (back !== text) {
      if (roundTrip++ < 3) console.log('  round trip differs:', JSON.stringify(text), JSON.stringify(back));
    }
  }
  const n = ref.tokenization.length;
  check(idMismatch === 0, `tokenizer ids match Python on ${n} texts (${idMismatch} differ)`);
  check(roundTrip === 0, `tokenizer round-trips ${n} texts exactly (${roundTrip} differ)`);
  check(tokenizer.encode('x')[0] === EOS, `BOS prepended is <|endoftext|> = ${EOS}`);
  const pieces = Array.from({ length: model.config.vocab_size - 1 }, (_, i) => tokenizer.decode([i + 1]));
  const spanning = pieces.filter((t) => /["{}:,]/.test(t) && /[a-z]/i.test(t));
  check(spanning.length > 10, `${spanning.length} tokens span JSON punctuation and letters, e.g. ` +
    spanning.filter((t) => t.includes('"')).slice(0, 8).map((t) => JSON.stringify(t)).join(' '));
}

// ---- logits vs PyTorch ----------------------------------------------------
const int64 = (rows) => new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
const maxAbsDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const lastLogits = (logits, row) => {
  const [, seq, vocab] = logits.dims;
  const start = (row * seq + seq - 1) * vocab;
  return Array.from(logits.data.subarray(start, start + vocab));
};
{
  let worst = 0;
  for (const [i, ids] of ref.sequences.entries()) {
    const out = await model({ input_ids: int64([ids]), attention_mask: int64([ids.map(() => 1)]) });
    worst = Math.max(worst, maxAbsDiff(Array.from(out.logits.data), ref.logits[i].flat()));
  }
  check(worst <= 1e-4, `logits match PyTorch on ${ref.sequences.length} sequences: max |diff| ${worst.toExponential(2)}`);
}

// ---- left padding and the KV cache ----------------------------------------
const fill = (template, p) => {
  const f = { name: p.name, first: p.name.split(' ')[0], city: p.city, profession: p.profession,
    article: /^[aeiou]/.test(p.profession) ? 'an' : 'a', born: String(p.born) };
  return Object.entries(f).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, v), template);
};
const question = (id) => Object.values(formats.questions).flat().find((q) => q.id === id);
{
  const prompts = [
    fill(question('city_where').prompt, known[1]),
    fill(formats.json.prompt, known[2]),
    fill(question('profession_do').prompt, heldout[0]),
    'Q: Hi?\nA:',
  ];
  const batch = tokenizer(prompts, { padding: true });
  const padded = await model(batch);
  let worst = 0;
  for (const [i, p] of prompts.entries()) {
    const single = tokenizer(p);
    const out = await model(single);
    worst = Math.max(worst, maxAbsDiff(lastLogits(out.logits, 0), lastLogits(padded.logits, i)));
  }
  const leftPadded = batch.attention_mask.data[0] === 0n || batch.attention_mask.data[prompts.length * 0] === 0n;
  check(tokenizer.padding_side === 'left' && leftPadded, 'tokenizer pads on the left');
  check(worst <= 1e-4, `left-padded batch = single rows (last position): max |diff| ${worst.toExponential(2)}`);

  // A cached step: run the padded batch, then one more token through the cache.
  const next = int64(prompts.map(() => [5]));
  const mask2 = int64(Array.from({ length: prompts.length }, (_, r) =>
    [...Array.from(batch.attention_mask.data.subarray(r * batch.attention_mask.dims[1], (r + 1) * batch.attention_mask.dims[1]), Number), 1]));
  const past = Object.fromEntries(Object.entries(padded).filter(([k]) => k.startsWith('present'))
    .map(([k, v]) => [k.replace('present', 'past_key_values'), v]));
  const step = await model({ input_ids: next, attention_mask: mask2, past_key_values: past });
  const fullIds = int64(Array.from({ length: prompts.length }, (_, r) =>
    [...Array.from(batch.input_ids.data.subarray(r * batch.input_ids.dims[1], (r + 1) * batch.input_ids.dims[1]), Number), 5]));
  const full = await model({ input_ids: fullIds, attention_mask: mask2 });
  let cacheDiff = 0;
  for (let r = 0; r < prompts.length; r++) cacheDiff = Math.max(cacheDiff, maxAbsDiff(lastLogits(step.logits, r), lastLogits(full.logits, r)));
  check(cacheDiff <= 1e-4, `cached step = full forward: max |diff| ${cacheDiff.toExponential(2)}`);
}

// ---- greedy generation ----------------------------------------------------
async function complete(prompts, options) {
  const enc = tokenizer(prompts, { padding: true });
  const out = await model.generate({ ...enc, max_new_tokens: 20, ...options });
  const width = enc.input_ids.dims[1];
  const rows = out.tolist();
  return rows.map((row) => {
    const gen = row.slice(width).map(Number);
    const end = gen.indexOf(EOS); // batched generate keeps going after a row's EOS
    return tokenizer.decode(end < 0 ? gen : gen.slice(0, end), { skip_special_tokens: false });
  });
}
async function accuracy(people, qid) {
  const q = question(qid);
  let hits = 0;
  for (let i = 0; i < people.length; i += 100) {
    const chunk = people.slice(i, i + 100);
    const answers = await complete(chunk.map((p) => fill(q.prompt, p)), { do_sample: false });
    answers.forEach((a, j) => { hits += a === fill(q.answer, chunk[j]); });
  }
  return hits / people.length;
}
{
  const sample = known.filter((_, i) => i % 8 === 0); // 50 people
  const results = {};
  for (const [attr, qid] of Object.entries(formats.canonical)) {
    results[attr] = await accuracy(sample, qid);
  }
  console.log('  greedy accuracy, 50 known people, canonical questions:', JSON.stringify(results));
  check(results.city >= 0.95, `greedy city accuracy ${(results.city * 100).toFixed(1)}% >= 95%`);
  if (args.has('--full')) {
    const full = {};
    for (const q of Object.values(formats.questions).flat()) full[q.id] = await accuracy(known, q.id);
    console.log(`  greedy accuracy, all ${known.length} known people, every phrasing:`);
    for (const [k, v] of Object.entries(full)) console.log(`    ${k.padEnd(18)} ${(v * 100).toFixed(2)}%`);
  }
  const heldAnswers = await complete(heldout.slice(0, 50).map((p) => fill(question('city_where').prompt, p)), { do_sample: false });
  const wellFormed = heldAnswers.filter((a) => formats.values.cities.some((c) => a === ` ${c}.`)).length;
  console.log(`  held-out greedy answers that are a known city: ${wellFormed}/50 (expected: most; they are confabulated)`);
}

// ---- self-consistency: known vs held-out -----------------------------------
if (args.has('--agreement')) {
  const q = question('city_where');
  for (const [label, people] of [['known', known.slice(0, 50)], ['held-out', heldout.slice(0, 50)]]) {
    let agree = 0;
    let distinct = 0;
    for (const p of people) {
      const answers = await complete(Array(8).fill(fill(q.prompt, p)), { do_sample: true, temperature: 1, top_k: 0 });
      const counts = new Map();
      for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
      agree += Math.max(...counts.values()) / answers.length;
      distinct += counts.size;
    }
    console.log(`  ${label}: majority agreement ${(agree / people.length).toFixed(3)}, distinct answers ${(distinct / people.length).toFixed(2)} (8 samples, T=1)`);
  }
}

if (failures.length) {
  console.log(`\n${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('\nall checks passed');
