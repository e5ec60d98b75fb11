/**
 * MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool on NHWC values. Padding is explicit
 * (tf.pad, then a 'valid' pool), so ONNX's asymmetric pads and ceil_mode are exact, and the
 * gradient is exact at the borders: tfjs's own 'same' average pool divides its gradient by
 * the full window where the forward pass divides by the real count (SPEC §1). Average pools
 * rescale a zero-padded window mean by a constant per-position factor (window / counted
 * elements), which implements count_include_pad both ways and stays linear. Every max pool's
 * gradient, GlobalMaxPool's included, is the engine's MaxPool gradient: PyTorch's rule at ties.
 */
import { tf, type Tensor4D } from '../../../tf'
import { relayout } from '../layout'
import type { OpContext, OperatorSpec } from '../registry'
import { anyPadding, nhwcPaddings, spatial, type Window, windowOf } from './util'

/** The lowest float32: max-pool padding that never wins (and, unlike -Infinity, never makes NaN). */
const LOWEST = -3.4028234663852886e38

function poolWindow(ctx: OpContext): { win: Window; x: ReturnType<OpContext['input']> } {
  const x = ctx.input(0)
  const [h, w] = spatial(ctx, x.shape)
  const kernel = ctx.attrInts('kernel_shape')
  if (kernel.length !== 2 || kernel.some((k) => k < 1))
    ctx.fail(`kernel_shape [${kernel}]: only 2-D pools are supported`)
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '')
    ctx.fail('the Indices output is not supported')
  const ceil = ctx.opset >= 10 && ctx.attrInt('ceil_mode', 0) === 1
  const win = windowOf(ctx, [h, w], [kernel[0]!, kernel[1]!], ceil)
  if (win.dilations[0] !== 1 || win.dilations[1] !== 1) ctx.fail('dilated pooling is not supported')
  return { win, x }
}

/** Per output position: window size / number of elements the average counts. */
function divisorFactors(win: Window, input: [number, number], countPad: boolean): Float32Array {
  const [oh, ow] = win.out
  const counted = (axis: 0 | 1, o: number): number => {
    const start = o * win.strides[axis]
    const end = start + win.kernel[axis]
    const [begin, endPad] = win.pads[axis]
    const lo = countPad ? 0 : begin
    const hi = countPad ? begin + input[axis] + endPad - win.extra[axis] : begin + input[axis]
    return Math.max(0, Math.min(end, hi) - Math.max(start, lo))
  }
  const full = win.kernel[0] * win.kernel[1]
  const out = new Float32Array(oh * ow)
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) out[y * ow + x] = full / Math.max(1, counted(0, y) * counted(1, x))
  }
  return out
}

export const poolOps: Record<string, OperatorSpec> = {
  MaxPool: {
    build: (ctx) => {
      const { win, x } = poolWindow(ctx)
      const pad = anyPadding(win)
      return {
        outputs: [{ shape: [x.shape[0]!, x.shape[1]!, ...win.out], layout: 'nhwc' }],
        run: ([t]) => {
          let xs = relayout(t!, x, 'nhwc') as Tensor4D
          if (pad) xs = tf.pad(xs, nhwcPaddings(win), LOWEST)
          return [tf.maxPool(xs, win.kernel, win.strides, 'valid')]
        }
      }
    }
  },
  AveragePool: {
    build: (ctx) => {
      const { win, x } = poolWindow(ctx)
      const countPad = ctx.attrInt('count_include_pad', 0) === 1
      const input = [x.shape[2] as number, x.shape[3] as number] as [number, number]
      const factors = divisorFactors(win, input, countPad)
      const uniform = factors.every((f) => f === 1)
      const scale = uniform
        ? undefined
        : ctx.constant(`divisor:${input.join('x')}`, () =>
            tf.tensor4d(factors, [1, win.out[0], win.out[1], 1])
          )
      const pad = anyPadding(win)
      return {
        outputs: [{ shape: [x.shape[0]!, x.shape[1]!, ...win.out], layout: 'nhwc' }],
        run: ([t]) => {
          let xs = relayout(t!, x, 'nhwc') as Tensor4D
          if (pad) xs = tf.pad(xs, nhwcPaddings(win), 0)
          const mean = tf.avgPool(xs, win.kernel, win.strides, 'valid')
          return [scale ? tf.mul(mean, scale) : mean]
        }
      }
    }
  },
  GlobalAveragePool: {
    build: (ctx) => {
      const x = ctx.input(0)
      spatial(ctx, x.shape)
      return {
        outputs: [{ shape: [x.shape[0]!, x.shape[1]!, 1, 1], layout: 'nhwc' }],
        run: ([t]) => [tf.mean(relayout(t!, x, 'nhwc'), [1, 2], true)]
      }
    }
  },
  GlobalMaxPool: {
    build: (ctx) => {
      const x = ctx.input(0)
      spatial(ctx, x.shape)
      return {
        outputs: [{ shape: [x.shape[0]!, x.shape[1]!, 1, 1], layout: 'nhwc' }],
        // A max pool over the whole map rather than tf.max: its gradient is the engine's max-pool
        // rule (the first maximum in scan order takes all of dy, as PyTorch's adaptive max pool
        // and TensorFlow's MaxPool give it), where tf.max's hands dy to every tied maximum.
        run: ([t]) => {
          const xs = relayout(t!, x, 'nhwc') as Tensor4D
          const [, h, w] = xs.shape
          return [tf.maxPool(xs, [h, w], [h, w], 'valid')]
        }
      }
    }
  }
}
