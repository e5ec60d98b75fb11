import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor, Tensor1D, Tensor3D, Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { buildModel, type Network } from '../../../../src/main/engine/models'
import {
  adaptiveAvgPool,
  adaptivePoolMatrix,
  nativeGridClassifier
} from '../../../../src/main/engine/saliency/nativeGrid'
import { cameras } from '../../../../src/main/engine/saliency/cameras'
import { SaliencyError } from '../../../../src/main/engine/saliency/errors'
import { normaliseMaps } from '../../../../src/main/engine/saliency/normalise'
import { stageGradients } from '../../../../src/main/engine/saliency/stageGradients'

beforeAll(async () => {
  await initBackend('cpu')
})

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  expect(a.length).toBe(b.length)
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol)
}

describe('adaptive average pooling (PyTorch AdaptiveAvgPool bins)', () => {
  it('builds the bin matrices, overlapping when the ratio is not an integer', () => {
    close(adaptivePoolMatrix(4, 2), [0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5])
    // 5 → 3: bins [0,2), [1,4), [3,5)
    close(adaptivePoolMatrix(5, 3), [
      0.5,
      0.5,
      0,
      0,
      0,
      0,
      1 / 3,
      1 / 3,
      1 / 3,
      0,
      0,
      0,
      0,
      0.5,
      0.5
    ])
  })

  it('equals 2×2 average pooling for an exact halving and is the identity at the native size', () => {
    const x = tf.randomUniform([2, 6, 4, 3], -1, 1, 'float32', 4) as Tensor4D
    const pooled = adaptiveAvgPool(x, [3, 2])
    const ref = tf.avgPool(x, 2, 2, 'valid')
    expect(pooled.shape).toEqual([2, 3, 2, 3])
    close(pooled.dataSync(), ref.dataSync())
    expect(adaptiveAvgPool(x, [6, 4])).toBe(x)
    tf.dispose([x, pooled, ref])
  })
})

describe('CAMERAS on a flatten-head cnn (adaptive-pool variant)', () => {
  let net: Network
  let x: Tensor4D
  let stage: string
  beforeAll(() => {
    net = buildModel('cnn', [8, 8, 1], 4, { seed: 3 })
    x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 9) as Tensor4D
    stage = net.featureStages().at(-1)!
  })

  it('is refused by default with a clear SaliencyError', () => {
    expect(net.acceptsAnyInputSize()).toBe(false)
    expect(() => cameras(net, x)).toThrow(SaliencyError)
    expect(() => cameras(net, x)).toThrow(/fixed-size head/)
  })

  it('the adapted model equals the cnn at its native size and only exposes the last stage', () => {
    const adapted = nativeGridClassifier(net)
    expect(adapted.acceptsAnyInputSize()).toBe(true)
    expect(adapted.featureStages()).toEqual([stage])
    const a = adapted.predictLogits(x)
    const b = net.predictLogits(x)
    close(a.dataSync(), b.dataSync())
    expect(() => adapted.forwardTo('conv1', x)).toThrow(SaliencyError)
    tf.dispose([a, b])
  })

  it('spreads the class-logit gradient evenly over each pooled bin (exact adjoint)', () => {
    const adapted = nativeGridClassifier(net)
    const native = tf.tidy(() => net.forwardTo(stage, x)) as Tensor4D // [2, 2, 2, 64]
    const [n, gh, gw, c] = native.shape
    // A 2× larger activation, as an input twice the size would produce.
    const big = tf.randomUniform([n, gh * 2, gw * 2, c], 0, 1, 'float32', 11) as Tensor4D
    const classes = tf.tensor1d([1, 3], 'int32') as Tensor1D
    const oneHot = tf.oneHot(classes, 4).toFloat()
    const gBig = tf.grad((a: Tensor) => tf.sum(tf.mul(adapted.forwardFrom(stage, a), oneHot)))(big)
    const pooled = tf.avgPool(big, 2, 2, 'valid')
    const gNative = tf.grad((a: Tensor) => tf.sum(tf.mul(net.forwardFrom(stage, a), oneHot)))(
      pooled
    )
    const expected = tf.div(
      tf.image.resizeNearestNeighbor(gNative as Tensor4D, [gh * 2, gw * 2]),
      4
    )
    close(gBig.dataSync(), expected.dataSync(), 1e-6)
    expect(Math.max(...Array.from(tf.abs(gBig).dataSync()))).toBeGreaterThan(0)
    tf.dispose([native, big, classes, oneHot, gBig, pooled, gNative, expected])
  })

  it('at the native scale alone equals ReLU(Σ_k up(A_k)·up(G_k)) of the unmodified cnn', () => {
    const got = cameras(net, x, { fixedSizeHead: 'adaptive-pool', scales: [8] })
    const expected = tf.tidy(() => {
      const classes = tf.argMax(net.predictLogits(x), 1) as Tensor1D
      const { activation, gradient } = stageGradients(net, stage, x, classes)
      const up = (t: Tensor4D): Tensor4D => tf.image.resizeBilinear(t, [8, 8], false, true)
      return normaliseMaps(tf.relu(tf.sum(tf.mul(up(activation), up(gradient)), 3)) as Tensor3D)
    })
    close(got.dataSync(), expected.dataSync(), 1e-5)
    tf.dispose([got, expected])
  })

  it('runs over the default scales: [N, H, W] in [0, 1], not constant, no leaked tensors', () => {
    const before = tf.memory().numTensors
    const map = cameras(net, x, { fixedSizeHead: 'adaptive-pool' })
    expect(map.shape).toEqual([2, 8, 8])
    const v = Array.from(map.dataSync())
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...v)).toBeLessThanOrEqual(1)
    expect(Math.max(...v) - Math.min(...v)).toBeGreaterThan(0.5)
    map.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
