/**
 * TensorProto → HostTensor: raw little-endian bytes, the typed repeated fields, or external
 * data. The declared shape must match the bytes actually present (and a tensor may not claim
 * more than MAX_ELEMENTS), so a hostile file cannot make Ortholens allocate what it does not
 * hold. Floating-point types become float32; integer types become exact JavaScript numbers.
 */
import { OnnxImportError } from './errors'
import { readExternal, type ExternalLocation } from './externalData'
import { type Dim, type HostTensor, sizeOf } from './hostTensor'
import { has, toInt, type TensorMessage } from './proto'

/** TensorProto.DataType values Ortholens reads, with their byte widths in raw_data. */
const TYPES: Record<number, { name: string; bytes: number; kind: 'float' | 'int' | 'bool' }> = {
  1: { name: 'FLOAT', bytes: 4, kind: 'float' },
  2: { name: 'UINT8', bytes: 1, kind: 'int' },
  3: { name: 'INT8', bytes: 1, kind: 'int' },
  4: { name: 'UINT16', bytes: 2, kind: 'int' },
  5: { name: 'INT16', bytes: 2, kind: 'int' },
  6: { name: 'INT32', bytes: 4, kind: 'int' },
  7: { name: 'INT64', bytes: 8, kind: 'int' },
  9: { name: 'BOOL', bytes: 1, kind: 'bool' },
  10: { name: 'FLOAT16', bytes: 2, kind: 'float' },
  11: { name: 'DOUBLE', bytes: 8, kind: 'float' },
  12: { name: 'UINT32', bytes: 4, kind: 'int' },
  13: { name: 'UINT64', bytes: 8, kind: 'int' },
  16: { name: 'BFLOAT16', bytes: 2, kind: 'float' }
}

/** Names of data types, for messages about types Ortholens does not read (STRING, COMPLEX…). */
const OTHER_TYPES: Record<number, string> = { 8: 'STRING', 14: 'COMPLEX64', 15: 'COMPLEX128' }

/** 2^31 elements: far above any classifier's layer, far below what would exhaust memory checks. */
export const MAX_ELEMENTS = 2 ** 31 - 1
/** Integer tensors are shape constants and indices; anything larger is not a classifier's. */
export const MAX_INT_ELEMENTS = 1 << 20

export interface TensorSource {
  /** The model's folder, for external data. */
  modelDir: string
  /** Names the model file in messages. */
  file: string
}

export function dataTypeName(dataType: number): string {
  return TYPES[dataType]?.name ?? OTHER_TYPES[dataType] ?? `type ${dataType}`
}

/** Whether a TensorProto.DataType is a floating-point type. */
export function isFloatType(dataType: number): boolean {
  return TYPES[dataType]?.kind === 'float'
}

/** Decodes one TensorProto; `where` names it ("initializer 'fc.weight' of model.onnx"). */
export function decodeTensor(t: TensorMessage, where: string, source: TensorSource): HostTensor {
  const type = TYPES[t.data_type]
  if (!type) {
    throw new OnnxImportError(
      `${where} has data type ${dataTypeName(t.data_type)}, which Ortholens does not read`
    )
  }
  if (has(t, 'segment'))
    throw new OnnxImportError(`${where} is segmented, which Ortholens does not read`)
  const dims = (t.dims ?? []).map(toInt)
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new OnnxImportError(`${where} declares an invalid shape [${dims.join(', ')}]`)
  }
  const count = sizeOf(dims)
  if (count > MAX_ELEMENTS) {
    throw new OnnxImportError(
      `${where} declares ${count} elements [${dims.join(', ')}], more than Ortholens can hold`
    )
  }
  if (type.kind !== 'float' && count > MAX_INT_ELEMENTS) {
    throw new OnnxImportError(
      `${where} is an integer tensor of ${count} elements; Ortholens folds only small integer constants`
    )
  }
  const bytes = rawBytes(t, count * type.bytes, where, source)
  if (bytes) return fromRaw(bytes, t.data_type, dims, where)
  return fromTyped(t, dims, count, where)
}

/** The raw bytes (raw_data or external), checked against the declared size; undefined if typed. */
function rawBytes(
  t: TensorMessage,
  expected: number,
  where: string,
  source: TensorSource
): Uint8Array | undefined {
  if (t.data_location === 1) {
    const entries = new Map((t.external_data ?? []).map((e) => [e.key, e.value]))
    const location = entries.get('location')
    if (location === undefined)
      throw new OnnxImportError(`${where}: external data without a location`)
    const parse = (key: string): number | undefined => {
      const v = entries.get(key)
      if (v === undefined) return undefined
      if (!/^\d+$/.test(v))
        throw new OnnxImportError(`${where}: external data ${key} "${v}" is not a number`)
      return Number(v)
    }
    const loc: ExternalLocation = {
      location,
      offset: parse('offset') ?? 0,
      length: parse('length')
    }
    return readExternal(source.modelDir, loc, expected, where)
  }
  if (has(t, 'raw_data')) {
    if (t.raw_data.length !== expected) {
      throw new OnnxImportError(
        `${where} declares ${expected} bytes of data but holds ${t.raw_data.length} (corrupt or truncated)`
      )
    }
    return t.raw_data
  }
  return undefined
}

function fromRaw(bytes: Uint8Array, dataType: number, dims: number[], where: string): HostTensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = sizeOf(dims)
  const float = (read: (i: number) => number): HostTensor => {
    const data = new Float32Array(count)
    for (let i = 0; i < count; i++) data[i] = read(i)
    return { dtype: 'float32', dims, data }
  }
  const int = (read: (i: number) => number, dtype: 'int64' | 'bool' = 'int64'): HostTensor => {
    const data: Dim[] = new Array<Dim>(count)
    for (let i = 0; i < count; i++) data[i] = read(i)
    return { dtype, dims, data }
  }
  switch (dataType) {
    case 1:
      if (bytes.byteOffset % 4 === 0)
        return {
          dtype: 'float32',
          dims,
          data: new Float32Array(bytes.buffer, bytes.byteOffset, count).slice()
        }
      return float((i) => view.getFloat32(i * 4, true))
    case 10:
      return float((i) => halfToFloat(view.getUint16(i * 2, true)))
    case 16:
      return float((i) => bfloatToFloat(view.getUint16(i * 2, true)))
    case 11:
      return float((i) => view.getFloat64(i * 8, true))
    case 2:
      return int((i) => view.getUint8(i))
    case 3:
      return int((i) => view.getInt8(i))
    case 4:
      return int((i) => view.getUint16(i * 2, true))
    case 5:
      return int((i) => view.getInt16(i * 2, true))
    case 6:
      return int((i) => view.getInt32(i * 4, true))
    case 12:
      return int((i) => view.getUint32(i * 4, true))
    case 7:
      return int((i) => saturate(view.getBigInt64(i * 8, true)))
    case 13:
      return int((i) => saturate(view.getBigUint64(i * 8, true)))
    case 9:
      return int((i) => (view.getUint8(i) !== 0 ? 1 : 0), 'bool')
    default:
      throw new OnnxImportError(`${where}: data type ${dataTypeName(dataType)} is not read`)
  }
}

function fromTyped(t: TensorMessage, dims: number[], count: number, where: string): HostTensor {
  const field = ((): { name: string; values: ArrayLike<unknown> } => {
    switch (t.data_type) {
      case 1:
        return { name: 'float_data', values: t.float_data ?? [] }
      case 11:
        return { name: 'double_data', values: t.double_data ?? [] }
      case 7:
        return { name: 'int64_data', values: t.int64_data ?? [] }
      case 12:
      case 13:
        return { name: 'uint64_data', values: t.uint64_data ?? [] }
      default:
        // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16 and BFLOAT16 (as bit patterns).
        return { name: 'int32_data', values: t.int32_data ?? [] }
    }
  })()
  if (field.values.length !== count) {
    throw new OnnxImportError(
      `${where} declares ${count} elements [${dims.join(', ')}] but its ${field.name} holds ${field.values.length}`
    )
  }
  const values = field.values as ArrayLike<Parameters<typeof toInt>[0]>
  switch (t.data_type) {
    case 1:
    case 11:
      return { dtype: 'float32', dims, data: Float32Array.from(values as ArrayLike<number>) }
    case 10:
      return {
        dtype: 'float32',
        dims,
        data: Float32Array.from(values as ArrayLike<number>, (v) => halfToFloat(v & 0xffff))
      }
    case 16:
      return {
        dtype: 'float32',
        dims,
        data: Float32Array.from(values as ArrayLike<number>, (v) => bfloatToFloat(v & 0xffff))
      }
    case 9:
      return {
        dtype: 'bool',
        dims,
        data: Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0))
      }
    default:
      return { dtype: 'int64', dims, data: Array.from(values, (v) => toInt(v)) }
  }
}

function saturate(v: bigint): number {
  const max = BigInt(Number.MAX_SAFE_INTEGER)
  if (v > max) return Number.MAX_SAFE_INTEGER
  if (v < -max) return -Number.MAX_SAFE_INTEGER
  return Number(v)
}

/** IEEE 754 half precision bits → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024)
  if (exponent === 31) return fraction ? NaN : sign * Infinity
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024)
}

/** bfloat16 bits are the top half of a float32. */
function bfloatToFloat(b: number): number {
  const view = new DataView(new ArrayBuffer(4))
  view.setUint32(0, b << 16)
  return view.getFloat32(0)
}
