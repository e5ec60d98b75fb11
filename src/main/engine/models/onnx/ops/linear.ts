/**
 * Gemm (a dense layer: alpha · A'B' + beta · C) and MatMul (numpy semantics). A constant
 * right-hand side is transposed and scaled once at build time; a MatMul of a higher-rank
 * input by a constant matrix runs as one 2-D product over the flattened leading axes.
 */
import { tf, type Tensor, type Tensor2D } from '../../../tf'
import { channelAffine } from '../../../ops/channelAffine'
import { numbersOf } from '../hostTensor'
import { relayout } from '../layout'
import type { OperatorSpec } from '../registry'
import { applyActivation, fixed } from './util'

export const linearOps: Record<string, OperatorSpec> = {
  Gemm: {
    fuses: ['relu', 'clip'],
    build: (ctx) => {
      const a = ctx.input(0)
      const b = ctx.input(1)
      if (a.shape.length !== 2) ctx.fail(`A must be 2-D, got [${a.shape.join(', ')}]`)
      const alpha = ctx.attrFloat('alpha', 1)
      const beta = ctx.attrFloat('beta', 1)
      const transA = ctx.attrInt('transA', 0) === 1
      const transB = ctx.attrInt('transB', 0) === 1
      if (transA) ctx.fail('transA = 1 would mix the batch with the features; not supported')
      const k = fixed(ctx, a.shape[1]!, 'the feature count')
      if (b.shape.length !== 2) ctx.fail(`B must be 2-D, got [${b.shape.join(', ')}]`)
      const [bk, n] = (transB ? [b.shape[1], b.shape[0]] : b.shape) as [number, number]
      if (bk !== k) ctx.fail(`A has ${k} features, B expects ${bk}`)
      const kernel = b.host
        ? ctx.constant('kernel', () => {
            const w = ctx.constantInput(1)
            const t = transB ? tf.transpose(w) : w
            return alpha === 1 ? tf.clone(t) : tf.mul(t, alpha)
          })
        : undefined
      const c = ctx.optional(2)
      let bias: Tensor | undefined
      if (c) {
        if (!c.host) ctx.fail('a computed C is not supported')
        const h = c.host!
        const values = h.dtype === 'float32' ? h.data : Float32Array.from(numbersOf(h, 'C'))
        const dims = h.dims.length === 2 && h.dims[0] === 1 ? [h.dims[1]!] : h.dims
        if (!(dims.length <= 1 && (values.length === 1 || values.length === n))) {
          ctx.fail(`C of shape [${h.dims.join(', ')}] is not a per-output bias of ${n}`)
        }
        bias = ctx.constant('bias', () =>
          tf.mul(values.length === 1 ? tf.fill([n], values[0]!) : tf.tensor1d(values), beta)
        )
      }
      const relu = ctx.fused?.kind === 'relu'
      const ones = (): Tensor => ctx.constant('ones', () => tf.ones([n]))
      return {
        outputs: [{ shape: [a.shape[0]!, n], layout: 'plain' }],
        run: ([ta, tb]) => {
          const x = relayout(ta!, a, 'plain') as Tensor2D
          let y: Tensor = kernel
            ? tf.matMul(x, kernel as Tensor2D)
            : tf.mul(tf.matMul(x, tb as Tensor2D, false, transB), alpha)
          if (relu && bias) return [channelAffine(y, ones(), bias, true)]
          if (bias) y = tf.add(y, bias)
          return [applyActivation(y, ctx.fused)]
        }
      }
    }
  },
  MatMul: {
    build: (ctx) => {
      const a = ctx.input(0)
      const b = ctx.input(1)
      if (a.shape.length < 2 || b.shape.length < 2)
        ctx.fail('1-D MatMul operands are not supported')
      const k = a.shape[a.shape.length - 1]
      if (b.host && b.shape.length === 2) {
        const [bk, n] = b.shape as [number, number]
        if (k !== bk) ctx.fail(`inner sizes differ: ${String(k)} and ${bk}`)
        const kernel = ctx.constantInput(1) as Tensor2D
        return {
          outputs: [{ shape: [...a.shape.slice(0, -1), n], layout: 'plain' }],
          run: ([ta]) => {
            const x = relayout(ta!, a, 'plain')
            if (x.rank === 2) return [tf.matMul(x as Tensor2D, kernel)]
            const flat = tf.reshape(x, [-1, bk]) as Tensor2D
            return [tf.reshape(tf.matMul(flat, kernel), [...x.shape.slice(0, -1), n])]
          }
        }
      }
      if (a.shape.length !== b.shape.length)
        ctx.fail('MatMul of operands of different ranks is not supported')
      const batchA = a.shape.slice(0, -2)
      const batchB = b.shape.slice(0, -2)
      if (batchA.some((d, i) => d !== batchB[i]))
        ctx.fail(`batch dimensions [${batchA}] and [${batchB}] differ`)
      if (k !== b.shape[b.shape.length - 2]) ctx.fail('inner sizes differ')
      return {
        outputs: [
          { shape: [...a.shape.slice(0, -1), b.shape[b.shape.length - 1]!], layout: 'plain' }
        ],
        run: ([ta, tb]) => [tf.matMul(relayout(ta!, a, 'plain'), relayout(tb!, b, 'plain'))]
      }
    }
  }
}
