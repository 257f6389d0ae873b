/**
 * What a GGUF model setting is, and what the user reads when llama.cpp cannot start: the
 * node-llama-cpp import really fails here (SAMPLING_LAB_NODE_LLAMA_CPP names a missing file),
 * and the file checks run on real bytes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/core/model/errors';
import { checkGgufHeader, isGgufPath, llamaRuntime, NODE_LLAMA_CPP_ENV } from '../../../src/node/engines/llamacpp/llamaCppModel';

describe('GGUF model settings and llama.cpp load errors', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-gguf-unit-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names a GGUF file by its .gguf extension, or as an Ollama weights blob (which has none)', () => {
    const blob = `sha256-${'ab12'.repeat(16)}`;
    assert.equal(isGgufPath('/models/qwen2.5-0.5b-instruct-q4_k_m.gguf'), true);
    assert.equal(isGgufPath(' ./Model.GGUF '), true);
    assert.equal(isGgufPath(`/home/me/.ollama/models/blobs/${blob}`), true);
    assert.equal(isGgufPath(`C:\\Users\\me\\.ollama\\models\\blobs\\${blob}`), true);
    for (const other of ['facts-lm', 'onnx-community/Qwen3-0.6B-ONNX', '/models/gguf-export', `/tmp/${blob}`, `/blobs/sha256-${'a'.repeat(63)}`, 'endpoint:gpu', undefined]) {
      assert.equal(isGgufPath(other), false, String(other));
    }
  });

  it("checks the file before llama.cpp opens it, naming the setting that gave it", () => {
    const notes = path.join(dir, 'notes.gguf');
    fs.writeFileSync(notes, 'not weights');
    assert.throws(() => checkGgufHeader(path.join(dir, 'gone.gguf'), 'samplingLab.model'), (e: Error) => e instanceof ModelLoadError && /: ENOENT\. Check the path given to samplingLab\.model\.$/.test(e.message));
    assert.throws(() => checkGgufHeader(dir, 'samplingLab.model'), /is not a file\. Give samplingLab\.model the path of a \.gguf file\./);
    assert.throws(() => checkGgufHeader(notes), /is not a GGUF file \(it does not start with the GGUF magic\)/);
    const cut = path.join(dir, 'cut.gguf');
    fs.writeFileSync(cut, Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'));
    assert.throws(() => checkGgufHeader(cut), /is truncated: 8 bytes, shorter than a GGUF header/);
  });

  it('a node-llama-cpp that does not import is a ModelLoadError naming the package, the reason and the fixes, without a stack', async () => {
    const missing = path.join(dir, 'no-node-llama-cpp', 'index.js');
    process.env[NODE_LLAMA_CPP_ENV] = missing;
    try {
      await assert.rejects(llamaRuntime(), (e: Error) => {
        assert.ok(e instanceof ModelLoadError, e.name);
        assert.match(e.message, /^The llama\.cpp engine for \.gguf files needs the node-llama-cpp package, which did not load from "[^"]*no-node-llama-cpp[/\\]index\.js" \(/);
        assert.match(e.message, /Install the Sampling Lab build for this platform \(its \.vsix carries node-llama-cpp\), or run npm ci in a source checkout, or unset SAMPLING_LAB_NODE_LLAMA_CPP\. ONNX models are not affected\.$/);
        assert.ok(!e.message.includes('\n'), 'one line: no require stack');
        return true;
      });
    } finally {
      delete process.env[NODE_LLAMA_CPP_ENV];
    }
  });
});
