/**
 * ONNX protobuf messages, decoded and encoded with protobufjs from the official schema's JSON
 * descriptor (schema.ts). The interfaces name only the fields Ortholens reads or writes;
 * protobufjs keeps the others (and skips fields a newer schema added) without complaint.
 * 64-bit integers arrive as `Long` objects (protobufjs uses the `long` package): toInt
 * converts them, saturating beyond 2^53 — ONNX writes INT64_MAX as "to the end" in Slice.
 */
import protobuf from 'protobufjs'
import { ONNX_SCHEMA } from './schema'
import { OnnxImportError } from './errors'

type Int64 = number | { low: number; high: number; unsigned: boolean; toNumber(): number }

export interface TensorShapeDimMessage {
  dim_value?: Int64
  dim_param?: string
}

export interface ValueInfoMessage {
  name: string
  type?: { tensor_type?: { elem_type?: number; shape?: { dim: TensorShapeDimMessage[] } } }
}

export interface StringEntryMessage {
  key: string
  value: string
}

export interface TensorMessage {
  dims: Int64[]
  data_type: number
  name: string
  raw_data: Uint8Array
  float_data: number[]
  int32_data: number[]
  int64_data: Int64[]
  double_data: number[]
  uint64_data: Int64[]
  string_data: Uint8Array[]
  external_data: StringEntryMessage[]
  data_location: number
  segment?: unknown
}

export interface AttributeMessage {
  name: string
  type: number
  f: number
  i: Int64
  s: Uint8Array
  t?: TensorMessage
  g?: unknown
  floats: number[]
  ints: Int64[]
  strings: Uint8Array[]
  tensors: TensorMessage[]
  graphs: unknown[]
  ref_attr_name?: string
}

export interface NodeMessage {
  input: string[]
  output: string[]
  name: string
  op_type: string
  domain: string
  attribute: AttributeMessage[]
}

export interface GraphMessage {
  node: NodeMessage[]
  name: string
  initializer: TensorMessage[]
  sparse_initializer: unknown[]
  input: ValueInfoMessage[]
  output: ValueInfoMessage[]
  value_info: ValueInfoMessage[]
}

export interface OpsetMessage {
  domain: string
  version: Int64
}

export interface ModelMessage {
  ir_version: Int64
  opset_import: OpsetMessage[]
  producer_name: string
  producer_version: string
  domain: string
  model_version: Int64
  doc_string: string
  graph?: GraphMessage
  metadata_props: StringEntryMessage[]
  functions: unknown[]
}

/** Attribute types of AttributeProto.AttributeType. */
export const ATTRIBUTE_TYPE = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14
} as const

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace)
const modelType = root.lookupType('onnx.ModelProto')

/** A JavaScript number for an int64 field, saturated to ±(2^53 - 1). */
export function toInt(v: Int64 | undefined): number {
  if (v === undefined || v === null) return 0
  const n = typeof v === 'number' ? v : v.toNumber()
  if (n > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER
  if (n < -Number.MAX_SAFE_INTEGER) return -Number.MAX_SAFE_INTEGER
  return n
}

/** Whether a message carries `field` (proto2 presence: protobufjs sets only what was read). */
export function has(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field)
}

/**
 * Decodes a ModelProto. protobufjs checks every length against the buffer, so a truncated or
 * corrupt file throws here rather than allocating what it claims; the message names `where`.
 */
export function decodeModel(bytes: Uint8Array, where: string): ModelMessage {
  try {
    return modelType.decode(bytes) as unknown as ModelMessage
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err)
    throw new OnnxImportError(
      `${where} is not a readable ONNX model (truncated or corrupt protobuf)`,
      { cause: err, detail: `protobuf: ${detail}` }
    )
  }
}

/** Encodes a ModelProto from a plain object (the fields above, numbers for int64). */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const problem = modelType.verify(model)
  if (problem) throw new OnnxImportError(`Cannot encode the ONNX model: ${problem}`)
  return modelType.encode(modelType.fromObject(model)).finish()
}
