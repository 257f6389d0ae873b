import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConstraintEngines, UnsupportedSchemaError, type ConstraintEngines } from '../../../src/core/structured/constraint';
import { constraintVocabFromTokenizerJson } from '../../../src/core/structured/engines/types';
import { tokenBytesOf } from '../../../src/core/structured/engines/walk';
import { checkSchema } from '../../../src/core/structured/schema';
import { nodeEngineModules } from '../../../src/node/constraintEngines';

const REPO = path.resolve(__dirname, '..', '..', '..');
const tokenizerJson = JSON.parse(fs.readFileSync(path.join(REPO, 'models', 'facts-lm', 'tokenizer.json'), 'utf8'));
const vocab = constraintVocabFromTokenizerJson(tokenizerJson, 1400, [0]);
const bytes = tokenBytesOf(vocab);
const decoder = new TextDecoder();

/** A model that picks, among the tokens the mask allows, the one `score` likes best. */
const modelBy = (score: (bytes: Uint8Array, stop: boolean) => number) => (row: Float32Array): number => {
  let best = -1;
  let bestScore = -Infinity;
  for (let t = 0; t < row.length; t++) {
    if (row[t] === -Infinity) continue;
    const value = score(bytes[t]!, vocab.eosTokenIds.includes(t));
    if (value > bestScore) (bestScore = value), (best = t);
  }
  return best;
};

/**
 * A model that never wants to finish: among the tokens the mask allows it picks the longest one
 * with no quote or closing bracket (rambling inside a string, opening more), and a stop token last.
 */
const rambler = modelBy((b, stop) => (stop ? -1000 : (b.some((x) => x === 0x22 || x === 0x7d || x === 0x5d) ? -100 : 0) + b.length));

/**
 * A model that keeps opening more: it takes a token with a `,` or `{` whenever the mask allows one
 * (one more array item), else one that closes a string or object, never `]` or a stop token.
 */
const opener = modelBy((b, stop) => {
  const has = (c: string) => b.includes(c.charCodeAt(0));
  return stop || has(']') ? -1000 : (has(',') || has('{') ? 100 : 0) + (has('"') || has('}') ? 10 : 0) - b.length;
});

async function decode(engines: ConstraintEngines, schema: object, maxNewTokens: number, model = rambler): Promise<{ text: string; tokens: number; closingFrom?: number; deadEnd?: number }> {
  const compiled = await engines.compile(checkSchema(schema));
  const sequence = await compiled.createSequenceConstraint({ maxNewTokens });
  const row = new Float32Array(vocab.vocabSize);
  const out: number[] = [];
  try {
    for (let step = 0; step < maxNewTokens && !sequence.isComplete(); step++) {
      row.fill(0);
      await sequence.mask(row);
      const token = model(row);
      sequence.accept(token);
      if (vocab.eosTokenIds.includes(token)) break;
      out.push(token);
    }
    return { text: decoder.decode(Uint8Array.from(out.flatMap((t) => [...bytes[t]!]))), tokens: out.length, closingFrom: sequence.closingFromStep, deadEnd: sequence.deadEndAtStep };
  } finally {
    sequence.dispose();
  }
}

describe('finishing inside the token budget', function () {
  this.timeout(60_000);
  let engines: ConstraintEngines;
  before(() => {
    engines = createConstraintEngines(nodeEngineModules(), vocab);
  });
  after(() => engines.dispose());

  const schema = {
    type: 'object',
    properties: {
      note: { type: 'string' },
      name: { type: 'string', minLength: 3 },
      tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
      address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } }, required: ['street', 'city'] },
      born: { type: 'integer', minimum: 1900, maximum: 1999 },
    },
    required: ['note', 'name', 'tags', 'address', 'born'],
  };

  for (const budget of [40, 60, 90, 150]) {
    it(`closes a document with every required key pending in time, against a model that rambles (budget ${budget})`, async () => {
      const { text, tokens, closingFrom } = await decode(engines, schema, budget);
      assert.ok(tokens <= budget, `${tokens} tokens for a budget of ${budget}`);
      assert.ok(closingFrom !== undefined, 'the closing phase started');
      const verdict = checkSchema(schema).validateText(text);
      assert.deepEqual(verdict.issues, [], text);
    });
  }

  it('never lets one token open an array item that no longer fits the budget left (the shape of JsonSchemaStore---sarif-1.0.0.json, Github_ultra---o56173.json)', async () => {
    // Each run needs a tool with a name: `, {"tool": {"name": "sarif"}}` is several tokens more, where closing took 2.
    const runs = {
      type: 'object',
      properties: {
        runs: {
          type: 'array',
          items: { type: 'object', properties: { tool: { type: 'object', properties: { name: { enum: ['sarif'] } }, required: ['name'], additionalProperties: false } }, required: ['tool'], additionalProperties: false },
        },
      },
      required: ['runs'],
      additionalProperties: false,
    };
    for (const budget of [40, 47, 53, 60, 71, 90]) {
      const { text, tokens, deadEnd } = await decode(engines, runs, budget, opener);
      assert.equal(deadEnd, undefined, `a dead end at step ${deadEnd}: ${text}`);
      assert.ok(tokens <= budget, `${tokens} tokens for a budget of ${budget}`);
      assert.deepEqual(checkSchema(runs).validateText(text).issues, [], text);
    }
  });

  it('watches for such a token from half the plan\'s length away when the plan is long (an item of 30 tokens while 80 are pending: Github_hard---o17383.json)', async () => {
    // Each run is `{"tool": {"name": "sarif", "tags": ["t", ...x8]}}`; after the runs, 30 more "x" are required.
    const item = { type: 'object', properties: { tool: { type: 'object', properties: { name: { const: 'sarif' }, tags: { type: 'array', items: { const: 't' }, minItems: 8, maxItems: 8 } }, required: ['name', 'tags'], additionalProperties: false } }, required: ['tool'], additionalProperties: false };
    const long = { type: 'object', properties: { runs: { type: 'array', items: item }, pad: { type: 'array', items: { const: 'x' }, minItems: 30, maxItems: 30 } }, required: ['runs', 'pad'], additionalProperties: false };
    for (let budget = 150; budget <= 200; budget += 7) {
      const { text, tokens, deadEnd } = await decode(engines, long, budget, opener);
      assert.equal(deadEnd, undefined, `budget ${budget}: a dead end at step ${deadEnd}: ${text}`);
      assert.ok(tokens <= budget, `${tokens} tokens for a budget of ${budget}`);
      assert.deepEqual(checkSchema(long).validateText(text).issues, [], text);
    }
  });

  it('keeps to the rest of its plan when planning again would take a longer way (`"set-` went on as `term` and its required list: Github_hard---o17383.json)', async () => {
    const kinds = {
      anyOf: [
        { type: 'object', properties: { kind: { const: 'set-variable' } }, required: ['kind'], additionalProperties: false },
        { type: 'object', properties: { kind: { const: 'set-term' }, list: { type: 'array', items: { const: 'x' }, minItems: 8 } }, required: ['kind', 'list'], additionalProperties: false },
      ],
    };
    /** Writes `{"kind": "set-` a byte at a time where the mask allows it, then the allowed token of lowest id. */
    const scripted = () => {
      const script = [...'{"kind": "set-'].map((c) => c.charCodeAt(0));
      return (row: Float32Array) => {
        const next = script[0];
        const byte = next === undefined ? -1 : bytes.findIndex((b, t) => b.length === 1 && b[0] === next && row[t] !== -Infinity);
        if (byte >= 0) {
          script.shift();
          return byte;
        }
        script.length = 0;
        return row.findIndex((x) => x !== -Infinity);
      };
    };
    let ran = 0;
    for (let budget = 8; budget <= 30; budget++) {
      let result;
      try {
        result = await decode(engines, kinds, budget, scripted());
      } catch (e) {
        if (e instanceof UnsupportedSchemaError) continue; // shorter than the shortest document
        throw e;
      }
      ran++;
      assert.equal(result.deadEnd, undefined, `budget ${budget}: a dead end at step ${result.deadEnd}: ${result.text}`);
      assert.deepEqual(checkSchema(kinds).validateText(result.text).issues, [], `budget ${budget}: ${result.text}`);
    }
    assert.ok(ran >= 10, `${ran} budgets decoded`);
  });

  it('refuses, before decoding, a budget too small for the shortest valid document', async () => {
    const compiled = await engines.compile(checkSchema(schema));
    await assert.rejects(compiled.createSequenceConstraint({ maxNewTokens: 12 }), (e: Error) => {
      assert.ok(e instanceof UnsupportedSchemaError);
      assert.match(e.message, /The shortest valid document for this schema takes \d+ tokens, more than the budget of 12: raise max new tokens to at least \d+/);
      return true;
    });
  });

  it('with both masks, closes along a completion the second engine accepts too (XGrammar\'s own shortest, `[]`, breaks `contains`): Handwritten---test.json', async () => {
    const contains = {
      type: 'object',
      properties: { note: { type: 'string' }, ids: { type: 'array', items: { type: 'integer' }, contains: { const: 0 } } },
      required: ['note', 'ids'],
    };
    const compiled = await engines.compile(checkSchema(contains));
    assert.equal(compiled.engine, 'xgrammar + transformers-structured-output');
    for (const budget of [40, 80]) {
      const { text, tokens, closingFrom } = await decode(engines, contains, budget);
      assert.ok(tokens <= budget, `${tokens} tokens for a budget of ${budget}`);
      assert.ok(closingFrom !== undefined, `the closing phase started: ${text}`);
      assert.deepEqual(checkSchema(contains).validateText(text).issues, [], text);
    }
  });

  it('refuses before decoding, by keyword, when no completion both masks accept can be planned: Handwritten---string1.json', async () => {
    const long = { type: 'string', pattern: '^([a-z][0-9])+$', minLength: 10000 };
    const compiled = await engines.compile(checkSchema(long));
    await assert.rejects(compiled.createSequenceConstraint({ maxNewTokens: 200 }), (e: Error) => {
      assert.ok(e instanceof UnsupportedSchemaError);
      assert.match(e.message, /found no document of this schema that both masks accept.*budget of 200 tokens.*`minLength next to pattern`.*Nothing was decoded/);
      return true;
    });
    // Without a budget there is nothing to close, and the schema still compiles.
    (await compiled.createSequenceConstraint()).dispose();
  });

  it('plans a short email (the grammar\'s next separator first, not the whole alphabet), so a small budget still closes it: Github_hard---o34872.json', async () => {
    const mail = { type: 'object', properties: { note: { type: 'string' }, mbox: { type: 'string', format: 'email' } }, required: ['note', 'mbox'] };
    const { text, tokens, closingFrom } = await decode(engines, mail, 36);
    assert.ok(tokens <= 36, `${tokens} tokens for a budget of 36`);
    assert.ok(closingFrom !== undefined, `the closing phase started: ${text}`);
    assert.deepEqual(checkSchema(mail).validateText(text).issues, [], text);
  });

  it('plans each separator of a pattern in turn, so a model rambling inside the string is closed in time: Snowplow---sp_273_Normalized.json', async () => {
    const iglu = { type: 'object', properties: { schema: { type: 'string', pattern: '^iglu:[a-zA-Z0-9-_.]+/[a-zA-Z0-9-_]+/[a-zA-Z0-9-_]+/[0-9]+-[0-9]+-[0-9]+$' } }, required: ['schema'] };
    const { text, tokens, closingFrom } = await decode(engines, iglu, 60);
    assert.ok(tokens <= 60, `${tokens} tokens for a budget of 60`);
    assert.ok(closingFrom !== undefined, `the closing phase started: ${text}`);
    assert.deepEqual(checkSchema(iglu).validateText(text).issues, [], text);
  });
});
