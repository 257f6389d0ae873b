/** A tiny protobuf writer for hand-built ONNX fixtures: just the encodings the reader must handle. */

export function varint(value: number | bigint): number[] {
  // Negative int64 values are 10-byte two's complement.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

export type Part = number[];

const utf8 = new TextEncoder();

export const uint = (field: number, value: number | bigint): Part => [...varint(field * 8), ...varint(value)];
export const bytes = (field: number, payload: ArrayLike<number>): Part => [...varint(field * 8 + 2), ...varint(payload.length), ...Array.from(payload)];
export const str = (field: number, s: string): Part => bytes(field, utf8.encode(s));
export const message = (field: number, ...parts: Part[]): Part => bytes(field, parts.flat());
export const packedVarints = (field: number, values: number[]): Part => bytes(field, values.flatMap((v) => varint(v)));
export const packedFloats = (field: number, values: number[]): Part => bytes(field, new Uint8Array(Float32Array.from(values).buffer));
export const fixed32 = (field: number): Part => [...varint(field * 8 + 5), 1, 2, 3, 4];
export const fixed64 = (field: number): Part => [...varint(field * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8];

export function file(...parts: Part[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}
