import { afterAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  loadNativeKernels,
  nativeKernelStatus,
  setNativeKernels
} from '../../../../src/main/engine/kernels/nativeKernels'
import { batchNormTrain, batchNormTrainOps } from '../../../../src/main/engine/ops/batchNorm'
import { maxRelError } from '../../../helpers/compare'
import {
  describeNative,
  valuesAndDispose,
  withNativeKernelsOff
} from '../../../helpers/nativeSwitch'

const EPS = 1e-3

// Rank 2 and 4; channel counts with vector tails; more rows than one 512-row chunk (and not a
// multiple of it); a channel whose mean is large against its spread.
const shapes: number[][] = [
  [6, 5],
  [3, 5, 7, 3],
  [4, 13, 11, 16],
  [2, 17, 19, 33]
]

interface Inputs {
  x: tf.Tensor
  gamma: tf.Tensor
  beta: tf.Tensor
}

function inputs(shape: number[], seed: number): Inputs {
  const c = shape[shape.length - 1]!
  // Channel c has mean 10c and spread 0.5 + c/10: the shifted-sum variance must stay exact.
  const offset = tf.mul(tf.range(0, c), 10)
  const spread = tf.add(tf.mul(tf.range(0, c), 0.1), 0.5)
  const x = tf.tidy(() =>
    tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), spread), offset)
  )
  tf.dispose([offset, spread])
  return {
    x,
    gamma: tf.randomNormal([c], 1, 0.5, 'float32', seed + 1),
    beta: tf.randomNormal([c], 0, 0.5, 'float32', seed + 2)
  }
}

/**
 * First- and second-order gradients through batch norm. L1 = sum(w * y^2) makes dy depend on
 * x; L2 mixes all three first-order gradients (so the second-order pass gets upstream
 * gradients for dx, dgamma and dbeta alike) and is differentiated w.r.t. x, gamma and beta.
 */
function gradients(
  d: Inputs,
  w: tf.Tensor,
  u: tf.Tensor,
  route: typeof batchNormTrain
): tf.Tensor[] {
  return tf.tidy(() => {
    const l1 = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(w, tf.square(route(x, gamma, beta, EPS).y)))
    const first = tf.grads(l1)([d.x, d.gamma, d.beta])
    const second = tf.grads((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const [gx, gg, gb] = tf.grads(l1)([x, gamma, beta])
      return tf.addN([
        tf.sum(tf.mul(gx!, u)),
        tf.sum(tf.square(gx!)),
        tf.sum(tf.mul(gg!, gb!)),
        tf.sum(tf.square(gg!))
      ])
    })([d.x, d.gamma, d.beta])
    return [...first, ...second]
  })
}

describeNative('native batch norm equals the ops route', () => {
  it('forward: output, batch mean and variance, on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend)
      shapes.forEach((shape, i) => {
        const d = inputs(shape, 100 + 5 * i)
        const run = (): Float32Array[] => {
          const r = batchNormTrain(d.x, d.gamma, d.beta, EPS)
          return valuesAndDispose([r.y, r.mean, r.variance])
        }
        const before = tf.memory().numTensors
        const native = run()
        expect(tf.memory().numTensors).toBe(before)
        const ops = withNativeKernelsOff(run)
        const what = `${backend} [${shape}]`
        expect(maxRelError(native[0]!, ops[0]!), `y ${what}`).toBeLessThan(2e-5)
        expect(maxRelError(native[1]!, ops[1]!), `mean ${what}`).toBeLessThan(1e-6)
        expect(maxRelError(native[2]!, ops[2]!), `variance ${what}`).toBeLessThan(1e-5)
        // The output really is normalised: per-channel mean beta, variance gamma^2.
        expect(native[1]![1]).toBeCloseTo(10, 0)
        tf.dispose([d.x, d.gamma, d.beta])
      })
    }
    await initBackend('wasm')
  })

  it('first- and second-order gradients w.r.t. x, gamma and beta', () => {
    shapes.forEach((shape, i) => {
      const d = inputs(shape, 200 + 5 * i)
      const w = tf.randomNormal(shape, 0, 1, 'float32', 300 + i)
      const u = tf.randomNormal(shape, 0, 1, 'float32', 400 + i)
      const before = tf.memory().numTensors
      const native = valuesAndDispose(gradients(d, w, u, batchNormTrain))
      expect(tf.memory().numTensors).toBe(before)
      const ops = valuesAndDispose(
        withNativeKernelsOff(() => gradients(d, w, u, batchNormTrainOps))
      )
      const names = ['dL1/dx', 'dL1/dgamma', 'dL1/dbeta', 'dL2/dx', 'dL2/dgamma', 'dL2/dbeta']
      names.forEach((name, k) => {
        expect(maxRelError(native[k]!, ops[k]!), `${name} [${shape}]`).toBeLessThan(2e-4)
        // None is zero, so the comparison is not vacuous.
        expect(Math.max(...native[k]!.map(Math.abs)), `${name} [${shape}]`).toBeGreaterThan(1e-3)
      })
      tf.dispose([d.x, d.gamma, d.beta, w, u])
    })
  })

  it('with the ReLU fused (training): output, first- and second-order gradients as batch norm then relu', () => {
    const fused: typeof batchNormTrain = (x, gamma, beta, eps) =>
      batchNormTrain(x, gamma, beta, eps, true)
    const separate: typeof batchNormTrain = (x, gamma, beta, eps) => {
      const r = batchNormTrainOps(x, gamma, beta, eps)
      return { ...r, y: tf.relu(r.y) }
    }
    shapes.forEach((shape, i) => {
      const d = inputs(shape, 500 + 5 * i)
      const w = tf.randomNormal(shape, 0, 1, 'float32', 600 + i)
      const u = tf.randomNormal(shape, 0, 1, 'float32', 700 + i)
      const y = valuesAndDispose([fused(d.x, d.gamma, d.beta, EPS).y])[0]!
      const yOps = valuesAndDispose(
        withNativeKernelsOff(() => [separate(d.x, d.gamma, d.beta, EPS).y])
      )[0]!
      expect(maxRelError(y, yOps), `y [${shape}]`).toBeLessThan(2e-5)
      const zeros = y.filter((v) => v === 0).length
      expect(zeros, `ReLU cuts some outputs [${shape}]`).toBeGreaterThan(y.length / 10)
      const before = tf.memory().numTensors
      const native = valuesAndDispose(gradients(d, w, u, fused))
      expect(tf.memory().numTensors).toBe(before)
      const ops = valuesAndDispose(withNativeKernelsOff(() => gradients(d, w, u, separate)))
      const names = ['dL1/dx', 'dL1/dgamma', 'dL1/dbeta', 'dL2/dx', 'dL2/dgamma', 'dL2/dbeta']
      names.forEach((name, k) => {
        expect(maxRelError(native[k]!, ops[k]!), `relu ${name} [${shape}]`).toBeLessThan(2e-4)
        expect(Math.max(...native[k]!.map(Math.abs)), `relu ${name} [${shape}]`).toBeGreaterThan(
          1e-3
        )
      })
      tf.dispose([d.x, d.gamma, d.beta, w, u])
    })
  })

  it('refuses per-channel inputs of the wrong length and a wrong dy', () => {
    const x = tf.zeros([4, 3])
    expect(() => batchNormTrain(x, tf.ones([2]), tf.zeros([3]), EPS)).toThrow(
      /per-channel inputs must be \[3\]/
    )
    const native = loadNativeKernels()!
    const f = (n: number): Float32Array => new Float32Array(n)
    expect(() =>
      native.batchNormForward(f(12), f(3), f(3), f(11), f(3), f(3), Int32Array.of(4, 3), EPS)
    ).toThrow(/size does not match the shape/)
    expect(() =>
      native.batchNormForward(f(12), f(3), f(3), f(12), f(3), f(3), Int32Array.of(4, 0), EPS)
    ).toThrow(/invalid \[rows, channels\] shape/)
    expect(() =>
      native.batchNormBackward(
        f(12),
        f(12),
        f(3),
        f(3),
        f(3),
        f(12),
        f(3),
        f(2),
        Int32Array.of(4, 3),
        EPS
      )
    ).toThrow(/size does not match the shape/)
    x.dispose()
  })
})

/**
 * float64 batch norm of [rows, C] float32 data: y (gamma 1, beta 0), mean, variance and dx for
 * an upstream dy, written out plainly (the exact moments of the float32 inputs).
 */
function float64BatchNorm(x: Float32Array, dy: Float32Array, rows: number, c: number, eps: number) {
  const mean = new Float64Array(c)
  const variance = new Float64Array(c)
  for (let i = 0; i < rows * c; i++) mean[i % c] += x[i]! / rows
  for (let i = 0; i < rows * c; i++) variance[i % c] += (x[i]! - mean[i % c]!) ** 2 / rows
  const r = Array.from(variance, (v) => 1 / Math.sqrt(v + eps))
  const sumDy = new Float64Array(c)
  const sumDyXhat = new Float64Array(c)
  for (let i = 0; i < rows * c; i++) {
    sumDy[i % c] += dy[i]!
    sumDyXhat[i % c] += dy[i]! * (x[i]! - mean[i % c]!) * r[i % c]!
  }
  const y = new Float64Array(rows * c)
  const dx = new Float64Array(rows * c)
  for (let i = 0; i < rows * c; i++) {
    const k = i % c
    const xhat = (x[i]! - mean[k]!) * r[k]!
    y[i] = xhat
    dx[i] = r[k]! * (dy[i]! - sumDy[k]! / rows - (xhat * sumDyXhat[k]!) / rows)
  }
  return { y, mean, variance, dx }
}

describe('batch norm in training against float64', () => {
  afterAll(() => setNativeKernels(true))

  // 65,536 rows (batch 64 at 32x32) in four channels: a plain one, one whose mean is 10^4
  // times its spread (the old one-pass native kernel was off by 2e-4 there), one mostly one
  // constant value with a small spread around it (a flat image background), one near zero.
  it('is within float32 rounding on every route, however large the mean against the spread', async () => {
    const rows = 65536
    const c = 4
    let seed = 3
    const uniform = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    const normal = () =>
      Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform())
    const channel = [
      () => normal(),
      () => 1e4 + normal(),
      () => (uniform() < 0.7 ? 3 : 3 + 0.01 * normal()),
      () => 1e-3 * normal()
    ]
    const x = Float32Array.from({ length: rows * c }, (_, i) => channel[i % c]!())
    const dy = Float32Array.from({ length: rows * c }, () => 2e-3 + 1e-3 * normal())
    const ref = float64BatchNorm(x, dy, rows, c, EPS)
    const routes = [{ native: false }, ...(nativeKernelStatus().active ? [{ native: true }] : [])]
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend)
      for (const { native } of routes) {
        setNativeKernels(native)
        const [y, mean, variance, dx] = tf.tidy(() => {
          const xt = tf.tensor2d(x, [rows, c])
          const gamma = tf.ones([c])
          const beta = tf.zeros([c])
          const r = batchNormTrain(xt, gamma, beta, EPS)
          const g = tf.grad((v: tf.Tensor) =>
            tf.sum(tf.mul(batchNormTrain(v, gamma, beta, EPS).y, tf.tensor2d(dy, [rows, c])))
          )(xt)
          return [r.y, r.mean, r.variance, g].map((t) => t.dataSync())
        })
        const what = `${backend}, native ${native}`
        expect(maxRelError(y!, ref.y), `y ${what}`).toBeLessThan(2e-6)
        expect(maxRelError(mean!, ref.mean), `mean ${what}`).toBeLessThan(1e-7)
        for (let k = 0; k < c; k++)
          expect(
            Math.abs(variance![k]! - ref.variance[k]!) / ref.variance[k]!,
            `variance ${k} ${what}`
          ).toBeLessThan(1e-5)
        expect(maxRelError(dx!, ref.dx), `dx ${what}`).toBeLessThan(1e-5)
      }
    }
  })
})
