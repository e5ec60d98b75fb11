/**
 * Building ONNX ModelProto messages as plain objects (encoded by proto.ts): what the exporter
 * writes, and what tests use to make small graphs and hostile files. Float tensors are stored
 * as little-endian raw_data, as PyTorch writes them.
 */
import { encodeModel } from './proto'

export type Attribute =
  | { name: string; type: 1; f: number }
  | { name: string; type: 2; i: number }
  | { name: string; type: 3; s: Uint8Array }
  | { name: string; type: 4; t: Record<string, unknown> }
  | { name: string; type: 6; floats: number[] }
  | { name: string; type: 7; ints: number[] }

export const attr = {
  int: (name: string, i: number): Attribute => ({ name, type: 2, i }),
  float: (name: string, f: number): Attribute => ({ name, type: 1, f }),
  ints: (name: string, ints: number[]): Attribute => ({ name, type: 7, ints }),
  floats: (name: string, floats: number[]): Attribute => ({ name, type: 6, floats }),
  string: (name: string, s: string): Attribute => ({
    name,
    type: 3,
    s: new TextEncoder().encode(s)
  }),
  tensor: (name: string, t: Record<string, unknown>): Attribute => ({ name, type: 4, t })
}

export interface NodeSpec {
  op: string
  inputs: string[]
  outputs: string[]
  name?: string
  domain?: string
  attributes?: Attribute[]
}

/** Little-endian bytes of float32 values. */
function floatBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4)
  const view = new DataView(out.buffer)
  data.forEach((v, i) => view.setFloat32(i * 4, v, true))
  return out
}

/** A FLOAT TensorProto (raw_data) — or, with `external`, one whose bytes live in another file. */
export function floatTensor(
  name: string,
  dims: number[],
  data: Float32Array,
  external?: { location: string; offset?: number; length?: number }
): Record<string, unknown> {
  if (external) {
    const entries = [{ key: 'location', value: external.location }]
    if (external.offset !== undefined)
      entries.push({ key: 'offset', value: String(external.offset) })
    if (external.length !== undefined)
      entries.push({ key: 'length', value: String(external.length) })
    return { name, dims, data_type: 1, data_location: 1, external_data: entries }
  }
  return { name, dims, data_type: 1, raw_data: floatBytes(data) }
}

/** An INT64 TensorProto (int64_data). */
export function intTensor(name: string, dims: number[], values: number[]): Record<string, unknown> {
  return { name, dims, data_type: 7, int64_data: values }
}

export interface ValueSpec {
  name: string
  /** Numbers, or strings for symbolic dims (dim_param). */
  dims: (number | string)[]
  elemType?: number
}

function valueInfo(v: ValueSpec): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.elemType ?? 1,
        shape: {
          dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }))
        }
      }
    }
  }
}

export interface ModelSpec {
  opset: number
  irVersion?: number
  producer?: string
  nodes: NodeSpec[]
  initializers: Record<string, unknown>[]
  inputs: ValueSpec[]
  outputs: ValueSpec[]
  metadata?: Record<string, string>
  graphName?: string
}

/** The ModelProto as a plain object. */
export function modelProto(spec: ModelSpec): Record<string, unknown> {
  return {
    ir_version: spec.irVersion ?? 8,
    producer_name: spec.producer ?? 'Ortholens',
    opset_import: [{ domain: '', version: spec.opset }],
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.graphName ?? 'graph',
      node: spec.nodes.map((n, i) => ({
        op_type: n.op,
        name: n.name ?? `${n.op}_${i}`,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: n.attributes ?? []
      })),
      initializer: spec.initializers,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo)
    }
  }
}

/** Encoded bytes of a model. */
export function encodeOnnx(spec: ModelSpec): Uint8Array {
  return encodeModel(modelProto(spec))
}
