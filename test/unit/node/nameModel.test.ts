import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/core/model/errors';
import { BUNDLED_MODEL, nameModel, packageRoot, resolveModel } from '../../../src/node/modelFolder';

describe('nameModel: the one reading of a model name (CLI --model, samplingLab.model, prompt tests)', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'name-model-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads nothing, or the bundled name, as the bundled folder, even where that folder is missing', () => {
    const bundled = path.join(packageRoot(), 'models', BUNDLED_MODEL);
    assert.deepEqual(nameModel(undefined), { kind: 'bundled', name: BUNDLED_MODEL, dir: bundled });
    assert.deepEqual(nameModel('  '), { kind: 'bundled', name: BUNDLED_MODEL, dir: bundled });
    // Another root without the bundle: still the bundle, so its absence is reported as such.
    assert.deepEqual(nameModel(BUNDLED_MODEL, { root: tmp }), { kind: 'bundled', name: BUNDLED_MODEL, dir: path.join(tmp, 'models', BUNDLED_MODEL) });
  });

  it('reads a path as a folder: absolute (no trailing separator), ~/ in the home folder, relative to where it is relative to', () => {
    assert.deepEqual(nameModel(`${tmp}/`), { kind: 'folder', name: path.basename(tmp), dir: tmp });
    assert.deepEqual(nameModel('~/models/x/'), { kind: 'folder', name: 'x', dir: path.join(os.homedir(), 'models', 'x') });
    assert.deepEqual(nameModel('./m', { relativeTo: tmp }), { kind: 'folder', name: 'm', dir: path.join(tmp, 'm') });
  });

  it('refuses a relative path with nothing to be relative to, in the caller\'s words; ".." is never the bundled folder\'s parent', () => {
    const relativeRefused = (p: string) => `samplingLab.model "${p}" is a relative path in your user settings.`;
    assert.throws(() => nameModel('./m', { relativeRefused }), (e: unknown) => e instanceof ModelLoadError && /samplingLab\.model "\.\/m" is a relative path/.test(e.message));
    assert.throws(() => nameModel('..', { relativeRefused }), /"\.\." is a relative path/);
  });

  it('reads owner/name[@revision] as a hub id, unless it is a folder here', () => {
    assert.deepEqual(nameModel('onnx-community/Qwen2.5-0.5B-Instruct@main'), { kind: 'hub', name: 'onnx-community/Qwen2.5-0.5B-Instruct@main' });
    // From user settings (nothing to be relative to), never a folder of the open workspace.
    assert.deepEqual(nameModel('models/facts-lm'), { kind: 'hub', name: 'models/facts-lm' });
    fs.mkdirSync(path.join(tmp, 'owner', 'name'), { recursive: true });
    assert.deepEqual(nameModel('owner/name', { relativeTo: tmp }), { kind: 'folder', name: 'name', dir: path.join(tmp, 'owner', 'name') });
  });

  it('the CLI reads a relative folder from its working folder, and names a missing one with the fix', () => {
    const cwd = process.cwd();
    try {
      process.chdir(path.join(packageRoot(), 'models'));
      assert.equal(resolveModel(`./${BUNDLED_MODEL}`).dir, path.join(packageRoot(), 'models', BUNDLED_MODEL));
    } finally {
      process.chdir(cwd);
    }
    assert.throws(() => resolveModel(path.join(tmp, 'absent')), /Model folder not found: .*absent\. Pass --model/);
  });
});
