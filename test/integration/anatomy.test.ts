import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parametersFromConfig } from '../../src/core/anatomy/config';
import { renderAnatomy } from '../../src/cli/anatomy';
import { loadModelAnatomy } from '../../src/node/modelAnatomy';
import { MODEL_DIR, REPO } from '../support/model';

/** Figures the bundled model's card (models/facts-lm/README.md) states, read from its text. */
function cardFigures() {
  const card = fs.readFileSync(path.join(MODEL_DIR, 'README.md'), 'utf8');
  const num = (re: RegExp) => Number(re.exec(card)![1]!.replace(/,/g, ''));
  return {
    parameters: num(/\| \*\*parameters\*\* \| \*\*([\d,]+)\*\*/),
    onnxBytes: num(/\| `onnx\/model\.onnx` \| ([\d,]+) \|/),
    embedding: num(/Embedding: [\d,]+ × [\d,]+ = ([\d,]+)\./),
    perLayer: num(/Each layer: ([\d,]+), made of/),
  };
}

describe('model anatomy of the bundled model', () => {
  const { anatomy, name } = loadModelAnatomy();
  const card = cardFigures();
  const count = (id: string) => anatomy.components.find((c) => c.component === id)!.parameters;

  it('sums its components to the model card’s total, 1,843,392', () => {
    assert.equal(card.parameters, 1_843_392);
    assert.equal(anatomy.totalParameters, card.parameters);
    assert.equal(anatomy.components.reduce((n, c) => n + c.parameters, 0), card.parameters);
    assert.equal(count('other'), 0, 'every weight has a component');
  });

  it('matches the config-derived count of every component', () => {
    const config = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8'));
    const expected = parametersFromConfig(config)!;
    for (const c of anatomy.components) assert.equal(c.parameters, expected.components[c.component], c.label);
    assert.equal(anatomy.config!.matches, true);
    assert.equal(expected.total, card.parameters);
  });

  it('gives the card’s breakdown: embedding 268,800, 393,600 per layer, tied head with 0 extra', () => {
    assert.equal(count('embedding'), card.embedding);
    assert.deepEqual(anatomy.layers.map((l) => l.parameters), [card.perLayer, card.perLayer, card.perLayer, card.perLayer]);
    assert.equal(count('attention'), 4 * (36_864 + 12_288 + 12_288 + 36_864));
    assert.equal(count('mlp'), 4 * 294_912);
    assert.equal(count('norms'), 4 * 384 + 192);
    assert.equal(count('outputHead'), 0);
    assert.equal(anatomy.head.tied, true);
  });

  it('counts the same parameters, component by component, from the q8 graph: its scales, zero points and shape operands are not parameters', () => {
    const q8 = loadModelAnatomy(undefined, { kind: 'folder', parent: path.dirname(MODEL_DIR), id: path.basename(MODEL_DIR), dir: MODEL_DIR, name: 'facts-lm', dtype: 'q8' });
    assert.match(q8.onnxPath, /model_quantized\.onnx$/);
    assert.deepEqual(
      q8.anatomy.components.map((c) => [c.component, c.parameters]),
      anatomy.components.map((c) => [c.component, c.parameters]),
    );
    assert.equal(q8.anatomy.totalParameters, 1_843_392);
  });

  it('reports the card’s shape, dtype and file size', () => {
    const a = anatomy.architecture;
    assert.deepEqual(
      [a.layers, a.heads, a.kvHeads, a.headDim, a.hiddenSize, a.intermediateSize, a.vocabulary, a.contextLength],
      [4, 6, 2, 32, 192, 512, 1400, 256],
    );
    assert.equal(anatomy.dtype, 'float32');
    assert.equal(anatomy.fileBytes, card.onnxBytes);
    assert.equal(anatomy.fileBytes, fs.statSync(path.join(MODEL_DIR, 'onnx', 'model.onnx')).size);
    assert.equal(anatomy.weightBytes, 4 * card.parameters);
  });

  it('sets Chinchilla’s 20 × parameters beside the 1,382,739 tokens the card says it trained on', () => {
    assert.equal(anatomy.chinchilla.computeOptimalTokens, 20 * 1_843_392);
    assert.equal(anatomy.chinchilla.trainingTokens, 1_382_739);
    const text = renderAnatomy(name, anatomy);
    assert.match(text, /1,843,392 parameters/);
    assert.match(text, /36,867,840 tokens/);
    assert.match(text, /trained on: 1,382,739 tokens/);
  });

  it('prints the table and the JSON from the CLI', () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['-r', path.join(REPO, 'test/support/register.cjs'), path.join(REPO, 'src/cli/main.ts'), ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const table = cli(['anatomy']);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^MLP\s+1,179,648\s+64\.0%/m);
    const json = cli(['anatomy', '--json']);
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    assert.equal(out.totalParameters, 1_843_392);
    assert.equal(out.tensors.length, 1 + 9 + 4 * 7, 'embedding, 9 norms, 7 matrices per layer');
    const missing = cli(['anatomy', '--model', '/nonexistent/model']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /Model folder not found/);
  });
});
