import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { loadNativeKernels, nativeKernelStatus, setNativeKernels } from '../../../../src/main/engine/kernels/nativeKernels'
import { batchNormTrain, batchNormTrainOps } from '../../../../src/main/engine/ops/batchNorm'
import { maxRelError } from '../../../helpers/compare'
import { valuesAndDispose, withNativeKernelsOff } from '../../../helpers/nativeSwitch'

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
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), spread), offset))
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
function gradients(d: Inputs, w: tf.Tensor, u: tf.Tensor, route: typeof batchNormTrain): tf.Tensor[] {
  return tf.tidy(() => {
    const l1 = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(w, tf.square(route(x, gamma, beta, EPS).y)))
    const first = tf.grads(l1)([d.x, d.gamma, d.beta])
    const second = tf.grads((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const [gx, gg, gb] = tf.grads(l1)([x, gamma, beta])
      return tf.addN([tf.sum(tf.mul(gx!, u)), tf.sum(tf.square(gx!)), tf.sum(tf.mul(gg!, gb!)), tf.sum(tf.square(gg!))])
    })([d.x, d.gamma, d.beta])
    return [...first, ...second]
  })
}

// Skipped where the native kernels are not built or are switched off (ORTHOLENS_NATIVE_KERNELS=0).
describe.skipIf(!nativeKernelStatus().active)('native batch norm equals the ops route', () => {
  beforeAll(async () => {
    await initBackend('wasm')
  })
  afterAll(async () => {
    setNativeKernels(true)
    await initBackend('cpu')
  })

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
      const ops = valuesAndDispose(withNativeKernelsOff(() => gradients(d, w, u, batchNormTrainOps)))
      const names = ['dL1/dx', 'dL1/dgamma', 'dL1/dbeta', 'dL2/dx', 'dL2/dgamma', 'dL2/dbeta']
      names.forEach((name, k) => {
        expect(maxRelError(native[k]!, ops[k]!), `${name} [${shape}]`).toBeLessThan(2e-4)
        // None is zero, so the comparison is not vacuous.
        expect(Math.max(...native[k]!.map(Math.abs)), `${name} [${shape}]`).toBeGreaterThan(1e-3)
      })
      tf.dispose([d.x, d.gamma, d.beta, w, u])
    })
  })

  it('refuses per-channel inputs of the wrong length and a wrong dy', () => {
    const x = tf.zeros([4, 3])
    expect(() => batchNormTrain(x, tf.ones([2]), tf.zeros([3]), EPS)).toThrow(/per-channel inputs must be \[3\]/)
    const native = loadNativeKernels()!
    const f = (n: number): Float32Array => new Float32Array(n)
    expect(() => native.batchNormForward(f(12), f(3), f(3), f(11), f(3), f(3), Int32Array.of(4, 3), EPS)).toThrow(
      /size does not match the shape/
    )
    expect(() => native.batchNormForward(f(12), f(3), f(3), f(12), f(3), f(3), Int32Array.of(4, 0), EPS)).toThrow(
      /invalid \[rows, channels\] shape/
    )
    expect(() => native.batchNormBackward(f(12), f(12), f(3), f(3), f(3), f(12), f(3), f(2), Int32Array.of(4, 3), EPS)).toThrow(
      /size does not match the shape/
    )
    x.dispose()
  })
})
