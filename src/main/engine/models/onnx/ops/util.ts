/** Small helpers shared by the operator builders. */
import { tf, type Tensor } from '../../../tf'
import { channelAffine } from '../../../ops/channelAffine'
import type { Dim } from '../hostTensor'
import type { FusedActivation, OpContext } from '../registry'

/** A non-negative axis for rank `rank` (ONNX allows negative axes from -rank). */
export function normAxis(ctx: OpContext, axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`)
  return axis < 0 ? axis + rank : axis
}

/** A dimension that must be a number (not the batch size). */
export function fixed(ctx: OpContext, d: Dim, what: string): number {
  return typeof d === 'number' ? d : ctx.fail(`${what} depends on the batch size`)
}

/** The spatial size [h, w] of a 4-D ONNX shape, checked. */
export function spatial(ctx: OpContext, shape: Dim[]): [number, number] {
  if (shape.length !== 4) ctx.fail(`needs a 4-D [N, C, H, W] input, got rank ${shape.length}`)
  return [fixed(ctx, shape[2]!, 'the height'), fixed(ctx, shape[3]!, 'the width')]
}

/**
 * y + bias (per channel, the last stored axis), then the fused activation, in as few passes as
 * possible: the bias (and a ReLU) as the engine's one-pass channelAffine, which on wasm also
 * beats a broadcast add (measured 1 vs 23 ms for 100x16x16x64).
 */
export function biasAndActivation(
  y: Tensor,
  bias: Tensor | undefined,
  fused: FusedActivation | undefined,
  ones: () => Tensor
): Tensor {
  if (!bias) return applyActivation(y, fused)
  const relu = fused?.kind === 'relu'
  const b = channelAffine(y, ones(), bias, relu)
  return relu ? b : applyActivation(b, fused)
}

export function applyActivation(x: Tensor, fused: FusedActivation | undefined): Tensor {
  if (!fused) return x
  if (fused.kind === 'relu') return tf.relu(x)
  return clip(x, fused.min, fused.max)
}

/** clip(x, min, max) for any bounds, ±Infinity included (tf.clipByValue needs finite ones). */
export function clip(x: Tensor, min: number, max: number): Tensor {
  if (min === 0 && max === 6) return tf.relu6(x)
  if (Number.isFinite(min) && Number.isFinite(max)) return tf.clipByValue(x, min, max)
  let y = x
  if (Number.isFinite(min)) y = tf.maximum(y, min)
  if (Number.isFinite(max)) y = tf.minimum(y, max)
  return y
}

/** A per-channel vector as a kept tensor. */
export function vector(values: ArrayLike<number>): Tensor {
  return tf.tensor1d(Float32Array.from(values))
}

/** ONNX pads [b1, b2, …, e1, e2, …] → per-axis [begin, end]. */
export function padPairs(pads: number[], rank: number): [number, number][] {
  return Array.from(
    { length: rank },
    (_, i) => [pads[i] ?? 0, pads[i + rank] ?? 0] as [number, number]
  )
}

export interface Window {
  kernel: [number, number]
  strides: [number, number]
  dilations: [number, number]
  /** [top, bottom], [left, right], ceil_mode's overhang included */
  pads: [[number, number], [number, number]]
  /** The overhang ceil_mode added at the bottom and right (not padding in ONNX's sense). */
  extra: [number, number]
  out: [number, number]
}

/**
 * Kernel, strides, dilations, padding and output size of a 2-D window op (Conv, pools), for
 * auto_pad NOTSET / VALID / SAME_UPPER / SAME_LOWER, and ceil_mode. With ceil_mode the extra
 * last window may hang over the bottom/right edge (by `pads`' end values grown accordingly);
 * a window that would start in the padding only is dropped, as PyTorch and ONNX Runtime do.
 */
export function windowOf(
  ctx: OpContext,
  input: [number, number],
  kernel: [number, number],
  ceilMode = false
): Window {
  const strides = pair(ctx.attrInts('strides', [1, 1]), 'strides', ctx)
  const dilations = pair(ctx.attrInts('dilations', [1, 1]), 'dilations', ctx)
  const autoPad = ctx.attrString('auto_pad', 'NOTSET')
  const pads = ctx.attrInts('pads', [0, 0, 0, 0])
  if (pads.length !== 4 || pads.some((p) => p < 0))
    ctx.fail(`pads [${pads.join(', ')}] must be four non-negative values`)
  const result: Window = {
    kernel,
    strides,
    dilations,
    pads: [
      [0, 0],
      [0, 0]
    ],
    extra: [0, 0],
    out: [0, 0]
  }
  for (const axis of [0, 1] as const) {
    const n = input[axis]
    const k = (kernel[axis] - 1) * dilations[axis] + 1
    const s = strides[axis]
    let begin = 0
    let end = 0
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const out = Math.ceil(n / s)
      const total = Math.max(0, (out - 1) * s + k - n)
      begin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2)
      end = total - begin
    } else if (autoPad === 'NOTSET') {
      begin = pads[axis]!
      end = pads[axis + 2]!
    } else if (autoPad !== 'VALID') {
      ctx.fail(`auto_pad "${autoPad}" is not an ONNX padding mode`)
    }
    const span = n + begin + end - k
    if (span < 0)
      ctx.fail(`the input (${input.join('x')}) is smaller than the window (${kernel.join('x')})`)
    let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1
    if (ceilMode && (out - 1) * s >= n + begin) out--
    const extra = Math.max(0, (out - 1) * s + k - (n + begin + end))
    result.pads[axis] = [begin, end + extra]
    result.extra[axis] = extra
    result.out[axis] = out
  }
  return result
}

function pair(v: number[], name: string, ctx: OpContext): [number, number] {
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < 1)) {
    ctx.fail(`${name} [${v.join(', ')}]: only 2-D windows with positive values are supported`)
  }
  return [v[0]!, v[1]!]
}

/** NHWC paddings for tf.pad. */
export function nhwcPaddings(w: Window): [number, number][] {
  return [[0, 0], w.pads[0], w.pads[1], [0, 0]]
}

export function anyPadding(w: Window): boolean {
  return w.pads.some(([a, b]) => a > 0 || b > 0)
}

/**
 * t's entries at `indices` along `axis`, as slices (one per run of consecutive indices) and a
 * concatenation. Not tf.gather: its gradient needs UnsortedSegmentSum, which the wasm backend
 * lacks, and runtime gathers here are a few indices (x[:, 0], a strided slice).
 */
export function takeAlong(t: Tensor, indices: number[], axis: number): Tensor {
  const runs: [number, number][] = []
  for (const i of indices) {
    const last = runs[runs.length - 1]
    if (last && i === last[0] + last[1]) last[1]++
    else runs.push([i, 1])
  }
  const parts = runs.map(([start, count]) => {
    const begin = t.shape.map((_, d) => (d === axis ? start : 0))
    const size = t.shape.map((n, d) => (d === axis ? count : n))
    return tf.slice(t, begin, size)
  })
  return parts.length === 1 ? parts[0]! : tf.concat(parts, axis)
}
