/**
 * The ONNX graph as Ortholens stores it in a project: plain JSON (nodes with decoded
 * attributes, integer constants inline) plus the float initializers as the model's
 * SerializedWeights. Rebuilding a model from this needs no .onnx file.
 */
import type { HostTensorJson } from './hostTensor'

/** A decoded attribute: INT/FLOAT → number, STRING → string, INTS/FLOATS → number[], STRINGS →
 *  string[], TENSOR → { tensor }, a subgraph → { graph: true } (never supported). */
export type AttributeValue =
  number | string | number[] | string[] | { tensor: HostTensorJson } | { graph: true }

export interface OnnxNodeDef {
  op: string
  /** '' for the default ONNX domain. */
  domain: string
  name: string
  /** Value names; '' marks an omitted optional input. */
  inputs: string[]
  outputs: string[]
  attributes: Record<string, AttributeValue>
}

export interface OnnxGraphDef {
  /** The default-domain opset the model was exported with. */
  opset: number
  /** The image input: its name and declared dims (a string or null where the file leaves it open). */
  input: { name: string; dims: (number | string | null)[] }
  output: string
  /** In topological order. */
  nodes: OnnxNodeDef[]
  /** Integer and boolean initializers and Constant outputs: shape constants, indices, axes. */
  constants: Record<string, HostTensorJson>
  /** Float initializers (and float Constant outputs), in the order of the weights' manifest. */
  weights: { name: string; dims: number[] }[]
}

/** "node 'name' (Op, opset N)" — how every message names a node. */
export function describeNode(node: OnnxNodeDef, opset: number): string {
  const label = node.name !== '' ? node.name : (node.outputs[0] ?? '?')
  const op = node.domain === '' || node.domain === 'ai.onnx' ? node.op : `${node.domain}.${node.op}`
  return `node '${label}' (${op}, opset ${opset})`
}
