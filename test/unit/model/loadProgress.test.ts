/**
 * Model-load progress: which callbacks the worker posts and how a step is worded. The callback
 * sequence is transformers.js 4's (dist/transformers.web.js: loadResourceFile's initiate /
 * download / progress / done, and DefaultProgressCallback's progress_total sent just before each
 * progress chunk, once the model's file sizes are known).
 */
import * as assert from 'node:assert/strict';
import { byteSize, LoadProgressFilter, loadStepShort, loadStepText, type LoadStep } from '../../../src/core/model/loadProgress';

const MB = 1 << 20;

/** One file read in `chunks` equal chunks, the way transformers.js 4 reports it, `msPerChunk` apart. */
function fileSteps(file: string, size: number, chunks: number, msPerChunk: number, start: number): Array<[LoadStep, number]> {
  const steps: Array<[LoadStep, number]> = [
    [{ status: 'initiate', file, loaded: 0, total: 0 }, start],
    [{ status: 'download', file, loaded: 0, total: 0 }, start],
  ];
  for (let i = 1; i <= chunks; i++) {
    const at = start + i * msPerChunk;
    const loaded = Math.round((size * i) / chunks);
    steps.push([{ status: 'progress_total', file: '', loaded, total: size }, at]);
    steps.push([{ status: 'progress', file, loaded, total: size }, at]);
  }
  steps.push([{ status: 'done', file, loaded: 0, total: 0 }, start + chunks * msPerChunk]);
  return steps;
}

describe('model-load progress', () => {
  it('posts every chunk that names its file: the running sum before it no longer swallows it', () => {
    const filter = new LoadProgressFilter(50);
    const posted = fileSteps('onnx/model.onnx', 7 * MB, 20, 60, 0).filter(([s, at]) => filter.accept(s, at));
    assert.ok(posted.every(([s]) => s.status !== 'progress_total'), 'the unnamed running sum is not posted');
    assert.equal(posted.filter(([s]) => s.status === 'progress').length, 20, 'chunks 60 ms apart all pass a 50 ms interval');
    assert.deepEqual(posted.map(([s]) => s.status).slice(0, 2), ['initiate', 'download']);
    assert.equal(posted.at(-1)![0].status, 'done');
  });

  it('thins fast chunks to one per interval, but keeps each file first and last chunk', () => {
    const filter = new LoadProgressFilter(50);
    const steps = [...fileSteps('tokenizer.json', 200_000, 10, 1, 0), ...fileSteps('onnx/model.onnx', 7 * MB, 100, 2, 20)];
    const chunks = steps.filter(([s, at]) => filter.accept(s, at)).map(([s]) => s).filter((s) => s.status === 'progress');
    const of = (file: string) => chunks.filter((s) => s.file === file);
    assert.equal(of('tokenizer.json')[0]!.loaded, 20_000, 'the first chunk of the tokenizer');
    assert.equal(of('tokenizer.json').at(-1)!.loaded, 200_000, 'its last chunk: 100%');
    assert.equal(of('onnx/model.onnx')[0]!.loaded, Math.round((7 * MB) / 100));
    assert.equal(of('onnx/model.onnx').at(-1)!.loaded, 7 * MB);
    // 200 ms of chunks every 2 ms: the first, about one per 50 ms, and the last.
    assert.ok(of('onnx/model.onnx').length <= 7, `thinned: ${of('onnx/model.onnx').length} of 100 chunks posted`);
  });

  it('says which file and how far, in long and short form', () => {
    const step: LoadStep = { status: 'progress', file: 'onnx/model.onnx', loaded: 3.15 * MB, total: 7 * MB };
    assert.equal(loadStepText(step), 'onnx/model.onnx: 3.1 MB of 7.0 MB (45%)');
    assert.equal(loadStepShort(step), 'onnx/model.onnx 45%');
    assert.equal(loadStepText({ status: 'initiate', file: 'config.json', loaded: 0, total: 0 }), 'config.json…');
    assert.equal(loadStepText({ status: 'warmup', file: '', loaded: 0, total: 0 }), 'compiling the model for this backend…');
    assert.equal(loadStepText({ status: 'progress_total', file: '', loaded: 1, total: 2 }), undefined, 'a step naming no file adds nothing');
    assert.deepEqual([300, 12 * 1024, 7 * MB].map(byteSize), ['300 B', '12 kB', '7.0 MB']);
  });
});
