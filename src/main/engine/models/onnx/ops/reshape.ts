/**
 * Flatten, Reshape, Squeeze, Unsqueeze (ONNX order: an NHWC value is brought back to NCHW
 * first, free for 1x1 maps), Transpose (composed with the value's layout, often to nothing),
 * Concat (NHWC when its inputs are maps) and Pad (constant, reflect, edge).
 */
import { tf, type Tensor } from '../../../tf'
import { BATCH, type Dim, type HostTensor, concrete, sizeOf } from '../hostTensor'
import {
  alignHost,
  composePerm,
  invertPerm,
  isIdentity,
  layoutPerm,
  permute,
  relayout,
  storedAxis,
  type Layout,
  type ValueInfo
} from '../layout'
import type { OpContext, OperatorSpec } from '../registry'
import { hostTranspose } from './hostOps'
import { normAxis } from './util'

/** A value re-shaped in ONNX order: host values keep their data, runtime ones reshape. */
function reshaped(x: ValueInfo, shape: Dim[]) {
  if (x.host) {
    const host: HostTensor = { ...x.host, dims: shape as number[] } as HostTensor
    return { outputs: [{ shape, layout: 'plain' as Layout, host }] }
  }
  return {
    outputs: [{ shape, layout: 'plain' as Layout }],
    run: ([t]: (Tensor | undefined)[], batch: number) => [
      tf.reshape(relayout(t!, x, 'plain'), concrete(shape, batch))
    ]
  }
}

/** Product of dims, keeping the batch symbol apart: [count of N factors, numeric product]. */
function product(dims: Dim[]): { batches: number; value: number } {
  let batches = 0
  let value = 1
  for (const d of dims) {
    if (d === BATCH) batches++
    else value *= d
  }
  return { batches, value }
}

function reshapeTarget(ctx: OpContext, input: Dim[], target: Dim[]): Dim[] {
  const allowZero = ctx.opset >= 14 && ctx.attrInt('allowzero', 0) === 1
  const out = target.map((d, i) =>
    d === 0 && !allowZero ? (input[i] ?? ctx.fail(`0 at position ${i} copies no dimension`)) : d
  )
  const declared = ctx.declaredBatch
  // A file exported with a fixed batch folds x.view(x.size(0), -1) to [B, -1]: that B is the batch.
  if (
    input[0] === BATCH &&
    !out.includes(BATCH) &&
    declared !== undefined &&
    out[0] === declared &&
    out.includes(-1)
  ) {
    out[0] = BATCH
  }
  const total = product(input)
  const unknown = out.filter((d) => d === -1).length
  if (unknown > 1) ctx.fail('more than one -1 in the target shape')
  const known = product(out.filter((d) => d !== -1))
  if (unknown === 1) {
    const batches = total.batches - known.batches
    if (total.value % known.value !== 0)
      ctx.fail(`cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`)
    const rest = total.value / known.value
    let fill: Dim
    if (batches === 0) fill = rest
    else if (batches === 1 && rest === 1) fill = BATCH
    else
      return ctx.fail(
        `reshaping [${input.join(', ')}] to [${target.join(', ')}] would mix the batch with other axes`
      )
    out[out.indexOf(-1)] = fill
  } else if (known.batches !== total.batches || known.value !== total.value) {
    ctx.fail(`cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`)
  }
  if (total.batches > 0 && out[0] !== BATCH)
    ctx.fail(`reshaping to [${target.join(', ')}] moves the batch axis`)
  return out
}

function squeezeAxes(
  ctx: OpContext,
  since: number,
  rank: number,
  required: boolean
): number[] | undefined {
  const raw =
    ctx.opset >= since
      ? ctx.optional(1)
        ? ctx.hostInts(1, 'axes')
        : undefined
      : ctx.hasAttr('axes')
        ? ctx.attrInts('axes')
        : undefined
  if (raw === undefined) return required ? ctx.fail('axes are required') : undefined
  return raw.map((a) => normAxis(ctx, a, rank))
}

function hostConcat(parts: HostTensor[], axis: number): HostTensor {
  const dims = parts[0]!.dims.slice()
  dims[axis] = parts.reduce((n, p) => n + p.dims[axis]!, 0)
  const outer = sizeOf(dims.slice(0, axis))
  const out: Dim[] = []
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = sizeOf(p.dims.slice(axis))
      for (let i = 0; i < chunk; i++) out.push((p.data as ArrayLike<Dim>)[o * chunk + i]!)
    }
  }
  const isFloat = parts.some((p) => p.dtype === 'float32')
  return isFloat
    ? { dtype: 'float32', dims, data: Float32Array.from(out as number[]) }
    : { dtype: 'int64', dims, data: out }
}

/**
 * Pad modes "reflect" and "edge" as slices, reversals and concatenations, whose gradients are
 * exact. Not tf.mirrorPad: its gradient in tfjs 4.22 only crops dy and drops the reflected
 * parts (measured: off by 2.9 on a 6x6 map), which made imported input gradients wrong.
 */
function borderPad(t: Tensor, pads: [number, number][], mode: 'reflect' | 'edge'): Tensor {
  let y = t
  pads.forEach(([before, after], axis) => {
    if (before === 0 && after === 0) return
    const n = y.shape[axis]!
    const take = (from: number, count: number): Tensor => {
      const begin = y.shape.map((_, i) => (i === axis ? from : 0))
      const size = y.shape.map((d, i) => (i === axis ? count : d))
      return tf.slice(y, begin, size)
    }
    const side = (at: 'start' | 'end', count: number): Tensor => {
      if (mode === 'edge') {
        const reps = y.shape.map((_, i) => (i === axis ? count : 1))
        return tf.tile(take(at === 'start' ? 0 : n - 1, 1), reps)
      }
      // reflect excludes the border element: x[count..1] before, x[n-2..n-1-count] after.
      return tf.reverse(take(at === 'start' ? 1 : n - 1 - count, count), axis)
    }
    const parts: Tensor[] = []
    if (before > 0) parts.push(side('start', before))
    parts.push(y)
    if (after > 0) parts.push(side('end', after))
    y = tf.concat(parts, axis)
  })
  return y
}

export const reshapeOps: Record<string, OperatorSpec> = {
  Flatten: {
    build: (ctx) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      const raw = ctx.attrInt('axis', 1)
      const axis = raw < 0 ? raw + rank : raw
      if (axis < 0 || axis > rank) ctx.fail(`axis ${raw} is out of range for rank ${rank}`)
      const head = product(x.shape.slice(0, axis))
      const tail = product(x.shape.slice(axis))
      if (tail.batches > 0 || (head.batches > 0 && head.value !== 1))
        ctx.fail('flattening would mix the batch with other axes')
      return reshaped(x, [head.batches > 0 ? BATCH : head.value, tail.value])
    }
  },
  Reshape: {
    build: (ctx) => {
      const x = ctx.input(0)
      const target: Dim[] =
        ctx.opset >= 5 && ctx.optional(1)
          ? Array.from(ctx.host(1, 'the shape').data as ArrayLike<Dim>)
          : ctx.attrInts('shape')
      return reshaped(x, reshapeTarget(ctx, x.shape, target))
    }
  },
  Squeeze: {
    build: (ctx) => {
      const x = ctx.input(0)
      const axes =
        squeezeAxes(ctx, 13, x.shape.length, false) ??
        x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      for (const a of axes)
        if (x.shape[a] !== 1) ctx.fail(`axis ${a} has size ${String(x.shape[a])}, not 1`)
      return reshaped(
        x,
        x.shape.filter((_, i) => !axes.includes(i))
      )
    }
  },
  Unsqueeze: {
    build: (ctx) => {
      const x = ctx.input(0)
      const outRank =
        x.shape.length +
        (ctx.opset >= 13 ? ctx.hostInts(1, 'axes').length : ctx.attrInts('axes').length)
      const axes = squeezeAxes(ctx, 13, outRank, true)!
      const shape: Dim[] = []
      let k = 0
      for (let i = 0; i < outRank; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]!)
      return reshaped(x, shape)
    }
  },
  Transpose: {
    build: (ctx) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      const perm = ctx.attrInts(
        'perm',
        Array.from({ length: rank }, (_, i) => rank - 1 - i)
      )
      if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
        ctx.fail(`perm [${perm}] is not a permutation of ${rank} axes`)
      const shape = perm.map((p) => x.shape[p]!)
      if (x.host && x.host.dtype !== 'float32') {
        return {
          outputs: [{ shape, layout: 'plain' as Layout, host: hostTranspose(x.host, perm) }]
        }
      }
      // stored_out = T(stored_in, c), c = inv(layout_in) ∘ perm ∘ layout_out.
      const fromStored = composePerm(invertPerm(layoutPerm(x.layout, rank)), perm)
      const options: Layout[] = rank === 4 ? ['plain', 'nhwc'] : ['plain']
      const choices = options.map((layout) => ({
        layout,
        c: composePerm(fromStored, layoutPerm(layout, rank))
      }))
      const best = choices.find((o) => isIdentity(o.c)) ?? choices[0]!
      return { outputs: [{ shape, layout: best.layout }], run: ([t]) => [permute(t!, best.c)] }
    }
  },
  Concat: {
    build: (ctx) => {
      const inputs = ctx.node.inputs.map((_, i) => ctx.input(i))
      const rank = inputs[0]!.shape.length
      const axis = normAxis(ctx, ctx.attrInt('axis'), rank)
      const shape = inputs[0]!.shape.slice()
      let size = 0
      for (const v of inputs) {
        if (v.shape.length !== rank) ctx.fail('inputs differ in rank')
        v.shape.forEach((d, i) => {
          if (i !== axis && d !== shape[i])
            ctx.fail(`inputs differ in dimension ${i} ([${v.shape}] vs [${shape}])`)
        })
        const d = v.shape[axis]!
        if (d === BATCH) ctx.fail('concatenating along the batch is not supported')
        size += d as number
      }
      shape[axis] = size
      if (inputs.every((v) => v.host))
        return {
          outputs: [
            {
              shape,
              layout: 'plain',
              host: hostConcat(
                inputs.map((v) => v.host!),
                axis
              )
            }
          ]
        }
      const layout: Layout =
        rank === 4 && inputs.some((v) => v.layout === 'nhwc') ? 'nhwc' : 'plain'
      const consts = inputs.map((v, i) =>
        v.host ? ctx.constant(`part${i}:${layout}`, () => alignHost(v.host!, layout)) : undefined
      )
      const stored = storedAxis(axis, layout)
      return {
        outputs: [{ shape, layout }],
        run: (ts) => [
          tf.concat(
            inputs.map((v, i) => consts[i] ?? relayout(ts[i]!, v, layout)),
            stored
          )
        ]
      }
    }
  },
  Pad: {
    build: (ctx) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      const mode = ctx.attrString('mode', 'constant')
      let pads: number[]
      let value = 0
      if (ctx.opset < 11) {
        pads = ctx.attrInts('pads')
        value = ctx.attrFloat('value', 0)
      } else {
        pads = ctx.hostInts(1, 'pads')
        if (ctx.optional(2)) value = Number(ctx.host(2, 'constant_value').data[0] ?? 0)
        if (ctx.opset >= 18 && ctx.optional(3)) {
          const axes = ctx.hostInts(3, 'axes').map((a) => normAxis(ctx, a, rank))
          const full = new Array<number>(2 * rank).fill(0)
          axes.forEach((a, i) => {
            full[a] = pads[i]!
            full[a + rank] = pads[i + axes.length]!
          })
          pads = full
        }
      }
      if (pads.length !== 2 * rank) ctx.fail(`${pads.length} pads for rank ${rank}`)
      if (pads.some((p) => p < 0)) ctx.fail('negative pads (cropping) are not supported')
      if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge')
        ctx.fail(`mode "${mode}" is not supported`)
      if (x.shape[0] === BATCH && (pads[0] !== 0 || pads[rank] !== 0))
        ctx.fail('padding the batch is not supported')
      const shape = x.shape.map((d, i) => (d === BATCH ? d : d + pads[i]! + pads[i + rank]!))
      if (mode === 'reflect') {
        x.shape.forEach((d, i) => {
          if (typeof d === 'number' && (pads[i]! >= d || pads[i + rank]! >= d))
            ctx.fail(`reflect padding of ${pads[i]} on a dimension of ${d}`)
        })
      }
      const perm = layoutPerm(x.layout, rank)
      const paddings = perm.map((a) => [pads[a]!, pads[a + rank]!] as [number, number])
      return {
        outputs: [{ shape, layout: x.layout }],
        run: ([t]) => {
          if (mode === 'constant') return [tf.pad(t!, paddings, value)]
          return [borderPad(t!, paddings, mode as 'reflect' | 'edge')]
        }
      }
    }
  }
}
