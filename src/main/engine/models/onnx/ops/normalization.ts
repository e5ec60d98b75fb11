/**
 * BatchNormalization in inference: folded at build time to y = x * scale + shift per channel
 * (scale = γ / sqrt(var + ε), shift = β - mean * scale) and run as the engine's channelAffine
 * (one native pass, ReLU fused when a Relu follows): the same kernel the zoo's batch norms use.
 */
import { tf } from '../../../tf'
import { channelAffine } from '../../../ops/channelAffine'
import { numbersOf, type HostTensor } from '../hostTensor'
import { relayout } from '../layout'
import type { OperatorSpec } from '../registry'
import { applyActivation } from './util'

function floats(h: HostTensor, what: string): Float64Array {
  return Float64Array.from(h.dtype === 'float32' ? h.data : numbersOf(h, what))
}

export const normalizationOps: Record<string, OperatorSpec> = {
  BatchNormalization: {
    fuses: ['relu', 'clip'],
    build: (ctx) => {
      const x = ctx.input(0)
      if (ctx.opset >= 14 && ctx.attrInt('training_mode', 0) !== 0)
        ctx.fail('training_mode = 1 is not supported (inference only)')
      if (ctx.node.outputs.slice(1).some((o) => o !== ''))
        ctx.fail('the running-statistics outputs (training) are not supported')
      const c = x.shape[1]
      if (typeof c !== 'number' || x.shape.length < 2)
        ctx.fail(`needs [N, C, …] input, got [${x.shape.join(', ')}]`)
      const channels = c as number
      const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => {
        const v = floats(ctx.host(i, ['scale', 'B', 'mean', 'var'][i - 1]!), `input ${i + 1}`)
        if (v.length !== channels)
          ctx.fail(`input ${i + 1} has ${v.length} values for ${channels} channels`)
        return v
      }) as [Float64Array, Float64Array, Float64Array, Float64Array]
      const epsilon = ctx.attrFloat('epsilon', 1e-5)
      const scale = new Float32Array(channels)
      const shift = new Float32Array(channels)
      for (let i = 0; i < channels; i++) {
        scale[i] = gamma[i]! / Math.sqrt(variance[i]! + epsilon)
        shift[i] = beta[i]! - mean[i]! * scale[i]!
      }
      const scaleT = ctx.constant('scale', () => tf.tensor1d(scale))
      const shiftT = ctx.constant('shift', () => tf.tensor1d(shift))
      const rank = x.shape.length
      // Channels are the last stored axis for NHWC maps and for [N, C]; otherwise broadcast.
      const channelsLast = x.shape.length === 4 || rank === 2
      const fusedRelu = ctx.fused?.kind === 'relu'
      const bshape = [channels, ...new Array<number>(Math.max(0, rank - 2)).fill(1)]
      return {
        outputs: [{ shape: x.shape, layout: rank === 4 ? 'nhwc' : 'plain' }],
        run: ([t]) => {
          if (channelsLast) {
            const y = channelAffine(relayout(t!, x, 'nhwc'), scaleT, shiftT, fusedRelu)
            return [fusedRelu ? y : applyActivation(y, ctx.fused)]
          }
          const y = tf.add(tf.mul(t!, tf.reshape(scaleT, bshape)), tf.reshape(shiftT, bshape))
          return [applyActivation(y, ctx.fused)]
        }
      }
    }
  }
}
