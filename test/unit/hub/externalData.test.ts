/**
 * Which external data files an ONNX graph names, read through positional reads: the anatomy
 * tests' hand-built graph (one tensor in model.onnx_data), graphs with several files and hostile
 * names, and a graph whose inline weights must be skipped, not read.
 */
import * as assert from 'node:assert/strict';
import { checkExternalLocation, ExternalDataError, externalDataPath, externalDataRefs } from '../../../src/core/model/externalData';
import { tinyOnnx } from '../anatomy/onnxFixture';
import { bytes, file, message, packedVarints, str, uint, varint } from '../anatomy/protoWriter';

/** A reader over `data` that records every byte range it was asked for. */
function reader(data: Uint8Array) {
  const reads: Array<[number, number]> = [];
  const read = (offset: number, length: number) => {
    reads.push([offset, length]);
    return data.subarray(offset, offset + length);
  };
  return { read, reads, bytesRead: () => reads.reduce((n, [offset, length]) => n + Math.max(0, Math.min(length, data.length - offset)), 0) };
}

/** An external initializer: TensorProto with external_data entries (13) and data_location EXTERNAL (14). */
const external = (name: string, location: string, offset: number, length: number) =>
  message(5, packedVarints(1, [length / 4]), uint(2, 1), str(8, name), message(13, str(1, 'location'), str(2, location)), message(13, str(1, 'offset'), str(2, String(offset))), message(13, str(1, 'length'), str(2, String(length))), uint(14, 1));
const graph = (...initializers: number[][]) => file(uint(1, 8), message(7, str(2, 'g'), ...initializers));

describe('external data an ONNX graph names', () => {
  it('finds the anatomy fixture\'s one external tensor (model.onnx_data, 96 bytes)', () => {
    const data = tinyOnnx();
    assert.deepEqual(externalDataRefs(reader(data).read, data.length), [{ location: 'model.onnx_data', minBytes: 96, tensors: 1 }]);
  });

  it('lists each file once with the bytes it must have: the largest offset + length', () => {
    const data = graph(external('a', 'model.onnx_data', 0, 400), external('b', 'model.onnx_data_1', 0, 80), external('c', 'model.onnx_data', 400, 40), external('d', 'weights.bin', 1024, 8));
    assert.deepEqual(externalDataRefs(reader(data).read, data.length), [
      { location: 'model.onnx_data', minBytes: 440, tensors: 2 },
      { location: 'model.onnx_data_1', minBytes: 80, tensors: 1 },
      { location: 'weights.bin', minBytes: 1032, tensors: 1 },
    ]);
  });

  it('skips inline weights unread: a graph of 4 MB raw_data is read in a few small windows', () => {
    // Built by hand around the weights: the array-based writer would spread 4 M numbers.
    const weights = 4 * 1024 * 1024;
    const head = [...packedVarints(1, [1024, 1024]), ...uint(2, 1), ...str(8, 'w'), ...varint(9 * 8 + 2), ...varint(weights)];
    const initializer = [...varint(5 * 8 + 2), ...varint(head.length + weights)];
    const tail = [...str(2, 'g'), ...external('x', 'model.onnx_data', 0, 4)];
    const graphLength = initializer.length + head.length + weights + tail.length;
    const prefix = [...uint(1, 8), ...varint(7 * 8 + 2), ...varint(graphLength), ...initializer, ...head];
    const data = new Uint8Array(prefix.length + weights + tail.length);
    data.set(prefix);
    data.set(tail, prefix.length + weights);
    const r = reader(data);
    assert.deepEqual(externalDataRefs(r.read, data.length), [{ location: 'model.onnx_data', minBytes: 4, tensors: 1 }]);
    assert.ok(r.bytesRead() < 300 * 1024, `read ${r.bytesRead()} of ${data.length} bytes`);
  });

  it('a graph with inline weights only names no file', () => {
    const data = graph(message(5, packedVarints(1, [2]), uint(2, 1), str(8, 'w'), bytes(9, new Uint8Array(8))));
    assert.deepEqual(externalDataRefs(reader(data).read, data.length), []);
  });

  it('a truncated graph, or an external tensor without a file, is an ExternalDataError', () => {
    const data = graph(external('a', 'model.onnx_data', 0, 400));
    assert.throws(() => externalDataRefs(reader(data.subarray(0, data.length - 10)).read, data.length - 10), ExternalDataError);
    const noFile = graph(message(5, str(8, 'lost'), message(13, str(1, 'offset'), str(2, '0')), uint(14, 1)));
    assert.throws(() => externalDataRefs(reader(noFile).read, noFile.length), /the tensor "lost" is stored externally but names no file/);
    assert.equal(externalDataRefs(reader(data).read, data.length).length, 1, 'the whole graph reads');
  });

  it('refuses locations outside the graph\'s folder, and joins the rest to the graph\'s repository path', () => {
    for (const bad of ['../secret', '/etc/passwd', 'a/../../b', 'C:\\x', 'a\\b', '', 'a//b']) {
      assert.throws(() => checkExternalLocation(bad, 'onnx/model.onnx'), ExternalDataError, bad);
    }
    assert.equal(checkExternalLocation('model.onnx_data', 'onnx/model.onnx'), 'model.onnx_data');
    assert.equal(externalDataPath('onnx/model.onnx', 'weights.bin'), 'onnx/weights.bin');
    assert.equal(externalDataPath('model.onnx', 'model.onnx_data'), 'model.onnx_data');
  });
});
