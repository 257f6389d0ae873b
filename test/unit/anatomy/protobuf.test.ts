import { strict as assert } from 'node:assert';
import { fields, packedCount, ProtobufError, ProtoReader, readString, readVarints } from '../../../src/core/anatomy/protobuf';
import { file, fixed32, fixed64, packedFloats, packedVarints, str, uint, varint } from './protoWriter';

describe('protobuf wire reader', () => {
  it('reads varints of one to ten bytes, int64 negatives included', () => {
    for (const n of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]) {
      assert.equal(new ProtoReader(Uint8Array.from(varint(n))).varint(), n, String(n));
    }
    for (const n of [-1, -5, -(2 ** 40) - 3]) assert.equal(new ProtoReader(Uint8Array.from(varint(n))).varint(), n, String(n));
    assert.equal(varint(-1).length, 10);
  });

  it('walks fields of every wire type, skipping fixed-width ones', () => {
    const bytes = file(uint(1, 150), fixed64(2), str(3, 'héllo'), fixed32(4), uint(5, 7));
    const seen = [...fields(bytes)].map((f) => [f.field, f.wireType]);
    assert.deepEqual(seen, [[1, 0], [2, 1], [3, 2], [4, 5], [5, 0]]);
    const all = [...fields(bytes)];
    assert.equal(all[0]!.varint, 150);
    assert.equal(readString(all[2]!), 'héllo');
  });

  it('reads repeated varints packed and unpacked, and counts packed floats', () => {
    const out: number[] = [];
    for (const f of fields(file(packedVarints(1, [1400, 192]), uint(1, 7)))) readVarints(f, out);
    assert.deepEqual(out, [1400, 192, 7]);
    const [floats] = [...fields(file(packedFloats(4, [1, 2, 3])))];
    assert.equal(packedCount(floats!, 4), 3);
  });

  it('gives payloads as views, not copies', () => {
    const bytes = file(str(1, 'abc'));
    const [f] = [...fields(bytes)];
    assert.equal(f!.bytes.buffer, bytes.buffer);
  });

  it('refuses truncated input with a ProtobufError', () => {
    const bytes = file(str(1, 'abcdef')).subarray(0, 4);
    assert.throws(() => [...fields(bytes)], ProtobufError);
    assert.throws(() => new ProtoReader(Uint8Array.of(0x80)).varint(), /truncated varint/);
    assert.throws(() => [...fields(Uint8Array.of(0x0b))], /unsupported wire type 3/);
  });
});
