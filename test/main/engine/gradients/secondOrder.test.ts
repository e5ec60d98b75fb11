import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { tanhGradConfig } from '../../../../src/main/engine/gradients/Tanh_grad'
import { expGradConfig } from '../../../../src/main/engine/gradients/Exp_grad'
import { logSoftmax } from '../../../../src/main/engine/ops/crossEntropy'
import {
  centralDifferences,
  closeness,
  directionalInputGradient,
  expectGradientMatchesFiniteDifferences,
  expectNonTrivial,
  analyticGradient,
  pickCoords
} from './finiteDifference'

type F = (x: tf.Tensor, w: tf.Tensor) => tf.Scalar

interface Case {
  name: string
  xShape: number[]
  wShape: number[]
  f: F
  /** Inputs drawn from [lo, hi] instead of N(0,1) (e.g. positive for sqrt). */
  range?: [number, number]
  eps?: number
}

const weighted = (t: tf.Tensor, seed = 7): tf.Scalar =>
  tf.sum(tf.mul(t, tf.randomNormal(t.shape, 0, 1, 'float32', seed))) as tf.Scalar

const elementwise = (
  name: string,
  g: (z: tf.Tensor) => tf.Tensor,
  range?: [number, number]
): Case => ({
  name,
  xShape: [3, 4],
  wShape: [3, 4],
  f: (x, w) => weighted(g(tf.mul(x, w))),
  range
})

const pool4 = (x: tf.Tensor, w: tf.Tensor): tf.Tensor4D =>
  tf.mul(x, w).reshape(x.shape as [number, number, number, number]) as tf.Tensor4D

const cases: Case[] = [
  elementwise('exp', tf.exp),
  elementwise('log', (z) => tf.square(tf.log(z)), [0.5, 1.5]),
  elementwise('tanh', tf.tanh),
  elementwise('sigmoid', tf.sigmoid),
  elementwise('relu', (z) => tf.square(tf.relu(z))),
  elementwise('sqrt', tf.sqrt, [0.5, 1.5]),
  elementwise('rsqrt', tf.rsqrt, [0.5, 1.5]),
  elementwise('softmax', (z) => tf.softmax(z)),
  elementwise('logSoftmax (ours)', (z) => logSoftmax(z as tf.Tensor2D)),
  elementwise('add/sub/mul/div', (z) => tf.div(tf.sub(tf.mul(z, z), 1), tf.add(tf.square(z), 2))),
  elementwise('sum/mean', (z) => tf.concat([tf.square(tf.sum(z, 1)), tf.square(tf.mean(z, 0))])),
  elementwise('max', (z) => tf.square(tf.max(z, 1))),
  {
    // Batch norm's statistics: Mean and Sum over N, H, W with keepDims (Reduce_grad.ts).
    name: 'batch-norm moments',
    xShape: [2, 3, 3, 2],
    wShape: [2, 3, 3, 2],
    f: (x, w) => {
      const z = tf.mul(x, w)
      const centred = tf.sub(z, tf.mean(z, [0, 1, 2], true))
      const variance = tf.div(tf.sum(tf.square(centred), [0, 1, 2], true), 18)
      return weighted(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-3))))
    }
  },
  elementwise('reshape/transpose', (z) => tf.square(tf.transpose(tf.reshape(z, [2, 6])))),
  elementwise('pad/slice', (z) =>
    tf.square(
      tf.slice(
        tf.pad(z, [
          [1, 0],
          [0, 2]
        ]),
        [1, 1],
        [2, 4]
      )
    )
  ),
  {
    name: 'squaredDifference',
    xShape: [3, 4],
    wShape: [3, 4],
    f: (x, w) => weighted(tf.square(tf.squaredDifference(x, w)))
  },
  {
    name: 'matMul',
    xShape: [3, 5],
    wShape: [5, 4],
    f: (x, w) => weighted(tf.tanh(tf.matMul(x, w)))
  },
  {
    name: 'maxPool 2x2/2 valid',
    xShape: [2, 6, 6, 3],
    wShape: [2, 6, 6, 3],
    f: (x, w) => weighted(tf.square(tf.maxPool(pool4(x, w), 2, 2, 'valid'))),
    eps: 2e-3
  },
  {
    name: 'maxPool 3x3/2 same (odd size)',
    xShape: [1, 7, 5, 2],
    wShape: [1, 7, 5, 2],
    f: (x, w) => weighted(tf.square(tf.maxPool(pool4(x, w), 3, 2, 'same'))),
    eps: 2e-3
  },
  {
    name: 'avgPool 2x2/2 valid',
    xShape: [2, 6, 6, 3],
    wShape: [2, 6, 6, 3],
    f: (x, w) => weighted(tf.square(tf.avgPool(pool4(x, w), 2, 2, 'valid')))
  },
  {
    name: 'avgPool 3x3/1 same',
    xShape: [1, 5, 6, 2],
    wShape: [1, 5, 6, 2],
    f: (x, w) => weighted(tf.square(tf.avgPool(pool4(x, w), 3, 1, 'same')))
  },
  {
    name: 'conv2d 3x3/1 same',
    xShape: [2, 6, 6, 3],
    wShape: [3, 3, 3, 4],
    f: (x, w) => weighted(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))
  },
  {
    name: 'conv2d 3x3/2 same (odd size)',
    xShape: [2, 7, 7, 2],
    wShape: [3, 3, 2, 3],
    f: (x, w) => weighted(tf.tanh(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')))
  },
  {
    name: 'conv2d 2x2/2 valid (odd size)',
    xShape: [1, 7, 5, 2],
    wShape: [2, 2, 2, 3],
    f: (x, w) => weighted(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid')))
  }
]

function draw(shape: number[], seed: number, range?: [number, number]): tf.Tensor {
  return range
    ? tf.randomUniform(shape, range[0], range[1], 'float32', seed)
    : tf.randomNormal(shape, 0, 1, 'float32', seed)
}

/** Checks d/dw [v . grad_x f(x, w)] against central differences; returns the closeness score. */
function secondOrderScore(c: Case, seed = 3): { score: number; analytic: number[] } {
  const x = draw(c.xShape, seed, c.range)
  const w = draw(c.wShape, seed + 1, c.range)
  const v = tf.randomNormal(c.xShape, 0, 1, 'float32', seed + 2)
  const h = directionalInputGradient(c.f, x, v)
  const coords = pickCoords(w.size, 5, seed)
  const analytic = analyticGradient(h, w, coords)
  const numeric = centralDifferences(h, w, coords, c.eps ?? 1e-2)
  tf.dispose([x, w, v])
  return { score: closeness(analytic, numeric), analytic }
}

describe('gradients are correct at second order (cpu)', () => {
  beforeAll(async () => {
    await initBackend('cpu')
  })

  for (const c of cases) {
    it(`${c.name}: first order matches finite differences`, () => {
      const x = draw(c.xShape, 11, c.range)
      const w = draw(c.wShape, 12, c.range)
      const { analytic } = expectGradientMatchesFiniteDifferences((ww) => c.f(x, ww), w, {
        count: 5,
        eps: c.eps
      })
      expectNonTrivial(analytic)
      tf.dispose([x, w])
    })

    it(`${c.name}: d/dw [v . grad_x f] matches finite differences`, () => {
      const before = tf.memory().numTensors
      const { score, analytic } = secondOrderScore(c)
      expect(score).toBeLessThanOrEqual(1)
      if (c.name !== 'squaredDifference' && c.name !== 'max') expectNonTrivial(analytic)
      expect(tf.memory().numTensors).toBe(before)
    })
  }
})

describe('the harness catches the stock output-reusing gradients (tfjs #3252)', () => {
  beforeAll(async () => {
    await initBackend('cpu')
  })
  afterAll(() => {
    // Put our gradients back whatever happened.
    tf.registerGradient(tanhGradConfig)
    tf.registerGradient(expGradConfig)
  })

  // Verbatim copies of tfjs 4.22's gradients: they multiply by the saved OUTPUT.
  const stockTanh: tf.GradConfig = {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(tf.sub(1, tf.square(y!)), dy as tf.Tensor) })
  }
  const stockExp: tf.GradConfig = {
    kernelName: tf.Exp,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, y!) })
  }

  it('tf.logSoftmax (a customGrad op) is wrong at second order; ours is not', () => {
    const stock: Case = {
      name: 'tf.logSoftmax',
      xShape: [3, 4],
      wShape: [3, 4],
      f: (x, w) => weighted(tf.logSoftmax(tf.mul(x, w)))
    }
    expect(secondOrderScore(stock).score).toBeGreaterThan(3)
  })

  it('stock tanh and exp gradients fail the second-order check that ours pass', () => {
    const tanhCase = cases.find((c) => c.name === 'tanh')!
    const expCase = cases.find((c) => c.name === 'exp')!
    const warn = console.warn
    console.warn = () => {}
    try {
      tf.registerGradient(stockTanh)
      tf.registerGradient(stockExp)
      expect(secondOrderScore(tanhCase).score).toBeGreaterThan(3)
      expect(secondOrderScore(expCase).score).toBeGreaterThan(3)
      tf.registerGradient(tanhGradConfig)
      tf.registerGradient(expGradConfig)
    } finally {
      console.warn = warn
    }
    expect(secondOrderScore(tanhCase).score).toBeLessThanOrEqual(1)
    expect(secondOrderScore(expCase).score).toBeLessThanOrEqual(1)
  })
})
