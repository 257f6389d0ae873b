/** The model fingerprint every output cache keys on: a model folder replaced in place is a new model. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelFingerprint } from '../../../src/node/modelFolder';

const BUNDLED = path.resolve(__dirname, '..', '..', '..', 'models', 'facts-lm');

/** Rewrites `file` with `edit` applied, keeping its size and its mtime, as `cp -p` of a same-size file would. */
function replaceInPlace(file: string, edit: (bytes: Buffer) => void): void {
  const { atime, mtime, size } = fs.statSync(file);
  const bytes = fs.readFileSync(file);
  edit(bytes);
  fs.writeFileSync(file, bytes);
  fs.utimesSync(file, atime, mtime);
  assert.equal(fs.statSync(file).size, size);
  assert.equal(Math.round(fs.statSync(file).mtimeMs), Math.round(mtime.getTime()));
}

describe('the model fingerprint', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-fp-')), 'model');
    fs.cpSync(BUNDLED, dir, { recursive: true, preserveTimestamps: true, filter: (src) => !src.includes(`${path.sep}world`) });
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('is the same for the same files: across calls, and for a copy with the same times at another path', () => {
    assert.equal(modelFingerprint(dir), modelFingerprint(dir));
    const copy = path.join(path.dirname(dir), 'copy');
    fs.cpSync(dir, copy, { recursive: true, preserveTimestamps: true });
    assert.equal(modelFingerprint(copy), modelFingerprint(dir));
  });

  it('changes when config.json is replaced in place, size and mtime kept', () => {
    const before = modelFingerprint(dir);
    replaceInPlace(path.join(dir, 'config.json'), (b) => {
      const i = b.indexOf('"');
      b[i + 1] = b[i + 1] === 0x5f ? 0x2d : 0x5f; // the first key's first letter becomes "_" (or "-")
    });
    assert.notEqual(modelFingerprint(dir), before);
  });

  it('changes when tokenizer.json is replaced in place', () => {
    const before = modelFingerprint(dir);
    replaceInPlace(path.join(dir, 'tokenizer.json'), (b) => b.reverse());
    assert.notEqual(modelFingerprint(dir), before);
  });

  it("changes when the ONNX file's header changes, size and mtime kept", () => {
    const before = modelFingerprint(dir);
    // The producer name in the ONNX header ("pytorch"): a one-byte change, the graph intact.
    replaceInPlace(path.join(dir, 'onnx', 'model.onnx'), (b) => {
      const i = b.indexOf('pytorch');
      assert.ok(i >= 0 && i < 64 * 1024, 'the producer name is in the header');
      b[i] = 0x50;
    });
    assert.notEqual(modelFingerprint(dir), before);
  });
});
