/**
 * Conv: plain, grouped, depthwise and dilated 2-D convolutions, through tf.conv2d and
 * tf.depthwiseConv2d so the project's fast kernels (and their gradients) apply. The ONNX
 * kernel [M, C/g, kh, kw] is transposed once at build time to NHWC's [kh, kw, C, M];
 * dilation is applied to the kernel itself (zeros between taps), because tfjs cannot
 * differentiate dilated convolutions; padding is explicit so asymmetric pads are exact.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../../../tf'
import { depthwiseConvValid } from '../../depthwise'
import { relayout } from '../layout'
import type { OperatorSpec } from '../registry'
import { anyPadding, biasAndActivation, spatial, windowOf } from './util'

/** [M, C/g, kh, kw] host kernel → dilated copy [M, C/g, (kh-1)d+1, (kw-1)d+1]. */
function dilateKernel(
  w: Float32Array,
  dims: number[],
  d: [number, number]
): { data: Float32Array; dims: number[] } {
  const [m, c, kh, kw] = dims as [number, number, number, number]
  const eh = (kh - 1) * d[0] + 1
  const ew = (kw - 1) * d[1] + 1
  const out = new Float32Array(m * c * eh * ew)
  for (let o = 0; o < m * c; o++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++)
        out[o * eh * ew + y * d[0] * ew + x * d[1]] = w[o * kh * kw + y * kw + x]!
    }
  }
  return { data: out, dims: [m, c, eh, ew] }
}

/**
 * Kernel taps that only ever meet padding contribute nothing: a 3x3 convolution of a 1x1 map
 * padded by 1 (ResNet's last stage at 32 px) is really a 1x1 one, with 9x fewer products.
 * Returns the tap range [first, last] per axis that some output reads real input with, and
 * the padding that keeps the output size with the cropped kernel.
 */
function usefulTaps(
  n: number,
  k: number,
  s: number,
  pads: [number, number],
  out: number
): { first: number; last: number; pads: [number, number] } {
  let first = k
  let last = -1
  for (let u = 0; u < k; u++) {
    for (let o = 0; o < out; o++) {
      const r = o * s - pads[0] + u
      if (r >= 0 && r < n) {
        first = Math.min(first, u)
        last = Math.max(last, u)
        break
      }
    }
  }
  const begin = pads[0] - first
  const end = (out - 1) * s + (last - first + 1) - n - begin
  if (last < first || begin < 0 || end < 0) return { first: 0, last: k - 1, pads }
  return { first, last, pads: [begin, end] }
}

/** The [M, C, kh, kw] kernel cut to rows first0..last0 and columns first1..last1. */
function cropKernel(
  k: { data: Float32Array; dims: number[] },
  rows: [number, number],
  cols: [number, number]
): { data: Float32Array; dims: number[] } {
  const [m, c, kh, kw] = k.dims as [number, number, number, number]
  const h = rows[1] - rows[0] + 1
  const w = cols[1] - cols[0] + 1
  if (h === kh && w === kw) return k
  const out = new Float32Array(m * c * h * w)
  for (let o = 0; o < m * c; o++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++)
        out[(o * h + y) * w + x] = k.data[(o * kh + y + rows[0]) * kw + x + cols[0]]!
    }
  }
  return { data: out, dims: [m, c, h, w] }
}

/** Largest dense matrix (floats) a small-map convolution may be turned into (16 MB). */
const MAX_DENSE_FLOATS = 4 << 20

/**
 * A convolution of a map smaller than its kernel (ResNet's 2x2 stage at 32 px) as one matrix
 * [H·W·C, Ho·Wo·M] over the NHWC-flattened map: most of its kernel taps would multiply
 * padding, and a matrix product of the batch does only the real products, at GEMM speed.
 */
function denseConvMatrix(
  k: { data: Float32Array; dims: number[] },
  input: [number, number],
  out: [number, number],
  strides: [number, number],
  pads: [[number, number], [number, number]]
): Float32Array {
  const [m, c, kh, kw] = k.dims as [number, number, number, number]
  const [h, w] = input
  const [oh, ow] = out
  const cols = oh * ow * m
  const dense = new Float32Array(h * w * c * cols)
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      for (let u = 0; u < kh; u++) {
        const r = i * strides[0] - pads[0][0] + u
        if (r < 0 || r >= h) continue
        for (let v = 0; v < kw; v++) {
          const q = j * strides[1] - pads[1][0] + v
          if (q < 0 || q >= w) continue
          for (let ci = 0; ci < c; ci++) {
            const row = ((r * w + q) * c + ci) * cols + (i * ow + j) * m
            for (let o = 0; o < m; o++) dense[row + o] += k.data[((o * c + ci) * kh + u) * kw + v]!
          }
        }
      }
    }
  }
  return dense
}

export const convOps: Record<string, OperatorSpec> = {
  Conv: {
    fuses: ['relu', 'clip'],
    build: (ctx) => {
      const x = ctx.input(0)
      const [h, w] = spatial(ctx, x.shape)
      const weight = ctx.host(1, 'the kernel W')
      if (weight.dtype !== 'float32' || weight.dims.length !== 4) {
        ctx.fail(`only 2-D convolutions are supported (kernel shape [${weight.dims.join(', ')}])`)
      }
      const [m, cPerGroup, kh, kw] = weight.dims as [number, number, number, number]
      const group = ctx.attrInt('group', 1)
      const c = x.shape[1]
      if (typeof c !== 'number' || c !== cPerGroup * group) {
        ctx.fail(
          `the input has ${String(c)} channels, the kernel expects ${cPerGroup} x ${group} groups`
        )
      }
      if (m % group !== 0) ctx.fail(`${m} output channels do not split into ${group} groups`)
      const kernelShape = ctx.attrInts('kernel_shape', [kh, kw])
      if (kernelShape[0] !== kh || kernelShape[1] !== kw)
        ctx.fail(`kernel_shape [${kernelShape}] disagrees with W [${weight.dims}]`)
      const win = windowOf(ctx, [h, w], [kh, kw])
      const dilated = win.dilations[0] > 1 || win.dilations[1] > 1
      const data = weight.data as Float32Array
      const full = dilated
        ? dilateKernel(data, weight.dims, win.dilations)
        : { data, dims: weight.dims }
      const rows = usefulTaps(h, full.dims[2]!, win.strides[0], win.pads[0], win.out[0])
      const cols = usefulTaps(w, full.dims[3]!, win.strides[1], win.pads[1], win.out[1])
      const kernel = cropKernel(full, [rows.first, rows.last], [cols.first, cols.last])
      win.pads = [rows.pads, cols.pads]
      const bias = ctx.optional(2)
      const biasTensor = bias
        ? ctx.constant('bias', () => tf.reshape(ctx.constantInput(2), [m]))
        : undefined
      const ones = (): Tensor => ctx.constant('ones', () => tf.ones([m]))
      const depthwise = group === c && group > 1
      const [eh, ew] = [kernel.dims[2]!, kernel.dims[3]!]
      const strides = win.strides
      const paddings: [[number, number], [number, number], [number, number], [number, number]] = [
        [0, 0],
        win.pads[0],
        win.pads[1],
        [0, 0]
      ]
      const out = { shape: [x.shape[0]!, m, win.out[0], win.out[1]], layout: 'nhwc' as const }

      if (depthwise) {
        // ONNX output channel o = g * mult + j; tf's depthwise output c * mult + j: the same.
        const mult = m / group
        const filter = ctx.constant(`filter:${eh}x${ew}@${rows.first},${cols.first}`, () =>
          tf.transpose(
            tf.reshape(tf.tensor(kernel.data, kernel.dims), [group, mult, eh, ew]),
            [2, 3, 0, 1]
          )
        ) as Tensor4D
        return {
          outputs: [out],
          run: ([t]) => {
            let xs = relayout(t!, x, 'nhwc') as Tensor4D
            if (anyPadding(win)) xs = tf.pad(xs, paddings)
            const y = depthwiseConvValid(xs, filter, strides)
            return [biasAndActivation(y, biasTensor, ctx.fused, ones)]
          }
        }
      }
      const cin = cPerGroup * group
      if (
        group === 1 &&
        h * w < eh * ew &&
        h * w * cin * win.out[0] * win.out[1] * m <= MAX_DENSE_FLOATS
      ) {
        const dense = ctx.constant(`dense:${h}x${w}`, () =>
          tf.tensor2d(denseConvMatrix(kernel, [h, w], win.out, strides, win.pads), [
            h * w * cin,
            win.out[0] * win.out[1] * m
          ])
        ) as Tensor2D
        return {
          outputs: [out],
          run: ([t]) => {
            const xs = relayout(t!, x, 'nhwc')
            const n = xs.shape[0]!
            const y = tf.reshape(tf.matMul(tf.reshape(xs, [n, h * w * cin]) as Tensor2D, dense), [
              n,
              win.out[0],
              win.out[1],
              m
            ])
            return [biasAndActivation(y, biasTensor, ctx.fused, ones)]
          }
        }
      }
      const filters = Array.from(
        { length: group },
        (_, g) =>
          ctx.constant(`filter${g}:${eh}x${ew}@${rows.first},${cols.first}`, () => {
            const all = tf.tensor(kernel.data, kernel.dims as [number, number, number, number])
            const part =
              group === 1
                ? all
                : tf.slice(all, [g * (m / group), 0, 0, 0], [m / group, cPerGroup, eh, ew])
            return tf.transpose(part, [2, 3, 1, 0])
          }) as Tensor4D
      )
      const pad = anyPadding(win) ? paddings : 'valid'
      return {
        outputs: [out],
        run: ([t]) => {
          const xs = relayout(t!, x, 'nhwc') as Tensor4D
          let y: Tensor
          if (group === 1) {
            y = tf.conv2d(xs, filters[0]!, strides, pad)
          } else {
            const parts = tf.split(xs, group, 3) as Tensor4D[]
            y = tf.concat(
              parts.map((p, g) => tf.conv2d(p, filters[g]!, strides, pad)),
              3
            )
          }
          return [biasAndActivation(y, biasTensor, ctx.fused, ones)]
        }
      }
    }
  }
}
