/**
 * Element-wise activations (they keep the value's layout), PRelu (its slope broadcast like the
 * input is held), and Softmax / LogSoftmax with the axis rules before and after opset 13.
 */
import { tf, type Tensor } from '../../../tf'
import { alignHost, relayout, storedAxis } from '../layout'
import type { OpContext, OperatorSpec } from '../registry'
import { clip, normAxis } from './util'

function unary(fn: (t: Tensor, ctx: OpContext) => Tensor): OperatorSpec {
  return {
    build: (ctx) => {
      const x = ctx.input(0)
      return { outputs: [{ shape: x.shape, layout: x.layout }], run: ([t]) => [fn(t!, ctx)] }
    }
  }
}

/** Clip's bounds: attributes before opset 11, optional constant inputs from 11. */
function clipBounds(ctx: OpContext): [number, number] {
  if (ctx.opset < 11) return [ctx.attrFloat('min', -Infinity), ctx.attrFloat('max', Infinity)]
  const bound = (i: number, fallback: number): number => {
    if (!ctx.optional(i)) return fallback
    const h = ctx.host(i, i === 1 ? 'min' : 'max')
    if (h.data.length !== 1) ctx.fail(`Clip bound (input ${i + 1}) must be a scalar`)
    return Number(h.data[0])
  }
  return [bound(1, -Infinity), bound(2, Infinity)]
}

/**
 * Softmax along one axis. The last stored axis uses tf's kernels (and the project's
 * second-order gradients); any other axis is exp(x - max) / sum, which tf differentiates.
 */
function softmaxAlong(t: Tensor, axis: number, log: boolean): Tensor {
  if (axis === t.rank - 1) return log ? tf.logSoftmax(t) : tf.softmax(t)
  const shifted = tf.sub(t, tf.max(t, axis, true))
  const sum = tf.sum(tf.exp(shifted), axis, true)
  return log ? tf.sub(shifted, tf.log(sum)) : tf.div(tf.exp(shifted), sum)
}

function softmaxOp(log: boolean): OperatorSpec {
  return {
    build: (ctx) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      if (ctx.opset >= 13) {
        const axis = normAxis(ctx, ctx.attrInt('axis', -1), rank)
        const stored = storedAxis(axis, x.layout)
        return {
          outputs: [{ shape: x.shape, layout: x.layout }],
          run: ([t]) => [softmaxAlong(t!, stored, log)]
        }
      }
      // Before opset 13: the input is seen as 2-D [prod(dims < axis), prod(dims >= axis)].
      const axis = normAxis(ctx, ctx.attrInt('axis', 1), rank)
      if (axis === rank - 1) {
        const stored = storedAxis(axis, x.layout)
        return {
          outputs: [{ shape: x.shape, layout: x.layout }],
          run: ([t]) => [softmaxAlong(t!, stored, log)]
        }
      }
      if (axis === 0) ctx.fail('a softmax across the batch is not supported')
      return {
        outputs: [{ shape: x.shape, layout: 'plain' }],
        run: ([t]) => {
          const plain = relayout(t!, x, 'plain')
          const rows = plain.shape.slice(0, axis).reduce((a, b) => a * b, 1)
          const flat = tf.reshape(plain, [rows, -1])
          return [tf.reshape(softmaxAlong(flat, 1, log), plain.shape)]
        }
      }
    }
  }
}

export const activationOps: Record<string, OperatorSpec> = {
  Relu: unary((t) => tf.relu(t)),
  LeakyRelu: unary((t, ctx) => tf.leakyRelu(t, ctx.attrFloat('alpha', 0.01))),
  Sigmoid: unary((t) => tf.sigmoid(t)),
  Tanh: unary((t) => tf.tanh(t)),
  HardSigmoid: unary((t, ctx) =>
    tf.clipByValue(tf.add(tf.mul(t, ctx.attrFloat('alpha', 0.2)), ctx.attrFloat('beta', 0.5)), 0, 1)
  ),
  // x * relu6(x + 3) / 6 (opset 14).
  HardSwish: unary((t) => tf.mul(t, tf.div(tf.relu6(tf.add(t, 3)), 6))),
  Elu: unary((t, ctx) => {
    const alpha = ctx.attrFloat('alpha', 1)
    return alpha === 1
      ? tf.elu(t)
      : tf.where(tf.greater(t, 0), t, tf.mul(tf.sub(tf.exp(tf.minimum(t, 0)), 1), alpha))
  }),
  Softplus: unary((t) => tf.softplus(t)),
  Clip: {
    build: (ctx) => {
      const x = ctx.input(0)
      const [min, max] = clipBounds(ctx)
      if (min > max) ctx.fail(`min ${min} is above max ${max}`)
      return { outputs: [{ shape: x.shape, layout: x.layout }], run: ([t]) => [clip(t!, min, max)] }
    }
  },
  PRelu: {
    build: (ctx) => {
      const x = ctx.input(0)
      const slope = ctx.host(1, 'the slope')
      const alpha = ctx.constant(`slope:${x.layout}`, () => alignHost(slope, x.layout))
      return {
        outputs: [{ shape: x.shape, layout: x.layout }],
        run: ([t]) => [tf.prelu(t!, alpha)]
      }
    }
  },
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true)
}
