/**
 * Add, Sub, Mul, Div with numpy broadcasting. A 4-D result stays NHWC when an operand is NHWC
 * (the other operand is padded to rank 4 and permuted the same way; constants once, at build
 * time). Two constants fold at import, integers included (shape arithmetic).
 */
import { tf, type Tensor } from '../../../tf'
import { alignHost, alignOperand, broadcastShapes, type Layout } from '../layout'
import type { OperatorSpec } from '../registry'
import { arith, hostBinary, type ArithOp } from './hostOps'

const TF: Record<ArithOp, (a: Tensor, b: Tensor) => Tensor> = {
  Add: (a, b) => tf.add(a, b),
  Sub: (a, b) => tf.sub(a, b),
  Mul: (a, b) => tf.mul(a, b),
  Div: (a, b) => tf.div(a, b)
}

function binary(op: ArithOp): OperatorSpec {
  return {
    build: (ctx) => {
      const a = ctx.input(0)
      const b = ctx.input(1)
      if (a.host && b.host) {
        const integer = a.host.dtype !== 'float32' && b.host.dtype !== 'float32'
        const r = hostBinary(ctx, a.host, b.host, arith(ctx, op, integer))
        const host = integer
          ? { dtype: 'int64' as const, dims: r.dims, data: r.data }
          : { dtype: 'float32' as const, dims: r.dims, data: Float32Array.from(r.data as number[]) }
        return { outputs: [{ shape: r.dims, layout: 'plain', host }] }
      }
      const shape = broadcastShapes(a.shape, b.shape)
      if (!shape)
        ctx.fail(`shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not broadcast`)
      const layout: Layout =
        shape!.length === 4 && (a.layout === 'nhwc' || b.layout === 'nhwc') ? 'nhwc' : 'plain'
      const operand = (i: 0 | 1) => {
        const v = i === 0 ? a : b
        if (v.host) {
          const h = v.host
          const c = ctx.constant(`operand${i}:${layout}`, () => alignHost(h, layout))
          return (): Tensor => c
        }
        return (t: Tensor | undefined): Tensor => alignOperand(t!, v, layout)
      }
      const left = operand(0)
      const right = operand(1)
      return {
        outputs: [{ shape: shape!, layout }],
        run: ([ta, tb]) => [TF[op](left(ta), right(tb))]
      }
    }
  }
}

export const arithmeticOps: Record<string, OperatorSpec> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div')
}
