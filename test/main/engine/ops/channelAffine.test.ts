import { expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { loadNativeKernels } from '../../../../src/main/engine/kernels/nativeKernels'
import { channelAffine } from '../../../../src/main/engine/ops/channelAffine'
import { maxRelError } from '../../../helpers/compare'
import {
  describeNative,
  valuesAndDispose,
  withNativeKernelsOff
} from '../../../helpers/nativeSwitch'

const shapes: number[][] = [
  [7, 3],
  [2, 5, 6, 16],
  [3, 9, 7, 33]
]

/**
 * Values and gradients of f(x, scale, shift, v) = sum(v * g(x)) + sum(w * g(x)^2), with
 * g = relu(affine) fused or a ReLU after the affine map, then the gradients of a functional
 * of the first gradients. The linear term makes dy nonzero where the ReLU is off, and v
 * receives the second-order gradient that reaches dy directly: every input of both kernels
 * and of the ReLU gradient, masks included, is on the second-order path.
 */
function run(shape: number[], seed: number, relu: boolean, fused: boolean): tf.Tensor[] {
  const c = shape[shape.length - 1]!
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed)
    const scale = tf.randomNormal([c], 0, 1, 'float32', seed + 1)
    const shift = tf.randomNormal([c], 0, 0.5, 'float32', seed + 2)
    const v = tf.randomNormal(shape, 0, 1, 'float32', seed + 3)
    const w = tf.randomNormal(shape, 0, 1, 'float32', seed + 4)
    const u = tf.randomNormal(shape, 0, 1, 'float32', seed + 5)
    const g = (xx: tf.Tensor, s: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      fused ? channelAffine(xx, s, b, relu) : tf.relu(channelAffine(xx, s, b, false))
    const f = (xx: tf.Tensor, s: tf.Tensor, b: tf.Tensor, vv: tf.Tensor): tf.Scalar => {
      const y = g(xx, s, b)
      return tf.add(tf.sum(tf.mul(vv, y)), tf.sum(tf.mul(w, tf.square(y))))
    }
    const first = tf.grads(f)([x, scale, shift, v]).slice(0, 3)
    const second = tf.grads((xx: tf.Tensor, s: tf.Tensor, b: tf.Tensor, vv: tf.Tensor) => {
      const [gx, gs] = tf.grads(f)([xx, s, b, vv])
      return tf.add(tf.sum(tf.mul(gx!, u)), tf.sum(tf.square(gs!)))
    })([x, scale, shift, v])
    return [g(x, scale, shift), ...first, ...second]
  })
}

describeNative('native per-channel affine + ReLU and ReLU gradient equal the ops', () => {
  it('values, first- and second-order gradients, on wasm and cpu', async () => {
    const names = ['y', 'dx', 'dscale', 'dshift', 'd2x', 'd2scale', 'd2shift', 'd2v']
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend)
      for (const [relu, fused] of [
        [true, true],
        [false, true],
        [true, false]
      ] as const) {
        shapes.forEach((shape, i) => {
          const before = tf.memory().numTensors
          const native = valuesAndDispose(run(shape, 10 * i + 1, relu, fused))
          expect(tf.memory().numTensors).toBe(before)
          const ops = valuesAndDispose(
            withNativeKernelsOff(() => run(shape, 10 * i + 1, relu, fused))
          )
          names.forEach((name, k) => {
            const what = `${name} ${backend} relu=${relu} fused=${fused} [${shape}]`
            expect(maxRelError(native[k]!, ops[k]!), what).toBeLessThan(1e-5)
            expect(Math.max(...native[k]!.map(Math.abs)), what).toBeGreaterThan(1e-3)
          })
        })
      }
    }
    await initBackend('wasm')
  })

  it('masks by the ReLU: negative pre-activations pass no gradient', () => {
    const x = tf.tensor2d([
      [-2, 1],
      [3, -1]
    ])
    const dx = tf.grad((xx: tf.Tensor) =>
      tf.sum(channelAffine(xx, tf.tensor1d([1, -1]), tf.tensor1d([0, 0]), true))
    )(x)
    // y = relu([[-2, -1], [3, 1]]): only the second row's positions pass, scaled by [1, -1].
    expect(Array.from(dx.dataSync())).toEqual([0, 0, 1, -1])
    tf.dispose([x, dx])
  })

  it('refuse arrays that do not match', () => {
    const native = loadNativeKernels()!
    const f = (n: number): Float32Array => new Float32Array(n)
    const dims = Int32Array.of(4, 3)
    expect(() => native.channelAffine(f(12), f(3), f(2), f(12), dims, true)).toThrow(
      /shift: array size/
    )
    expect(() => native.maskedScale(f(12), f(11), null, f(12), dims)).toThrow(/mask: array size/)
    expect(() => native.maskedScale(f(12), null, null, f(12), Int32Array.of(4, -3))).toThrow(
      /invalid \[rows, channels\]/
    )
    expect(() => channelAffine(tf.zeros([4, 3]), tf.ones([3]), tf.zeros([4]), false)).toThrow(
      /per-channel inputs must be \[3\]/
    )
  })
})
