/**
 * The explorer's controls derived from the registry (a drift test: every stage parameter has one),
 * and its text fields for DRY breakers and logit bias: read as the CLI flags read them, errors that
 * name the parameter, and an edit that changes the step the explorer explains.
 */
import { strict as assert } from 'node:assert';
import { samplerSettingsFromFlags } from '../../../src/cli/flags';
import { explainStep } from '../../../src/core/explorer/explainStep';
import { explorerStrategy, type ExplorerSettings } from '../../../src/core/explorer/settings';
import { DEFAULT_DRY_BREAKERS } from '../../../src/core/sampling/dry';
import { formatParamText, parseParamText } from '../../../src/core/sampling/paramText';
import { stageDefinition, STAGES } from '../../../src/core/sampling/registry';
import type { BiasParam, TextsParam, TokenVocabulary } from '../../../src/core/sampling/stage';
import { explorerControls, readTextControl, textControlText } from '../../../webview-ui/panel/explorerControls';

const dry = stageDefinition('dry');
const breakers = dry.params.find((p) => p.kind === 'texts') as TextsParam;
const logitBias = stageDefinition('logit_bias');
const bias = logitBias.params.find((p) => p.kind === 'bias') as BiasParam;

/** Six single-piece tokens; the tokenizer splits before spaces (as newStages.test.ts's). */
const TEXTS = ['the', ' cat', ':', ' sat', '\n', ' Paris'];
const vocabulary: TokenVocabulary = {
  vocabSize: TEXTS.length,
  tokenText: (id) => TEXTS[id]!,
  encode: (text) => text.split(/(?= )/).map((piece) => TEXTS.indexOf(piece)).filter((id) => id >= 0),
};

function value(read: { value: unknown } | { error: string }): unknown {
  if ('error' in read) assert.fail(read.error);
  return read.value;
}

describe('explorer controls', () => {
  it('give every parameter of every registry stage exactly one control, of its kind', () => {
    const controls = explorerControls();
    assert.deepEqual(controls.map((c) => c.stage.type), STAGES.map((s) => s.type));
    for (const [i, stage] of STAGES.entries()) {
      const c = controls[i]!;
      assert.deepEqual(c.params.map((p) => p.param), [...stage.params], `${stage.type}: one control per parameter, in order`);
      for (const p of c.params) assert.equal(p.kind, p.param.kind === 'number' ? 'number' : 'text', `${stage.type}.${p.param.field}`);
    }
    const kinds = new Set(controls.flatMap((c) => c.params.map((p) => p.param.kind)));
    assert.deepEqual([...kinds].sort(), ['bias', 'number', 'texts'], 'the registry has text and bias parameters, and they have controls');
    // The presets' own stages keep an off value; every other stage is switched on and off.
    assert.deepEqual(controls.filter((c) => !c.hasSwitch).map((c) => c.stage.type), ['temperature', 'top_k', 'top_p', 'min_p']);
  });

  it('read DRY breakers as a JSON list or a comma/newline list, with "\\n" a line break as on the command line', () => {
    assert.deepEqual(value(readTextControl(dry, breakers, '["\\n", ":", "\\"", "*"]')), DEFAULT_DRY_BREAKERS);
    assert.deepEqual(value(readTextControl(dry, breakers, '\\n, :, ", *')), DEFAULT_DRY_BREAKERS);
    assert.deepEqual(value(readTextControl(dry, breakers, ':\n*')), [':', '*']);
    assert.deepEqual(value(readTextControl(dry, breakers, '[]')), []);
    assert.equal(value(readTextControl(dry, breakers, '  ')), undefined, 'empty: the default breakers');
    // The CLI's repeated flag gives the same list.
    const cli = samplerSettingsFromFlags({ 'dry-sequence-breaker': ['\\n', ':', '"', '*'] }).drySequenceBreakers;
    assert.deepEqual(value(readTextControl(dry, breakers, '\\n, :, ", *')), cli);
  });

  it('read a logit bias as the --logit-bias flag reads it: TOKEN=BIAS, "ban", and llama.cpp ID+BIAS', () => {
    const line = '15=-2.5, 3+1, Paris=ban, a\\nb=4';
    const read = value(readTextControl(logitBias, bias, line));
    assert.deepEqual(read, { '15': -2.5, '3': 1, Paris: false, 'a\nb': 4 });
    assert.deepEqual(read, samplerSettingsFromFlags({ 'logit-bias': line.split(', ') }).logitBias);
    assert.equal(value(readTextControl(logitBias, bias, '')), undefined);
    // A JSON-quoted text keeps its spaces and may hold a comma, in the field and on the command line.
    assert.deepEqual(value(readTextControl(logitBias, bias, '" Paris"=ban, "x, y"=1')), { ' Paris': false, 'x, y': 1 });
    assert.deepEqual(samplerSettingsFromFlags({ 'logit-bias': ['" Paris"=ban'] }).logitBias, { ' Paris': false });
  });

  it('show a value as a line that reads back as the same value', () => {
    for (const v of [DEFAULT_DRY_BREAKERS, [' ', ',', 'a"b'], []]) assert.deepEqual(value(parseParamText(breakers, textControlText(breakers, v))), v);
    const b = { '15043': -2, ' Paris': false, 'two\nlines': 0.5, 'a,b=c': 1, '"q"': 3 };
    assert.deepEqual(value(parseParamText(bias, formatParamText(bias, b))), b);
    assert.equal(textControlText(bias, undefined), '');
  });

  it('name the parameter and the expected form when a line is not a value', () => {
    const noEquals = readTextControl(logitBias, bias, '15=1, Paris');
    assert.ok('error' in noEquals);
    assert.match(noEquals.error, /^Logit bias: bias \(--logit-bias\): "Paris" is not TOKEN=BIAS\. Expected comma-separated TOKEN=BIAS/);
    const notNumber = readTextControl(logitBias, bias, '15=lots');
    assert.ok('error' in notNumber && /"15=lots" is not TOKEN=BIAS/.test(notNumber.error));
    const badJson = readTextControl(dry, breakers, '["\\n", ');
    assert.ok('error' in badJson);
    assert.match(badJson.error, /^DRY: breakers \(--dry-sequence-breaker\): not valid JSON .*Expected a JSON list of strings/);
    const numbers = readTextControl(dry, breakers, '[1, 2]');
    assert.ok('error' in numbers && /a JSON list must hold only strings/.test(numbers.error));
    const gap = readTextControl(dry, breakers, ':,,*');
    assert.ok('error' in gap && /an empty item/.test(gap.error));
  });

  describe('an edit changes the explained step (what the worker runs), and carries into a branch', () => {
    const flat = new Float32Array(TEXTS.length);
    const probOf = (settings: ExplorerSettings, history: number[], token: number) => explainStep(flat, history, settings, { vocabulary }).tokens.find((t) => t.token === token)!.finalProb;

    it('DRY breakers: ":" as a breaker stops the repeat of ": the" from penalising " cat"', () => {
      // "the cat : the cat : the": " cat" would extend a repeat of "the cat : the" (4 tokens) unless ":" breaks it.
      const history = [0, 1, 2, 0, 1, 2, 0];
      const card: ExplorerSettings = { temperature: 1, dryMultiplier: 5, dryAllowedLength: 2 };
      const none = { ...card, drySequenceBreakers: value(readTextControl(dry, breakers, '[]')) };
      const colon = { ...card, drySequenceBreakers: value(readTextControl(dry, breakers, ':')) };
      const penalised = probOf(none, history, 1);
      const kept = probOf(colon, history, 1);
      assert.ok(penalised < 0.01, `" cat" extends a repeat: p ${penalised}`);
      assert.ok(Math.abs(kept - 1 / 6) < 1e-12, `the breaker stops the repeat: p ${kept}`);
      assert.deepEqual((explorerStrategy(colon).sampler.stages.find((s) => s.type === 'dry') as { breakers?: string[] }).breakers, [':']);
    });

    it('logit bias: by id and by text, and "ban"', () => {
      const card: ExplorerSettings = { temperature: 1 };
      assert.ok(Math.abs(probOf(card, [], 3) - 1 / 6) < 1e-12);
      const byId = { ...card, logitBias: value(readTextControl(logitBias, bias, '3=2')) };
      const e2 = Math.exp(2);
      assert.ok(Math.abs(probOf(byId, [], 3) - e2 / (e2 + 5)) < 1e-12);
      const banned = { ...card, logitBias: value(readTextControl(logitBias, bias, `0=0, " Paris"=ban`)) };
      assert.equal(probOf(banned, [], 5), 0);
      assert.ok(Math.abs(probOf(banned, [], 3) - 1 / 5) < 1e-12);
      assert.deepEqual(explorerStrategy(byId).sampler.stages.find((s) => s.type === 'logit_bias'), { type: 'logit_bias', bias: { '3': 2 } });
    });
  });
});
