import { expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { ConvAffine, loadNativeKernels } from '../../../../src/main/engine/kernels/nativeKernels'
import { convAffine } from '../../../../src/main/engine/ops/convAffine'
import { maxRelError } from '../../../helpers/compare'
import {
  describeNative,
  valuesAndDispose,
  withNativeKernelsOff
} from '../../../helpers/nativeSwitch'

interface Case {
  n: number
  h: number
  ci: number
  co: number
  stride: number
  pad: 'same' | 'valid'
}

// One case per forward form of the native convolution, each applying the epilogue its own way:
// Winograd (3x3, stride 1, whole vectors of channels), the direct register tiles (stride 2),
// the dot-product kernels (few output channels).
const cases: Case[] = [
  { n: 2, h: 7, ci: 32, co: 32, stride: 1, pad: 'same' },
  { n: 2, h: 9, ci: 3, co: 16, stride: 2, pad: 'same' },
  { n: 3, h: 6, ci: 20, co: 3, stride: 1, pad: 'valid' }
]

/**
 * The output, the gradients of f = sum(v * g) + sum(w * g^2) with respect to x, filter, scale,
 * shift and the residual r, and the gradients of sum(u * df/dx) + sum((df/dscale)^2) + sum(df/dr
 * * u2): g = convAffine fused in one kernel (native on) or conv2d, channelAffine, add and relu
 * as ops (native off). Without a residual, r's entries are absent.
 */
function run(c: Case, seed: number, relu: boolean, withResidual: boolean): tf.Tensor[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([c.n, c.h, c.h, c.ci], 0, 1, 'float32', seed) as tf.Tensor4D
    const filter = tf.randomNormal([3, 3, c.ci, c.co], 0, 0.3, 'float32', seed + 1) as tf.Tensor4D
    const scale = tf.randomNormal([c.co], 0, 1, 'float32', seed + 2)
    const shift = tf.randomNormal([c.co], 0, 0.5, 'float32', seed + 3)
    const g = (
      xx: tf.Tensor,
      ff: tf.Tensor,
      s: tf.Tensor,
      b: tf.Tensor,
      r?: tf.Tensor
    ): tf.Tensor => convAffine(xx as tf.Tensor4D, ff as tf.Tensor4D, c.stride, c.pad, s, b, relu, r)
    const y0 = g(x, filter, scale, shift)
    const residual = tf.randomNormal(y0.shape, 0, 1, 'float32', seed + 7)
    const v = tf.randomNormal(y0.shape, 0, 1, 'float32', seed + 4)
    const w = tf.randomNormal(y0.shape, 0, 1, 'float32', seed + 5)
    const u = tf.randomNormal(x.shape, 0, 1, 'float32', seed + 6)
    const u2 = tf.randomNormal(y0.shape, 0, 1, 'float32', seed + 8)
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const [xx, ff, s, b, r] = args
      const y = g(xx!, ff!, s!, b!, withResidual ? r : undefined)
      return tf.add(tf.sum(tf.mul(v, y)), tf.sum(tf.mul(w, tf.square(y))))
    }
    const inputs = [x, filter, scale, shift, ...(withResidual ? [residual] : [])]
    const first = tf.grads(f)(inputs)
    const second = tf.grads((...args: tf.Tensor[]) => {
      const [gx, , gs, , gr] = tf.grads(f)(args)
      const sum = tf.add(tf.sum(tf.mul(gx!, u)), tf.sum(tf.square(gs!)))
      return gr ? tf.add(sum, tf.sum(tf.mul(gr, u2))) : sum
    })(inputs)
    return [g(x, filter, scale, shift, withResidual ? residual : undefined), ...first, ...second]
  })
}

describeNative(
  'convolution fused with the per-channel affine map (+ ReLU) equals conv2d then the map',
  () => {
    it('values, first- and second-order gradients, with and without a residual, on wasm and cpu', async () => {
      const names = ['y', 'dx', 'dfilter', 'dscale', 'dshift', 'dresidual']
      for (const backend of ['wasm', 'cpu'] as const) {
        await initBackend(backend)
        for (const [relu, withResidual] of [
          [true, false],
          [false, false],
          [true, true],
          [false, true]
        ] as const) {
          const labels = [
            ...names.slice(0, withResidual ? 6 : 5),
            ...names.slice(1, withResidual ? 6 : 5).map((n) => `d2 ${n}`)
          ]
          cases.forEach((c, i) => {
            const before = tf.memory().numTensors
            const fused = valuesAndDispose(run(c, 10 * i + 1, relu, withResidual))
            expect(tf.memory().numTensors).toBe(before)
            const ops = valuesAndDispose(
              withNativeKernelsOff(() => run(c, 10 * i + 1, relu, withResidual))
            )
            expect(fused.length).toBe(labels.length)
            labels.forEach((name, k) => {
              const what = `${name} ${backend} relu=${relu} residual=${withResidual} ${JSON.stringify(c)}`
              expect(maxRelError(fused[k]!, ops[k]!), what).toBeLessThan(1e-5)
              expect(Math.max(...fused[k]!.map(Math.abs)), what).toBeGreaterThan(1e-3)
            })
            // The ReLU is on: some outputs are exactly zero, the mask is not vacuous.
            if (relu) expect(fused[0]!.filter((y) => y === 0).length).toBeGreaterThan(10)
          })
        }
      }
      await initBackend('wasm')
    })

    it('runs as one kernel, and refuses a scale of the wrong length', async () => {
      const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D
      const filter = tf.ones([3, 3, 2, 3]) as tf.Tensor4D
      const scale = tf.tensor1d([1, 2, -1])
      const shift = tf.tensor1d([0, 1, 0])
      let y: number[] = []
      const info = await tf.profile(() => {
        const t = convAffine(x, filter, 1, 'same', scale, shift, true)
        y = Array.from(t.dataSync())
        t.dispose()
      })
      expect(info.kernels.map((k) => k.name)).toEqual([ConvAffine])
      // The corner sees 2x2 pixels of 2 channels, the centre 3x3: 8 and 18, then * scale +
      // shift and ReLU.
      expect(y.slice(0, 3)).toEqual([8, 17, 0])
      expect(y.slice(5 * 3, 5 * 3 + 3)).toEqual([18, 37, 0])
      // A residual of -17 everywhere, added before the ReLU: the corner's second channel is 0.
      const residual = tf.fill([1, 4, 4, 3], -17)
      const withResidual = convAffine(x, filter, 1, 'same', scale, shift, true, residual)
      expect(Array.from(withResidual.dataSync()).slice(0, 6)).toEqual([0, 0, 0, 0, 8, 0])
      expect(() =>
        convAffine(x, filter, 1, 'same', scale, shift, true, tf.ones([1, 4, 4, 2]))
      ).toThrow(/the residual is \[1,4,4,2\], the output \[1,4,4,3\]/)
      tf.dispose([residual, withResidual])
      expect(() => convAffine(x, filter, 1, 'same', tf.ones([2]), tf.zeros([3]), true)).toThrow(
        new RegExp(`${ConvAffine}: scale \\[2\\] and shift \\[3\\] need 3 values`)
      )
      // The binding itself, on a 1x4x4x2 -> 3 convolution: an epilogue of the wrong size.
      const native = loadNativeKernels()!
      const f = (n: number): Float32Array => new Float32Array(n)
      const shape = Int32Array.of(1, 4, 4, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4)
      expect(() => native.conv2d(f(32), f(54), f(48), shape, f(2), f(3))).toThrow(
        /one value per output channel/
      )
      expect(() => native.conv2d(f(32), f(54), f(48), shape, f(3), f(3), true, f(47))).toThrow(
        /the residual must have the output's size/
      )
      tf.dispose([x, filter, scale, shift])
    })
  }
)
