/**
 * The external data files an ONNX graph names (TensorProto.external_data "location", "offset",
 * "length"), read by walking the graph's initializers through a positional reader: a graph whose
 * weights are inline is never read whole, since its raw_data fields are skipped by length. What a
 * loader and the downloader need to fetch, check and hand to the runtime.
 */

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export interface ExternalDataRef {
  /** The file, as the graph names it: relative to the graph's folder. */
  location: string;
  /** Bytes the file must have at least: the largest offset + length of a tensor in it. */
  minBytes: number;
  /** Tensors stored in it. */
  tensors: number;
}

export class ExternalDataError extends Error {
  override readonly name = 'ExternalDataError';
}

// Field numbers from onnx/onnx.proto: ModelProto.graph 7; GraphProto.initializer 5;
// TensorProto name 8, external_data 13, data_location 14; StringStringEntryProto key 1, value 2.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const EXTERNAL = 1;
/** Small fields (names, entries) are read; anything longer is skipped unread. */
const SMALL_FIELD = 64 * 1024;

/** A forward cursor over a file, buffered in windows so a skip costs no read. */
class Cursor {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;
  constructor(
    private readonly read: ReadAt,
    public pos: number,
  ) {}

  private byte(): number {
    const i = this.pos - this.windowStart;
    if (i < 0 || i >= this.window.length) {
      this.window = this.read(this.pos, SMALL_FIELD);
      this.windowStart = this.pos;
      if (this.window.length === 0) throw new ExternalDataError(`the graph ends inside a field at byte ${this.pos}`);
    }
    const b = this.window[this.pos - this.windowStart]!;
    this.pos++;
    return b;
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new ExternalDataError(`a varint longer than 10 bytes at byte ${this.pos}`);
  }

  bytes(length: number): Uint8Array {
    const out = this.read(this.pos, length);
    if (out.length < length) throw new ExternalDataError(`the graph ends inside a field at byte ${this.pos}`);
    this.pos += length;
    return out;
  }

  /**
   * The fields of the message that ends at `end`: `on` gets each field with its varint value, or
   * its payload's length (the cursor then at the payload, which `on` may read or leave unread).
   */
  fields(end: number, on: (field: number, wireType: number, valueOrLength: number) => void): void {
    while (this.pos < end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wireType = key % 8;
      if (wireType === 0) {
        const value = this.varint();
        on(field, wireType, value);
      } else if (wireType === 1) this.pos += 8;
      else if (wireType === 5) this.pos += 4;
      else if (wireType === 2) {
        const length = this.varint();
        const payloadEnd = this.pos + length;
        if (payloadEnd > end) throw new ExternalDataError(`a field of ${length} bytes runs past the end of its message at byte ${this.pos}`);
        on(field, wireType, length);
        this.pos = payloadEnd;
      } else throw new ExternalDataError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
    if (this.pos !== end) throw new ExternalDataError(`a message overruns its end at byte ${end}`);
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * Every external data file the graph's initializers name, with the bytes each must have.
 * `size` is the graph file's size. Throws ExternalDataError on a graph that is not protobuf.
 */
export function externalDataRefs(read: ReadAt, size: number): ExternalDataRef[] {
  const refs = new Map<string, ExternalDataRef>();
  const cursor = new Cursor(read, 0);
  const tensor = (end: number) => {
    let name = '';
    let external = false;
    const entries = new Map<string, string>();
    cursor.fields(end, (field, wireType, n) => {
      if (wireType === 0 && field === TENSOR_DATA_LOCATION) external = n === EXTERNAL;
      // raw_data and the typed fields are skipped unread.
      if (wireType !== 2 || n > SMALL_FIELD) return;
      if (field === TENSOR_NAME) name = text(cursor.bytes(n));
      else if (field === TENSOR_EXTERNAL_DATA) {
        let key = '';
        let value = '';
        cursor.fields(cursor.pos + n, (f, w, l) => {
          if (w === 2 && f === 1) key = text(cursor.bytes(l));
          else if (w === 2 && f === 2) value = text(cursor.bytes(l));
        });
        entries.set(key, value);
      }
    });
    if (!external) return;
    const location = entries.get('location');
    if (!location) throw new ExternalDataError(`the tensor "${name}" is stored externally but names no file`);
    const offset = Number(entries.get('offset') ?? 0);
    const length = Number(entries.get('length') ?? 0);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new ExternalDataError(`the tensor "${name}" gives an invalid offset or length in ${location}`);
    }
    const ref = refs.get(location) ?? { location, minBytes: 0, tensors: 0 };
    ref.minBytes = Math.max(ref.minBytes, offset + length);
    ref.tensors++;
    refs.set(location, ref);
  };
  cursor.fields(size, (field, wireType, length) => {
    if (field !== MODEL_GRAPH || wireType !== 2) return;
    cursor.fields(cursor.pos + length, (f, w, l) => {
      if (f === GRAPH_INITIALIZER && w === 2) tensor(cursor.pos + l);
    });
  });
  return [...refs.values()];
}

/**
 * A location as a path inside the graph's folder, or an error: a hostile graph must not name
 * "../x", an absolute path, a drive or backslashes (onnxruntime refuses them too).
 */
export function checkExternalLocation(location: string, graph: string): string {
  const parts = location.split('/');
  if (location === '' || location.includes('\\') || location.includes('\0') || location.startsWith('/') || /^[A-Za-z]:/.test(location) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new ExternalDataError(`${graph} names external data "${location}", which is not a file beside it; refusing it.`);
  }
  return location;
}

/** The graph's folder joined with a location: repository paths use "/". */
export function externalDataPath(graphPath: string, location: string): string {
  const slash = graphPath.lastIndexOf('/');
  return slash < 0 ? location : `${graphPath.slice(0, slash + 1)}${location}`;
}
