/**
 * Reads what the anatomy view needs from an .onnx file: the graph's initializers (name, dims,
 * dtype, byte size, where the data lives), the nodes that consume them, and the header. Field
 * numbers are onnx/onnx.proto's (ModelProto → GraphProto → TensorProto). Weights are never
 * copied or decoded, only measured.
 */
import { fields, packedCount, ProtobufError, readString, readVarints, type ProtoField } from './protobuf';

/** TensorProto.DataType: name and bytes per element (0 for strings; 0.5 for 4-bit types). */
const DATA_TYPES: Record<number, { name: string; bytes: number }> = {
  1: { name: 'float32', bytes: 4 },
  2: { name: 'uint8', bytes: 1 },
  3: { name: 'int8', bytes: 1 },
  4: { name: 'uint16', bytes: 2 },
  5: { name: 'int16', bytes: 2 },
  6: { name: 'int32', bytes: 4 },
  7: { name: 'int64', bytes: 8 },
  8: { name: 'string', bytes: 0 },
  9: { name: 'bool', bytes: 1 },
  10: { name: 'float16', bytes: 2 },
  11: { name: 'float64', bytes: 8 },
  12: { name: 'uint32', bytes: 4 },
  13: { name: 'uint64', bytes: 8 },
  14: { name: 'complex64', bytes: 8 },
  15: { name: 'complex128', bytes: 16 },
  16: { name: 'bfloat16', bytes: 2 },
  17: { name: 'float8e4m3fn', bytes: 1 },
  18: { name: 'float8e4m3fnuz', bytes: 1 },
  19: { name: 'float8e5m2', bytes: 1 },
  20: { name: 'float8e5m2fnuz', bytes: 1 },
  21: { name: 'uint4', bytes: 0.5 },
  22: { name: 'int4', bytes: 0.5 },
  23: { name: 'float4e2m1', bytes: 0.5 },
};

export function dataTypeName(dataType: number): string {
  return DATA_TYPES[dataType]?.name ?? `type ${dataType}`;
}

/** Floating-point element types: the ones trained weights are stored in. */
export function isFloatType(dataType: number): boolean {
  return [1, 10, 11, 16, 17, 18, 19, 20, 23].includes(dataType);
}

export interface OnnxTensorInfo {
  name: string;
  dims: number[];
  /** TensorProto.DataType code. */
  dataType: number;
  /** e.g. "float32". */
  dtype: string;
  /** Product of dims (1 for a scalar). */
  elements: number;
  /** Bytes the values take: raw_data's length, the typed fields' size, or the external file's span. */
  bytes: number;
  /** Where the values are: raw_data, typed repeated fields (float_data…), or an external file. */
  storage: 'raw' | 'typed' | 'external' | 'empty';
  /** External data: the file named by the "location" key (relative to the .onnx file). */
  externalLocation?: string;
}

export interface OnnxNodeInfo {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxModelInfo {
  irVersion: number;
  producer: string;
  /** The default ("" or "ai.onnx") domain's opset version, when declared. */
  opset?: number;
  graphName: string;
  initializers: OnnxTensorInfo[];
  /** Tensors held by Constant nodes (named by the node's output): constants, not parameters. */
  constants: OnnxTensorInfo[];
  nodes: OnnxNodeInfo[];
  inputs: string[];
  outputs: string[];
  /** The file's own size (external data files not included). */
  fileBytes: number;
}

export class OnnxFormatError extends Error {
  override readonly name = 'OnnxFormatError';
}

// ModelProto
const MODEL_IR_VERSION = 1;
const MODEL_PRODUCER_NAME = 2;
const MODEL_PRODUCER_VERSION = 3;
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
// OperatorSetIdProto
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
// GraphProto
const GRAPH_NODE = 1;
const GRAPH_NAME = 2;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
// NodeProto
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
// AttributeProto
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_TENSOR = 5;
// ValueInfoProto
const VALUE_INFO_NAME = 1;
// TensorProto
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_INT32_DATA = 5;
const TENSOR_STRING_DATA = 6;
const TENSOR_INT64_DATA = 7;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_DOUBLE_DATA = 10;
const TENSOR_UINT64_DATA = 11;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
// StringStringEntryProto
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const DATA_LOCATION_EXTERNAL = 1;

/** Reads a TensorProto's description (not its values). */
export function readTensorInfo(bytes: Uint8Array, fallbackName = ''): OnnxTensorInfo {
  let name = fallbackName;
  const dims: number[] = [];
  let dataType = 0;
  let rawBytes = -1;
  let typedCount = 0;
  let typedStrings = 0;
  let external = false;
  const externalEntries = new Map<string, string>();
  for (const f of fields(bytes)) {
    switch (f.field) {
      case TENSOR_DIMS:
        readVarints(f, dims);
        break;
      case TENSOR_DATA_TYPE:
        dataType = f.varint;
        break;
      case TENSOR_NAME:
        name = readString(f);
        break;
      case TENSOR_RAW_DATA:
        rawBytes = f.bytes.length;
        break;
      case TENSOR_FLOAT_DATA:
        typedCount += packedCount(f, 4);
        break;
      case TENSOR_DOUBLE_DATA:
        typedCount += packedCount(f, 8);
        break;
      case TENSOR_INT32_DATA:
      case TENSOR_INT64_DATA:
      case TENSOR_UINT64_DATA: {
        const values: number[] = [];
        readVarints(f, values);
        typedCount += values.length;
        break;
      }
      case TENSOR_STRING_DATA:
        typedStrings += f.bytes.length;
        typedCount++;
        break;
      case TENSOR_EXTERNAL_DATA: {
        let key = '';
        let value = '';
        for (const e of fields(f.bytes)) {
          if (e.field === ENTRY_KEY) key = readString(e);
          else if (e.field === ENTRY_VALUE) value = readString(e);
        }
        externalEntries.set(key, value);
        break;
      }
      case TENSOR_DATA_LOCATION:
        external = f.varint === DATA_LOCATION_EXTERNAL;
        break;
    }
  }
  const elements = dims.reduce((n, d) => n * d, 1);
  const width = DATA_TYPES[dataType]?.bytes ?? 0;
  const info: OnnxTensorInfo = { name, dims, dataType, dtype: dataTypeName(dataType), elements, bytes: 0, storage: 'empty' };
  if (external) {
    info.storage = 'external';
    info.externalLocation = externalEntries.get('location');
    const length = Number(externalEntries.get('length'));
    info.bytes = Number.isFinite(length) && length > 0 ? length : Math.ceil(elements * width);
  } else if (rawBytes >= 0) {
    info.storage = 'raw';
    info.bytes = rawBytes;
  } else if (typedCount > 0) {
    info.storage = 'typed';
    // Typed fields widen small types (float16 and int8 sit in int32_data); count what the values occupy.
    info.bytes = dataType === 8 ? typedStrings : Math.ceil(typedCount * width);
  }
  return info;
}

function readNode(bytes: Uint8Array): { node: OnnxNodeInfo; tensors: Array<{ attribute: string; bytes: Uint8Array }> } {
  const node: OnnxNodeInfo = { name: '', opType: '', domain: '', inputs: [], outputs: [] };
  const tensors: Array<{ attribute: string; bytes: Uint8Array }> = [];
  for (const f of fields(bytes)) {
    switch (f.field) {
      case NODE_INPUT:
        node.inputs.push(readString(f));
        break;
      case NODE_OUTPUT:
        node.outputs.push(readString(f));
        break;
      case NODE_NAME:
        node.name = readString(f);
        break;
      case NODE_OP_TYPE:
        node.opType = readString(f);
        break;
      case NODE_DOMAIN:
        node.domain = readString(f);
        break;
      case NODE_ATTRIBUTE: {
        let attribute = '';
        let tensor: Uint8Array | undefined;
        for (const a of fields(f.bytes)) {
          if (a.field === ATTRIBUTE_NAME) attribute = readString(a);
          else if (a.field === ATTRIBUTE_TENSOR) tensor = a.bytes;
        }
        if (tensor) tensors.push({ attribute, bytes: tensor });
        break;
      }
    }
  }
  return { node, tensors };
}

function valueInfoName(f: ProtoField): string {
  for (const v of fields(f.bytes)) if (v.field === VALUE_INFO_NAME) return readString(v);
  return '';
}

/** Parses the header and graph of an .onnx file. Throws OnnxFormatError for bytes that are not one. */
export function readOnnxModel(bytes: Uint8Array): OnnxModelInfo {
  const model: OnnxModelInfo = {
    irVersion: 0,
    producer: '',
    graphName: '',
    initializers: [],
    constants: [],
    nodes: [],
    inputs: [],
    outputs: [],
    fileBytes: bytes.length,
  };
  let producerName = '';
  let producerVersion = '';
  let graph: Uint8Array | undefined;
  try {
    for (const f of fields(bytes)) {
      switch (f.field) {
        case MODEL_IR_VERSION:
          model.irVersion = f.varint;
          break;
        case MODEL_PRODUCER_NAME:
          producerName = readString(f);
          break;
        case MODEL_PRODUCER_VERSION:
          producerVersion = readString(f);
          break;
        case MODEL_OPSET_IMPORT: {
          let domain = '';
          let version = 0;
          for (const o of fields(f.bytes)) {
            if (o.field === OPSET_DOMAIN) domain = readString(o);
            else if (o.field === OPSET_VERSION) version = o.varint;
          }
          if (domain === '' || domain === 'ai.onnx') model.opset = version;
          break;
        }
        case MODEL_GRAPH:
          graph = f.bytes;
          break;
      }
    }
    if (!graph) throw new OnnxFormatError('The file has no graph: it is not an ONNX model (or it is truncated).');
    for (const f of fields(graph)) {
      switch (f.field) {
        case GRAPH_NODE: {
          const { node, tensors } = readNode(f.bytes);
          model.nodes.push(node);
          if (node.opType === 'Constant') {
            for (const t of tensors) model.constants.push(readTensorInfo(t.bytes, node.outputs[0] ?? node.name));
          }
          break;
        }
        case GRAPH_NAME:
          model.graphName = readString(f);
          break;
        case GRAPH_INITIALIZER:
          model.initializers.push(readTensorInfo(f.bytes));
          break;
        case GRAPH_INPUT:
          model.inputs.push(valueInfoName(f));
          break;
        case GRAPH_OUTPUT:
          model.outputs.push(valueInfoName(f));
          break;
      }
    }
  } catch (e) {
    if (e instanceof ProtobufError) throw new OnnxFormatError(`Not a readable ONNX file: ${e.message}.`);
    throw e;
  }
  model.producer = [producerName, producerVersion].filter(Boolean).join(' ');
  return model;
}
