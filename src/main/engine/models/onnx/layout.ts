/**
 * How graph values are held. ONNX graphs are NCHW; the engine's convolutions, pools and batch
 * norms (and the project's fast kernels) are NHWC. So every 4-D value a spatial op produces is
 * kept NHWC ('nhwc': the ONNX tensor transposed by [0, 2, 3, 1]) and everything else as ONNX
 * has it ('plain'). Each value records its ONNX shape; conversions happen only where an op
 * needs the other order (a Flatten of a map wider than 1x1, a MatMul…), and are free (a
 * reshape) when the map is 1x1 or has one channel, where both orders are the same bytes.
 */
import { tf, type Tensor } from '../../tf'
import { type Dim, type HostTensor, sizeOf } from './hostTensor'

export type Layout = 'nhwc' | 'plain'

/** What the graph builder knows about a value. */
export interface ValueInfo {
  /** The ONNX (semantic) shape; BATCH for the batch size. */
  shape: Dim[]
  layout: Layout
  /** Known at import (initializers, constants, folded shape arithmetic). */
  host?: HostTensor
}

/** ONNX NCHW → stored NHWC. */
export const TO_NHWC = [0, 2, 3, 1]
/** Stored NHWC → ONNX NCHW. */
export const TO_NCHW = [0, 3, 1, 2]

/** The stored axis of ONNX axis `axis` (already non-negative) of a value in `layout`. */
export function storedAxis(axis: number, layout: Layout): number {
  return layout === 'nhwc' ? TO_NCHW[axis]! : axis
}

/** The permutation taking the ONNX tensor to its stored form. */
export function layoutPerm(layout: Layout, rank: number): number[] {
  return layout === 'nhwc' ? TO_NHWC : Array.from({ length: rank }, (_, i) => i)
}

/** transpose(transpose(x, a), b) = transpose(x, compose(a, b)). */
export function composePerm(a: number[], b: number[]): number[] {
  return b.map((i) => a[i]!)
}

export function invertPerm(p: number[]): number[] {
  const inv = new Array<number>(p.length)
  p.forEach((v, i) => (inv[v] = i))
  return inv
}

export function isIdentity(p: number[]): boolean {
  return p.every((v, i) => v === i)
}

/** Whether both orders of a 4-D ONNX shape hold the same bytes (one channel, or a 1x1 map). */
export function layoutsAgree(shape: Dim[]): boolean {
  return shape.length === 4 && (shape[1] === 1 || (shape[2] === 1 && shape[3] === 1))
}

/** The stored shape of a value. */
export function storedShape(v: ValueInfo): Dim[] {
  return v.layout === 'nhwc' ? TO_NHWC.map((i) => v.shape[i]!) : v.shape
}

/**
 * Applies a permutation of the stored tensor; when only size-1 axes move it is a reshape.
 * `outShape` is the permuted shape.
 */
export function permute(t: Tensor, perm: number[]): Tensor {
  if (isIdentity(perm)) return t
  const moved = perm.map((p) => t.shape[p]!)
  const nonUnitOrder = perm.filter((p) => t.shape[p] !== 1)
  const sorted = nonUnitOrder.every((p, i) => i === 0 || p > nonUnitOrder[i - 1]!)
  return sorted ? tf.reshape(t, moved) : tf.transpose(t, perm)
}

/** A stored tensor of `v` re-held as `layout`. */
export function relayout(t: Tensor, v: ValueInfo, layout: Layout): Tensor {
  if (v.layout === layout || v.shape.length !== 4) return t
  return permute(t, layout === 'nhwc' ? TO_NHWC : TO_NCHW)
}

/** ONNX shape of `v` padded with leading 1s to `rank` (numpy broadcasting). */
export function padRank(shape: Dim[], rank: number): Dim[] {
  return [...new Array<Dim>(Math.max(0, rank - shape.length)).fill(1), ...shape]
}

/** Multidirectional (numpy) broadcast of ONNX shapes; undefined when they do not broadcast. */
export function broadcastShapes(a: Dim[], b: Dim[]): Dim[] | undefined {
  const rank = Math.max(a.length, b.length)
  const pa = padRank(a, rank)
  const pb = padRank(b, rank)
  const out: Dim[] = []
  for (let i = 0; i < rank; i++) {
    const x = pa[i]!
    const y = pb[i]!
    if (x === y || y === 1) out.push(x)
    else if (x === 1) out.push(y)
    else return undefined
  }
  return out
}

/**
 * A runtime operand of `v` ready to broadcast against values held as `layout` (rank 4 when
 * 'nhwc'): padded to rank 4 and permuted the same way.
 */
export function alignOperand(t: Tensor, v: ValueInfo, layout: Layout): Tensor {
  if (layout !== 'nhwc') return relayout(t, v, 'plain')
  if (v.layout === 'nhwc') return t
  const r = t.rank < 4 ? tf.reshape(t, [...new Array<number>(4 - t.rank).fill(1), ...t.shape]) : t
  return permute(r, TO_NHWC)
}

/** A host float tensor as a tf tensor aligned like alignOperand (for build-time constants). */
export function alignHost(h: HostTensor, layout: Layout): Tensor {
  const data = h.dtype === 'float32' ? h.data : Float32Array.from(h.data as number[])
  const t = tf.tensor(data, h.dims.length === 0 ? [] : h.dims, 'float32')
  if (layout !== 'nhwc' || h.dims.length > 4) return t
  const r = tf.reshape(t, padRank(h.dims, 4) as number[])
  const out = permute(r, TO_NHWC)
  if (out !== r) r.dispose()
  if (r !== t) t.dispose()
  return out
}

export function staticSize(shape: Dim[]): number | undefined {
  return shape.every((d) => typeof d === 'number') ? sizeOf(shape as number[]) : undefined
}
