import { afterAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { avgPoolGradOps, maxPoolGradOps } from '../../../../src/main/engine/kernels/poolGradOps'
import { expectGradientMatchesFiniteDifferences } from '../gradients/finiteDifference'

type Pad = 'same' | 'valid'
const configs: { shape: [number, number, number, number]; k: number; s: number; pad: Pad }[] = [
  { shape: [2, 6, 6, 3], k: 2, s: 2, pad: 'valid' },
  { shape: [1, 7, 5, 2], k: 2, s: 2, pad: 'valid' },
  { shape: [1, 7, 5, 2], k: 3, s: 2, pad: 'same' },
  { shape: [1, 6, 6, 2], k: 3, s: 1, pad: 'same' },
  { shape: [1, 8, 8, 1], k: 3, s: 2, pad: 'valid' },
  { shape: [1, 7, 7, 2], k: 2, s: 2, pad: 'same' }
]

function stockMaxPoolGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  k: number,
  s: number,
  pad: Pad
): tf.Tensor {
  const y = tf.maxPool(x, k, s, pad)
  return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, {
    filterSize: k,
    strides: s,
    pad
  } as unknown as tf.NamedAttrMap) as tf.Tensor
}

describe('pooling gradients as ops', () => {
  afterAll(async () => {
    await initBackend('cpu')
  })

  // The reference is always the cpu backend's stock kernel: wasm's own MaxPoolGrad was
  // measured dropping gradient entries (1x4x4x1, 2x2/2 valid), so it is no reference.
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`maxPool gradient equals the stock cpu MaxPoolGrad kernel on tie-free input (${backend})`, async () => {
      await initBackend('cpu')
      const refs = configs.map((c) =>
        tf.tidy(() => {
          const x = tf.randomNormal(c.shape, 0, 1, 'float32', 3) as tf.Tensor4D
          const dy = tf.randomNormal(
            tf.maxPool(x, c.k, c.s, c.pad).shape,
            0,
            1,
            'float32',
            4
          ) as tf.Tensor4D
          const g = stockMaxPoolGrad(dy, x, c.k, c.s, c.pad)
          return { x: x.dataSync(), dy: dy.dataSync(), dyShape: dy.shape, g: g.dataSync() }
        })
      )
      await initBackend(backend)
      configs.forEach((c, i) => {
        const r = refs[i]!
        tf.tidy(() => {
          const x = tf.tensor4d(r.x, c.shape)
          const dy = tf.tensor(r.dy, r.dyShape) as tf.Tensor4D
          const diff = tf.max(
            tf.abs(tf.sub(maxPoolGradOps(dy, x, c.k, c.s, c.pad), tf.tensor(r.g, c.shape)))
          )
          expect(diff.dataSync()[0], JSON.stringify(c)).toBeLessThan(1e-6)
        })
      })
    })
  }

  it('maxPool gradient equals the stock cpu kernel (first maximum in scan order) on input full of ties', async () => {
    // Values in {0, 1, 2}: most windows hold tied maxima, as flat backgrounds and dead ReLUs do.
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend('cpu')
      const refs = configs.map((c) =>
        tf.tidy(() => {
          const x = tf.floor(tf.randomUniform(c.shape, 0, 3, 'float32', 7)) as tf.Tensor4D
          const dy = tf.randomNormal(
            tf.maxPool(x, c.k, c.s, c.pad).shape,
            0,
            1,
            'float32',
            8
          ) as tf.Tensor4D
          return {
            x: x.dataSync(),
            dy: dy.dataSync(),
            dyShape: dy.shape,
            g: stockMaxPoolGrad(dy, x, c.k, c.s, c.pad).dataSync()
          }
        })
      )
      await initBackend(backend)
      configs.forEach((c, i) => {
        const r = refs[i]!
        tf.tidy(() => {
          const ours = maxPoolGradOps(
            tf.tensor(r.dy, r.dyShape) as tf.Tensor4D,
            tf.tensor4d(r.x, c.shape),
            c.k,
            c.s,
            c.pad
          )
          // Overlapping windows add several dy into one pixel, in another order than the
          // kernel: rounding only. A tie given to the wrong pixel would be off by a whole dy.
          const diff = tf.max(tf.abs(tf.sub(ours, tf.tensor(r.g, c.shape)))).dataSync()[0]!
          expect(diff, `${backend} ${JSON.stringify(c)}`).toBeLessThan(1e-6)
        })
      })
    }
  })

  it('at a tie the first maximum in scan order takes all of dy; the split rule shares it', async () => {
    await initBackend('cpu')
    // Window rows [1, 3 | 3, 3] (2x2/2): the maximum 3 first appears at the top right.
    const x = tf.tensor4d([1, 3, 3, 3], [1, 2, 2, 1])
    const dy = tf.ones([1, 1, 1, 1]) as tf.Tensor4D
    expect(Array.from(maxPoolGradOps(dy, x, 2, 2, 'valid').dataSync())).toEqual([0, 1, 0, 0])
    expect(Array.from(maxPoolGradOps(dy, x, 2, 2, 'valid', undefined, 'split').dataSync())).toEqual(
      [0, 1 / 3, 1 / 3, 1 / 3].map(Math.fround)
    )
    // The same through the overlapping route (3x3/1 'same' over a constant image): every
    // window's first real pixel takes its dy (padding never wins).
    const flat = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D
    const g = maxPoolGradOps(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, flat, 3, 1, 'same').dataSync()
    // Windows centred at (r, c) start at (max(r-1, 0), max(c-1, 0)).
    expect(Array.from(g)).toEqual([4, 2, 0, 2, 1, 0, 0, 0, 0])
  })

  it('avgPool gradient matches finite differences, including the same-padding border divisor', async () => {
    await initBackend('cpu')
    for (const c of configs) {
      const x = tf.randomNormal(c.shape, 0, 1, 'float32', 5) as tf.Tensor4D
      const r = tf.randomNormal(tf.avgPool(x, c.k, c.s, c.pad).shape, 0, 1, 'float32', 6)
      expectGradientMatchesFiniteDifferences(
        (xx) => tf.sum(tf.mul(r, tf.avgPool(xx as tf.Tensor4D, c.k, c.s, c.pad))) as tf.Scalar,
        x,
        {
          count: 8
        }
      )
    }
  })

  it('the stock AvgPoolGrad kernel is wrong at same-padding borders; ours is exact', async () => {
    await initBackend('cpu')
    // 3x3 input, 3x3 window, stride 1, same: the corner output averages 4 real inputs.
    const x = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D
    const dy = tf.tensor4d([1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 3, 3, 1])
    const ours = avgPoolGradOps(dy, x, 3, 1, 'same').dataSync()
    expect(ours[0]).toBeCloseTo(0.25, 6)
    const stock = (
      tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, {
        filterSize: 3,
        strides: 1,
        pad: 'same'
      } as unknown as tf.NamedAttrMap) as tf.Tensor
    ).dataSync()
    expect(stock[0]).toBeCloseTo(1 / 9, 6)
  })
})
