/**
 * An ONNX file → OnnxGraphDef + float weights, with every check that needs only the file:
 * structure, IR and opset versions, one 4-D float image input, tensor sizes against the bytes
 * present, finite weights, a graph whose every input is defined. Operators are checked later,
 * when the graph is built (plan.ts), so that unknown ones are named with their node.
 */
import { readFileSync, statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { SerializedWeights } from '../network'
import { describeFileError } from '../../io/errors'
import { OnnxImportError } from './errors'
import type { AttributeValue, OnnxGraphDef, OnnxNodeDef } from './graph'
import { type HostTensor, sizeOf, toJson } from './hostTensor'
import {
  ATTRIBUTE_TYPE,
  decodeModel,
  has,
  toInt,
  type AttributeMessage,
  type ModelMessage,
  type NodeMessage,
  type ValueInfoMessage
} from './proto'
import { dataTypeName, decodeTensor, type TensorSource } from './tensorData'

export const MIN_OPSET = 9
export const MAX_OPSET = 21
/** Protobuf messages cannot exceed 2 GiB; larger files keep their weights as external data. */
const MAX_FILE_BYTES = 2 ** 31 - 1
/** Tensor-valued attributes other than Constant's are single values or short lists. */
const MAX_ATTRIBUTE_ELEMENTS = 4096

export interface ParsedOnnx {
  graph: OnnxGraphDef
  weights: SerializedWeights
  producer: string
  irVersion: number
  /** metadata_props of the model (e.g. ortholens.preprocessing of an Ortholens export). */
  metadata: Record<string, string>
  warnings: string[]
}

/** Reads and parses `path`; every error is an OnnxImportError naming the file. */
export function parseOnnxFile(path: string): ParsedOnnx {
  const file = basename(path)
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new OnnxImportError(`${path} is not a file`)
    size = st.size
  } catch (err) {
    if (err instanceof OnnxImportError) throw err
    const d = describeFileError(err)
    throw new OnnxImportError(`${path} cannot be read: ${d.reason}`, {
      cause: err,
      detail: d.detail
    })
  }
  if (size === 0) throw new OnnxImportError(`${file} is empty, not an ONNX model`)
  if (size > MAX_FILE_BYTES) {
    throw new OnnxImportError(
      `${file} is ${size} bytes; an ONNX protobuf cannot exceed 2 GiB (use external data)`
    )
  }
  return parseOnnxBytes(readFileSync(path), { modelDir: dirname(path), file })
}

export function parseOnnxBytes(bytes: Uint8Array, source: TensorSource): ParsedOnnx {
  const { file } = source
  const model = decodeModel(bytes, file)
  const graph = checkStructure(model, file)
  const opset = defaultOpset(model, file)
  const warnings: string[] = []

  const floats: { name: string; tensor: HostTensor & { dtype: 'float32' } }[] = []
  const constants: OnnxGraphDef['constants'] = {}
  const defined = new Set<string>()
  const addTensor = (name: string, tensor: HostTensor, where: string): void => {
    if (defined.has(name))
      throw new OnnxImportError(`${file}: the value '${name}' is defined twice`)
    defined.add(name)
    if (tensor.dtype === 'float32') {
      const bad = tensor.data.findIndex((v) => !Number.isFinite(v))
      if (bad >= 0) {
        throw new OnnxImportError(
          `${where} holds a non-finite value (${tensor.data[bad]} at element ${bad})`
        )
      }
      floats.push({ name, tensor })
    } else {
      constants[name] = toJson(tensor)
    }
  }
  if ((graph.sparse_initializer ?? []).length > 0) {
    throw new OnnxImportError(`${file} has sparse initializers, which Ortholens does not read`)
  }
  for (const t of graph.initializer ?? []) {
    const where = `initializer '${t.name}' of ${file}`
    addTensor(t.name, decodeTensor(t, where, source), where)
  }

  const nodes: OnnxNodeDef[] = []
  for (const n of graph.node ?? []) {
    const node = decodeNode(n, opset, source)
    if (node.op === 'Constant' && node.domain === '') {
      const where = `Constant node '${node.name || node.outputs[0]}' of ${file}`
      addTensor(node.outputs[0] ?? '', constantValue(n, where, source), where)
      continue
    }
    nodes.push(node)
  }

  const input = imageInput(graph.input ?? [], defined, file)
  defined.add(input.name)
  const outputs = (graph.output ?? []).map((o) => o.name)
  if (outputs.length === 0) throw new OnnxImportError(`${file} declares no graph output`)
  if (outputs.length > 1)
    warnings.push(
      `The model has ${outputs.length} outputs; Ortholens uses the first, '${outputs[0]}'`
    )

  const data = new Float32Array(floats.reduce((n, f) => n + f.tensor.data.length, 0))
  let offset = 0
  for (const f of floats) {
    data.set(f.tensor.data, offset)
    offset += f.tensor.data.length
  }
  const metadata: Record<string, string> = {}
  for (const p of model.metadata_props ?? []) metadata[p.key] = p.value
  return {
    graph: {
      opset,
      input,
      output: outputs[0]!,
      nodes: topologicalOrder(nodes, defined, outputs[0]!, file),
      constants,
      weights: floats.map((f) => ({ name: f.name, dims: f.tensor.dims }))
    },
    weights: { manifest: floats.map((f) => ({ name: f.name, shape: f.tensor.dims })), data },
    producer: [model.producer_name, model.producer_version].filter(Boolean).join(' '),
    irVersion: toInt(model.ir_version),
    metadata,
    warnings
  }
}

function checkStructure(model: ModelMessage, file: string): NonNullable<ModelMessage['graph']> {
  const ir = toInt(model.ir_version)
  const graph = model.graph
  if (
    !has(model, 'ir_version') ||
    ir < 1 ||
    ir > 100 ||
    !graph ||
    (graph.node ?? []).length === 0
  ) {
    throw new OnnxImportError(
      `${file} is not an ONNX model (no IR version or no graph with nodes; is it another format?)`
    )
  }
  if (ir < 3)
    throw new OnnxImportError(
      `${file} uses ONNX IR version ${ir}; Ortholens reads IR 3 and later (opset 9+)`
    )
  return graph
}

function defaultOpset(model: ModelMessage, file: string): number {
  const entry = (model.opset_import ?? []).find(
    (o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx'
  )
  if (!entry)
    throw new OnnxImportError(`${file} imports no version of the default ONNX operator set`)
  const v = toInt(entry.version)
  if (v > MAX_OPSET) {
    throw new OnnxImportError(
      `${file} uses opset ${v}, newer than Ortholens supports (${MIN_OPSET}–${MAX_OPSET}); re-export it with opset ${MAX_OPSET} or lower`
    )
  }
  if (v < MIN_OPSET) {
    throw new OnnxImportError(
      `${file} uses opset ${v}, older than Ortholens supports (${MIN_OPSET}–${MAX_OPSET}); re-export it with a newer opset`
    )
  }
  return v
}

function decodeNode(n: NodeMessage, opset: number, source: TensorSource): OnnxNodeDef {
  const node: OnnxNodeDef = {
    op: n.op_type,
    domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
    name: n.name ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes: {}
  }
  for (const a of n.attribute ?? []) {
    node.attributes[a.name] = decodeAttribute(
      a,
      `attribute '${a.name}' of node '${node.name || node.outputs[0]}' (${node.op}, opset ${opset})`,
      source
    )
  }
  return node
}

function decodeAttribute(a: AttributeMessage, where: string, source: TensorSource): AttributeValue {
  const text = (b: Uint8Array): string => new TextDecoder().decode(b)
  switch (a.type) {
    case ATTRIBUTE_TYPE.FLOAT:
      return a.f
    case ATTRIBUTE_TYPE.INT:
      return toInt(a.i)
    case ATTRIBUTE_TYPE.STRING:
      return text(a.s)
    case ATTRIBUTE_TYPE.FLOATS:
      return [...a.floats]
    case ATTRIBUTE_TYPE.INTS:
      return a.ints.map(toInt)
    case ATTRIBUTE_TYPE.STRINGS:
      return a.strings.map(text)
    case ATTRIBUTE_TYPE.TENSOR: {
      const t = decodeTensor(a.t!, where, source)
      if (sizeOf(t.dims) > MAX_ATTRIBUTE_ELEMENTS)
        throw new OnnxImportError(
          `${where} is a tensor of ${sizeOf(t.dims)} elements; too large for an attribute`
        )
      return { tensor: toJson(t) }
    }
    case ATTRIBUTE_TYPE.GRAPH:
    case ATTRIBUTE_TYPE.GRAPHS:
      return { graph: true }
    default:
      // Older writers leave `type` unset: infer it from the field present.
      if (has(a, 'f')) return a.f
      if (has(a, 'i')) return toInt(a.i)
      if (has(a, 's')) return text(a.s)
      if (a.ints?.length) return a.ints.map(toInt)
      if (a.floats?.length) return [...a.floats]
      if (a.t) return decodeAttribute({ ...a, type: ATTRIBUTE_TYPE.TENSOR }, where, source)
      throw new OnnxImportError(`${where} has type ${a.type}, which Ortholens does not read`)
  }
}

/** The value of a Constant node, from any of its attribute forms. */
function constantValue(n: NodeMessage, where: string, source: TensorSource): HostTensor {
  const a = n.attribute?.[0]
  if (!a || n.attribute.length !== 1)
    throw new OnnxImportError(`${where} must have exactly one value attribute`)
  switch (a.name) {
    case 'value':
      return decodeTensor(a.t!, where, source)
    case 'value_float':
      return { dtype: 'float32', dims: [], data: Float32Array.of(a.f) }
    case 'value_floats':
      return { dtype: 'float32', dims: [a.floats.length], data: Float32Array.from(a.floats) }
    case 'value_int':
      return { dtype: 'int64', dims: [], data: [toInt(a.i)] }
    case 'value_ints':
      return { dtype: 'int64', dims: [a.ints.length], data: a.ints.map(toInt) }
    default:
      throw new OnnxImportError(`${where}: a Constant with '${a.name}' is not supported`)
  }
}

/** The one graph input that is not an initializer: it must be a 4-D float image batch. */
function imageInput(
  inputs: ValueInfoMessage[],
  initialized: Set<string>,
  file: string
): OnnxGraphDef['input'] {
  const real = inputs.filter((i) => !initialized.has(i.name))
  if (real.length !== 1) {
    throw new OnnxImportError(
      `${file} has ${real.length} inputs (${real.map((i) => i.name).join(', ') || 'none'}); Ortholens needs exactly one image input`
    )
  }
  const input = real[0]!
  const tensorType = input.type?.tensor_type
  if (!tensorType) throw new OnnxImportError(`${file}: input '${input.name}' is not a tensor`)
  const elem = tensorType.elem_type ?? 0
  if (elem !== 1 && elem !== 10 && elem !== 11) {
    throw new OnnxImportError(
      `${file}: input '${input.name}' is ${dataTypeName(elem)}; Ortholens feeds float images`
    )
  }
  const dims = (tensorType.shape?.dim ?? []).map((d) =>
    has(d, 'dim_value')
      ? toInt(d.dim_value)
      : has(d, 'dim_param') && d.dim_param !== ''
        ? d.dim_param!
        : null
  )
  if (dims.length !== 4) {
    throw new OnnxImportError(
      `${file}: input '${input.name}' has rank ${dims.length} ([${dims.map((d) => d ?? '?').join(', ')}]); ` +
        'Ortholens needs a batch of images, [N, C, H, W] or [N, H, W, C]'
    )
  }
  return { name: input.name, dims }
}

/** Nodes in an order where each reads only defined values (Kahn's algorithm); refuses cycles. */
function topologicalOrder(
  nodes: OnnxNodeDef[],
  defined: Set<string>,
  output: string,
  file: string
): OnnxNodeDef[] {
  const producer = new Map<string, OnnxNodeDef>()
  for (const n of nodes) {
    for (const o of n.outputs) {
      if (o === '') continue
      if (producer.has(o) || defined.has(o))
        throw new OnnxImportError(`${file}: the value '${o}' is produced twice`)
      producer.set(o, n)
    }
  }
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (i !== '' && !defined.has(i) && !producer.has(i)) {
        throw new OnnxImportError(
          `${file}: node '${n.name || n.outputs[0]}' (${n.op}) reads '${i}', which nothing defines`
        )
      }
    }
  }
  if (!defined.has(output) && !producer.has(output))
    throw new OnnxImportError(`${file}: the graph output '${output}' is never computed`)
  const ordered: OnnxNodeDef[] = []
  const done = new Set(defined)
  let pending = nodes
  while (pending.length > 0) {
    const next: OnnxNodeDef[] = []
    for (const n of pending) {
      if (n.inputs.every((i) => i === '' || done.has(i))) {
        ordered.push(n)
        for (const o of n.outputs) if (o !== '') done.add(o)
      } else next.push(n)
    }
    if (next.length === pending.length) {
      throw new OnnxImportError(
        `${file}: the graph has a cycle through node '${next[0]!.name || next[0]!.outputs[0]}'`
      )
    }
    pending = next
  }
  return ordered
}
