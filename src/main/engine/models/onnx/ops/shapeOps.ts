/**
 * The shape arithmetic PyTorch emits — Shape, Gather, Slice, Cast, ConstantOfShape — folded
 * at import whenever their inputs are constants (shapes are static apart from the batch size,
 * which travels as the symbol N), and Gather / Slice on activations at run time. Identity
 * and Dropout (inference) pass their input through.
 */
import { tf, type Tensor } from '../../../tf'
import { BATCH, type Dim, type HostTensor, concrete, hasBatch, sizeOf } from '../hostTensor'
import { relayout, storedAxis } from '../layout'
import type { OpContext, OperatorSpec } from '../registry'
import { stridesOf } from './hostOps'
import { normAxis, takeAlong } from './util'

/** Elements a folded constant may have (ConstantOfShape of a real tensor size is computed at run time). */
const MAX_FOLDED = 1 << 20

const FLOAT_TYPES = new Set([1, 10, 11, 16])
const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13])

function passThrough(ctx: OpContext) {
  const x = ctx.input(0)
  return { outputs: [{ ...x }], run: ([t]: (Tensor | undefined)[]) => [t!] }
}

/** Gathers along `axis` of a host tensor. */
function hostGather(
  data: HostTensor,
  axis: number,
  indices: number[],
  indexDims: number[]
): HostTensor {
  const dims = [...data.dims.slice(0, axis), ...indexDims, ...data.dims.slice(axis + 1)]
  const outer = sizeOf(data.dims.slice(0, axis))
  const inner = sizeOf(data.dims.slice(axis + 1))
  const src = data.data as ArrayLike<Dim>
  const out: Dim[] = []
  for (let o = 0; o < outer; o++) {
    for (const idx of indices) {
      for (let i = 0; i < inner; i++) out.push(src[(o * data.dims[axis]! + idx) * inner + i]!)
    }
  }
  return data.dtype === 'float32'
    ? { dtype: 'float32', dims, data: Float32Array.from(out as number[]) }
    : { dtype: data.dtype, dims, data: out }
}

interface SliceAxis {
  axis: number
  start: number
  size: number
  step: number
}

/** ONNX Slice's clamping rules, per axis, for a dimension of `dim` elements. */
function sliceAxis(
  ctx: OpContext,
  dim: Dim,
  axis: number,
  start: number,
  end: number,
  step: number
): SliceAxis | undefined {
  if (step === 0) ctx.fail('a slice step of 0 is invalid')
  if (dim === BATCH) {
    if (start === 0 && step === 1 && end >= Number.MAX_SAFE_INTEGER / 2) return undefined
    ctx.fail('slicing the batch is not supported')
  }
  const n = dim as number
  const clampPos = (v: number, lo: number, hi: number): number =>
    Math.min(Math.max(v < 0 ? v + n : v, lo), hi)
  const s = step > 0 ? clampPos(start, 0, n) : clampPos(start, -1, n - 1)
  const e = step > 0 ? clampPos(end, 0, n) : clampPos(end, -1, n - 1)
  const size = Math.max(0, Math.ceil((e - s) / step))
  return { axis, start: s, size, step }
}

function hostSlice(data: HostTensor, axes: SliceAxis[]): HostTensor {
  const dims = data.dims.slice()
  for (const a of axes) dims[a.axis] = a.size
  const strides = stridesOf(data.dims)
  const src = data.data as ArrayLike<Dim>
  const out: Dim[] = []
  const n = sizeOf(dims)
  const outStrides = stridesOf(dims)
  for (let i = 0; i < n; i++) {
    let offset = 0
    for (let d = 0; d < dims.length; d++) {
      const k = Math.floor(i / outStrides[d]!) % dims[d]!
      const a = axes.find((x) => x.axis === d)
      offset += (a ? a.start + k * a.step : k) * strides[d]!
    }
    out.push(src[offset]!)
  }
  return data.dtype === 'float32'
    ? { dtype: 'float32', dims, data: Float32Array.from(out as number[]) }
    : { dtype: data.dtype, dims, data: out }
}

export const shapeOps: Record<string, OperatorSpec> = {
  Identity: { build: passThrough },
  Dropout: {
    build: (ctx) => {
      if (ctx.node.outputs.slice(1).some((o) => o !== ''))
        ctx.fail('the mask output is not supported')
      if (ctx.opset >= 12 && ctx.optional(2)) {
        const training = ctx.host(2, 'training_mode')
        if (Number(training.data[0]) !== 0)
          ctx.fail('training_mode = true is not supported (inference only)')
      }
      return passThrough(ctx)
    }
  },
  Shape: {
    build: (ctx) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      const clampAxis = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank)
      const start = ctx.opset >= 15 ? clampAxis(ctx.attrInt('start', 0)) : 0
      const end = ctx.opset >= 15 ? clampAxis(ctx.attrInt('end', rank)) : rank
      const dims = x.shape.slice(start, Math.max(start, end))
      return {
        outputs: [
          {
            shape: [dims.length],
            layout: 'plain',
            host: { dtype: 'int64', dims: [dims.length], data: dims }
          }
        ]
      }
    }
  },
  Cast: {
    build: (ctx) => {
      const x = ctx.input(0)
      const to = ctx.attrInt('to')
      if (x.host) {
        const h = x.host
        if (FLOAT_TYPES.has(to)) {
          if (h.dtype !== 'float32' && hasBatch(h.data))
            ctx.fail('casting the batch size to a float is not supported')
          const data =
            h.dtype === 'float32' ? h.data.slice() : Float32Array.from(h.data as number[])
          return {
            outputs: [
              { shape: x.shape, layout: 'plain', host: { dtype: 'float32', dims: h.dims, data } }
            ]
          }
        }
        if (INT_TYPES.has(to) || to === 9) {
          const values: Dim[] = Array.from(h.data as ArrayLike<Dim>, (v) =>
            v === BATCH ? v : to === 9 ? (v !== 0 ? 1 : 0) : Math.trunc(v)
          )
          return {
            outputs: [
              {
                shape: x.shape,
                layout: 'plain',
                host: { dtype: to === 9 ? 'bool' : 'int64', dims: h.dims, data: values }
              }
            ]
          }
        }
        ctx.fail(`casting to data type ${to} is not supported`)
      }
      if (!FLOAT_TYPES.has(to))
        ctx.fail(`casting an activation to data type ${to} is not supported (only to floats)`)
      return passThrough(ctx)
    }
  },
  ConstantOfShape: {
    build: (ctx) => {
      const shapeHost = ctx.host(0, 'the shape')
      const dims = Array.from(shapeHost.data as ArrayLike<Dim>)
      const value = ctx.attrTensor('value') ?? {
        dtype: 'float32' as const,
        dims: [1],
        data: Float32Array.of(0)
      }
      const v = Number(value.data[0] ?? 0)
      if (dims.some((d) => d !== BATCH && (d as number) < 0))
        ctx.fail(`negative dimension in [${dims.join(', ')}]`)
      if (!hasBatch(dims)) {
        const n = sizeOf(dims as number[])
        if (n > MAX_FOLDED) ctx.fail(`a constant of ${n} elements is too large to fold`)
        const host: HostTensor =
          value.dtype === 'float32'
            ? { dtype: 'float32', dims: dims as number[], data: new Float32Array(n).fill(v) }
            : { dtype: value.dtype, dims: dims as number[], data: new Array<Dim>(n).fill(v) }
        return { outputs: [{ shape: dims, layout: 'plain', host }] }
      }
      if (value.dtype !== 'float32')
        ctx.fail('an integer tensor the size of the batch is not supported')
      return {
        outputs: [{ shape: dims, layout: 'plain' }],
        run: (_, batch) => [tf.fill(concrete(dims, batch), v)]
      }
    }
  },
  Gather: {
    build: (ctx) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      const axis = normAxis(ctx, ctx.attrInt('axis', 0), rank)
      const idxHost = ctx.host(1, 'the indices')
      const dim = x.shape[axis]!
      if (dim === BATCH) ctx.fail('gathering along the batch is not supported')
      const indices = Array.from(idxHost.data as ArrayLike<Dim>, (i) => {
        if (i === BATCH || !Number.isInteger(i)) ctx.fail('the indices must be integers')
        const k = (i as number) < 0 ? (i as number) + (dim as number) : (i as number)
        if (k < 0 || k >= (dim as number))
          ctx.fail(`index ${String(i)} is out of range for a dimension of ${String(dim)}`)
        return k
      })
      const shape = [...x.shape.slice(0, axis), ...idxHost.dims, ...x.shape.slice(axis + 1)]
      if (x.host) {
        const host = hostGather(x.host, axis, indices, idxHost.dims)
        return { outputs: [{ shape, layout: 'plain', host }] }
      }
      if (idxHost.dims.length === 1 && x.layout === 'nhwc') {
        const stored = storedAxis(axis, 'nhwc')
        return {
          outputs: [{ shape, layout: 'nhwc' }],
          run: ([t]) => [takeAlong(t!, indices, stored)]
        }
      }
      return {
        outputs: [{ shape, layout: 'plain' }],
        run: ([t], batch) => [
          tf.reshape(takeAlong(relayout(t!, x, 'plain'), indices, axis), concrete(shape, batch))
        ]
      }
    }
  },
  Slice: {
    build: (ctx) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      let starts: number[], ends: number[], axes: number[], steps: number[]
      if (ctx.opset < 10) {
        starts = ctx.attrInts('starts')
        ends = ctx.attrInts('ends')
        axes = ctx.attrInts(
          'axes',
          starts.map((_, i) => i)
        )
        steps = starts.map(() => 1)
      } else {
        starts = ctx.hostInts(1, 'starts')
        ends = ctx.hostInts(2, 'ends')
        axes = ctx.optional(3) ? ctx.hostInts(3, 'axes') : starts.map((_, i) => i)
        steps = ctx.optional(4) ? ctx.hostInts(4, 'steps') : starts.map(() => 1)
      }
      if (
        ends.length !== starts.length ||
        axes.length !== starts.length ||
        steps.length !== starts.length
      ) {
        ctx.fail('starts, ends, axes and steps differ in length')
      }
      const cuts = axes
        .map((a, i) =>
          sliceAxis(
            ctx,
            x.shape[normAxis(ctx, a, rank)]!,
            normAxis(ctx, a, rank),
            starts[i]!,
            ends[i]!,
            steps[i]!
          )
        )
        .filter((c): c is SliceAxis => c !== undefined)
      const shape = x.shape.slice()
      for (const c of cuts) shape[c.axis] = c.size
      if (x.host) return { outputs: [{ shape, layout: 'plain', host: hostSlice(x.host, cuts) }] }
      const layout = x.layout
      const stored = cuts.map((c) => ({ ...c, axis: storedAxis(c.axis, layout) }))
      const gathers = stored
        .filter((c) => c.step !== 1)
        .map((c) => ({
          axis: c.axis,
          idx: Array.from({ length: c.size }, (_, k) => c.start + k * c.step)
        }))
      return {
        outputs: [{ shape, layout }],
        run: ([t]) => {
          let y = t!
          const begin = y.shape.map(() => 0)
          const size = y.shape.map(() => -1)
          let plainSlice = false
          for (const c of stored) {
            if (c.step === 1) {
              begin[c.axis] = c.start
              size[c.axis] = c.size
              plainSlice = true
            }
          }
          if (plainSlice) y = tf.slice(y, begin, size)
          for (const g of gathers) y = takeAlong(y, g.idx, g.axis)
          return [y]
        }
      }
    }
  }
}
