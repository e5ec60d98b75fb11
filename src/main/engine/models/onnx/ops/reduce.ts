/**
 * ReduceMean, ReduceSum, ReduceMax. Axes are an attribute before opset 18 (ReduceSum: 13)
 * and an optional constant input after. On an NHWC value the axes map to the stored ones; a
 * kept-dims result stays NHWC, a reduced one is re-ordered only if ONNX's order differs.
 */
import { tf, type Tensor } from '../../../tf'
import { layoutPerm, permute, storedAxis, type Layout } from '../layout'
import type { OpContext, OperatorSpec } from '../registry'
import { normAxis } from './util'

type Reducer = (t: Tensor, axes: number[], keep: boolean) => Tensor

function reduceOp(reducer: Reducer, axesInputSince: number): OperatorSpec {
  return {
    build: (ctx: OpContext) => {
      const x = ctx.input(0)
      const rank = x.shape.length
      const keep = ctx.attrInt('keepdims', 1) === 1
      let axes: number[]
      if (ctx.opset >= axesInputSince) {
        axes = ctx.optional(1) ? ctx.hostInts(1, 'axes') : []
        if (axes.length === 0 && ctx.attrInt('noop_with_empty_axes', 0) === 1) {
          return { outputs: [{ shape: x.shape, layout: x.layout }], run: ([t]) => [t!] }
        }
      } else {
        axes = ctx.attrInts('axes', [])
      }
      if (axes.length === 0) axes = Array.from({ length: rank }, (_, i) => i)
      axes = [...new Set(axes.map((a) => normAxis(ctx, a, rank)))].sort((p, q) => p - q)
      if (axes.includes(0)) ctx.fail('a reduction across the batch is not supported')
      const stored = axes.map((a) => storedAxis(a, x.layout)).sort((p, q) => p - q)
      const shape = keep
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i))
      if (keep)
        return { outputs: [{ shape, layout: x.layout }], run: ([t]) => [reducer(t!, stored, true)] }
      // The remaining stored axes, in stored order, name ONNX axes; restore ONNX's order.
      const remaining = layoutPerm(x.layout, rank).filter((a) => !axes.includes(a))
      const order = remaining.map((a) => [...remaining].sort((p, q) => p - q).indexOf(a))
      const perm = order.map((_, i) => order.indexOf(i))
      const layout: Layout = 'plain'
      return {
        outputs: [{ shape, layout }],
        run: ([t]) => [permute(reducer(t!, stored, false), perm)]
      }
    }
  }
}

export const reduceOps: Record<string, OperatorSpec> = {
  ReduceMean: reduceOp((t, axes, keep) => tf.mean(t, axes, keep), 18),
  ReduceSum: reduceOp((t, axes, keep) => tf.sum(t, axes, keep), 13),
  ReduceMax: reduceOp((t, axes, keep) => tf.max(t, axes, keep), 18)
}
