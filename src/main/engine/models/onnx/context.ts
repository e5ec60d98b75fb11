/**
 * The OpContext a builder receives for one node: its inputs as the graph builder knows them,
 * typed attribute readers, and the model's cache of build-time constants.
 */
import { tf, type Tensor } from '../../tf'
import { OnnxImportError } from './errors'
import { describeNode, type AttributeValue, type OnnxNodeDef } from './graph'
import { fromJson, type HostTensor, numbersOf } from './hostTensor'
import type { ValueInfo } from './layout'
import type { FusedActivation, OpContext } from './registry'

/** Kept tensors made at build time, shared by every plan of one model; the model disposes them. */
export class ConstantCache {
  private readonly tensors = new Map<string, Tensor>()

  get(key: string, make: () => Tensor): Tensor {
    let t = this.tensors.get(key)
    if (!t) {
      t = tf.keep(tf.tidy(make))
      this.tensors.set(key, t)
    }
    return t
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose()
    this.tensors.clear()
  }
}

export function makeContext(
  node: OnnxNodeDef,
  opset: number,
  values: Map<string, ValueInfo>,
  cache: ConstantCache,
  options: { fused?: FusedActivation; declaredBatch?: number } = {}
): OpContext {
  const where = describeNode(node, opset)
  const fail = (message: string): never => {
    throw new OnnxImportError(`${where}: ${message}`)
  }
  const optional = (i: number): ValueInfo | undefined => {
    const name = node.inputs[i]
    if (name === undefined || name === '') return undefined
    const v = values.get(name)
    if (!v) fail(`input '${name}' is not defined`)
    return v
  }
  const input = (i: number): ValueInfo => optional(i) ?? fail(`input ${i + 1} is missing`)
  const host = (i: number, what: string): HostTensor => {
    const v = input(i)
    return (
      v.host ??
      fail(`${what} (input ${i + 1}) must be a constant; Ortholens cannot compute it at run time`)
    )
  }
  const attr = (name: string): AttributeValue | undefined => node.attributes[name]
  const wrong = (name: string, expected: string): never =>
    fail(`attribute ${name} should be ${expected}, got ${JSON.stringify(node.attributes[name])}`)
  const nodeKey = node.outputs[0] ?? node.name
  return {
    node,
    opset,
    where,
    fused: options.fused,
    declaredBatch: options.declaredBatch,
    fail,
    optional,
    input,
    host,
    hostInts: (i, what) => {
      const h = host(i, what)
      if (h.dtype === 'float32') return Array.from(h.data, (v) => Math.trunc(v))
      try {
        return numbersOf(h, what)
      } catch (err) {
        return fail((err as Error).message)
      }
    },
    hasAttr: (name) => attr(name) !== undefined,
    attrInt: (name, fallback) => {
      const a = attr(name)
      if (a === undefined) return fallback ?? fail(`attribute ${name} is required`)
      return typeof a === 'number' && Number.isInteger(a) ? a : wrong(name, 'an integer')
    },
    attrInts: (name, fallback) => {
      const a = attr(name)
      if (a === undefined) return fallback ?? fail(`attribute ${name} is required`)
      return Array.isArray(a) && a.every((x) => typeof x === 'number')
        ? (a as number[])
        : wrong(name, 'a list of integers')
    },
    attrFloat: (name, fallback) => {
      const a = attr(name)
      if (a === undefined) return fallback ?? fail(`attribute ${name} is required`)
      return typeof a === 'number' ? a : wrong(name, 'a number')
    },
    attrString: (name, fallback) => {
      const a = attr(name)
      if (a === undefined) return fallback ?? fail(`attribute ${name} is required`)
      return typeof a === 'string' ? a : wrong(name, 'a string')
    },
    attrTensor: (name) => {
      const a = attr(name)
      if (a === undefined) return undefined
      return typeof a === 'object' && a !== null && 'tensor' in a
        ? fromJson(a.tensor)
        : wrong(name, 'a tensor')
    },
    constant: (key, make) => cache.get(`${nodeKey}#${key}`, make),
    constantInput: (i) => {
      const name = node.inputs[i]!
      const h = host(i, `input ${i + 1}`)
      return cache.get(`value:${name}`, () => {
        const data = h.dtype === 'float32' ? h.data : Float32Array.from(numbersOf(h, name))
        return tf.tensor(data, h.dims, 'float32')
      })
    }
  }
}
