/**
 * A minimal protocol-buffers wire-format reader: enough to walk an ONNX file's messages without
 * a generated schema or a dependency. It never copies payloads: a length-delimited field is a
 * view into the caller's bytes, so skipping a 7 MB weight costs nothing.
 *
 * Wire types (protobuf encoding spec): 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 * Groups (3, 4) are deprecated and never appear in ONNX files.
 */

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** One field of a message, as read off the wire. */
export interface ProtoField {
  field: number;
  wireType: number;
  /** Varint fields: the value (int64 beyond ±2^53 loses precision; ONNX's sizes never get there). */
  varint: number;
  /** Length-delimited fields: a view of the payload (no copy). Empty for other wire types. */
  bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const TWO_POW_32 = 4294967296;

export class ProtoReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a double: exact up to ±2^53. int64 negatives (ten bytes, two's complement) come out negative. */
  varint(): number {
    // The low and high 32 bits in two unsigned words, so nothing overflows or rounds on the way.
    let low = 0;
    let high = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) low |= bits << (7 * i);
      else if (i === 4) {
        low |= (bits & 0x0f) << 28;
        high |= bits >>> 4;
      } else high |= bits << (7 * i - 32);
      if ((b & 0x80) === 0) {
        low >>>= 0;
        high >>>= 0;
        if (high & 0x80000000) return -((~high >>> 0) * TWO_POW_32 + (~low >>> 0) + 1);
        return high * TWO_POW_32 + low;
      }
    }
    throw new ProtobufError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** The next field, or undefined at the end of the message. */
  next(): ProtoField | undefined {
    if (this.done) return undefined;
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw new ProtobufError(`field number 0 at byte ${this.pos}`);
    switch (wireType) {
      case WIRE_VARINT:
        return { field, wireType, varint: this.varint(), bytes: EMPTY };
      case WIRE_FIXED64:
        this.skip(8);
        return { field, wireType, varint: 0, bytes: EMPTY };
      case WIRE_LENGTH_DELIMITED: {
        const length = this.varint();
        const start = this.pos;
        this.skip(length);
        return { field, wireType, varint: 0, bytes: this.buf.subarray(start, start + length) };
      }
      case WIRE_FIXED32:
        this.skip(4);
        return { field, wireType, varint: 0, bytes: EMPTY };
      default:
        throw new ProtobufError(`unsupported wire type ${wireType} (field ${field}) at byte ${this.pos}`);
    }
  }

  private skip(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtobufError(`field of ${n} bytes runs past the end of its message (byte ${this.pos} of ${this.end})`);
    }
    this.pos += n;
  }
}

/** Every field of one message, in wire order. */
export function* fields(bytes: Uint8Array): Generator<ProtoField> {
  const reader = new ProtoReader(bytes);
  for (let f = reader.next(); f; f = reader.next()) yield f;
}

/** A repeated varint field: packed (one length-delimited run) or not (one varint per entry). */
export function readVarints(f: ProtoField, into: number[]): void {
  if (f.wireType === WIRE_VARINT) {
    into.push(f.varint);
    return;
  }
  const reader = new ProtoReader(f.bytes);
  while (!reader.done) into.push(reader.varint());
}

const utf8 = new TextDecoder('utf-8');

export function readString(f: ProtoField): string {
  return utf8.decode(f.bytes);
}

/** Packed fixed-width entries (float_data, double_data): how many the field holds. */
export function packedCount(f: ProtoField, width: 4 | 8): number {
  if (f.wireType === WIRE_LENGTH_DELIMITED) return Math.floor(f.bytes.length / width);
  return 1;
}
