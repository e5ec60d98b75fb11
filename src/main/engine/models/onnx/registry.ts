/**
 * The operator registry: ONNX op type → builder. A builder sees one node with what is known
 * about its inputs (shapes, layouts, constant values) and returns its outputs' shapes and the
 * tf computation, or computes constant outputs on the spot (shape arithmetic). Registries are
 * checked, not trusted: registering an operator twice throws.
 */
import type { Tensor } from '../../tf'
import type { OnnxNodeDef } from './graph'
import type { HostTensor } from './hostTensor'
import type { ValueInfo } from './layout'

export interface OpContext {
  readonly node: OnnxNodeDef
  readonly opset: number
  /** How the node is named in messages: "node 'x' (Conv, opset 17)". */
  readonly where: string
  /** Input i; throws a message naming the node when it is missing. */
  input(i: number): ValueInfo
  /** Input i, or undefined when omitted ('' or past the end). */
  optional(i: number): ValueInfo | undefined
  /** Input i's constant value; throws when it is computed at run time. */
  host(i: number, what: string): HostTensor
  /** Input i's constant integer values (no symbolic batch). */
  hostInts(i: number, what: string): number[]
  attrInt(name: string, fallback?: number): number
  attrInts(name: string, fallback?: number[]): number[]
  attrFloat(name: string, fallback?: number): number
  attrString(name: string, fallback?: string): string
  attrTensor(name: string): HostTensor | undefined
  hasAttr(name: string): boolean
  /** Throws an OnnxImportError naming the node. */
  fail(message: string): never
  /**
   * A tensor made once at build time and kept for the model's life (a transposed kernel, a
   * folded batch norm). `key` must identify it within the node.
   */
  constant(key: string, make: () => Tensor): Tensor
  /** Input i's constant as a float32 tf tensor (kept), in its ONNX shape. */
  constantInput(i: number): Tensor
  /** An activation the graph builder fused into this node (Relu after a Conv…). */
  readonly fused?: FusedActivation
  /** The batch size the file declares for its input, when it fixes one (static exports). */
  readonly declaredBatch?: number
}

export type FusedActivation = { kind: 'relu' } | { kind: 'clip'; min: number; max: number }

/** A runtime computation: the stored tensors of the runtime inputs (undefined for constant ones). */
export type RunFn = (inputs: (Tensor | undefined)[], batch: number) => Tensor[]

export interface BuiltOp {
  outputs: ValueInfo[]
  /** Absent when every output has a host value. */
  run?: RunFn
}

export interface OperatorSpec {
  build: (ctx: OpContext) => BuiltOp
  /** Which fused activations the builder accepts after it. */
  fuses?: readonly FusedActivation['kind'][]
}

export class OperatorRegistry {
  private readonly ops = new Map<string, OperatorSpec>()

  register(opType: string, spec: OperatorSpec): void {
    if (this.ops.has(opType)) throw new Error(`ONNX operator ${opType} is registered twice`)
    this.ops.set(opType, spec)
  }

  get(opType: string): OperatorSpec | undefined {
    return this.ops.get(opType)
  }

  has(opType: string): boolean {
    return this.ops.has(opType)
  }

  names(): string[] {
    return [...this.ops.keys()].sort()
  }
}

/** Registers a table of builders. */
export function registerAll(registry: OperatorRegistry, table: Record<string, OperatorSpec>): void {
  for (const [op, spec] of Object.entries(table)) registry.register(op, spec)
}
