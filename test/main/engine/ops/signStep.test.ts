/**
 * The fused attack step (ops/signStep, kernels/own/SignStep) gives the same bits as the ops it
 * replaces (strict sign, weight, step, projection, clip), on wasm and cpu, for gradients down to
 * 1e-30 and exact zeros of both signs, step sizes and radii that float32 cannot hold exactly,
 * images at and beyond the [0, 1] edges, with and without a gradient weight.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { signStep, signStepOps } from '../../../../src/main/engine/ops/signStep'

const shape: [number, number, number, number] = [4, 5, 5, 3]
const size = shape.reduce((a, b) => a * b, 1)

function seeded(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
}

function inputs(seed: number): { x: Tensor4D; g: Tensor4D; x0: Tensor4D } {
  const r = seeded(seed)
  const x0 = Float32Array.from({ length: size }, () => (r() < 0.1 ? (r() < 0.5 ? 0 : 1) : r()))
  // The current image: within a little more than ε of x0, sometimes outside [0, 1].
  const x = Float32Array.from(x0, (v) => v + (r() - 0.5) * 0.08)
  const g = Float32Array.from({ length: size }, () => {
    const u = r()
    if (u < 0.1) return 0
    if (u < 0.15) return -0
    return (r() < 0.5 ? -1 : 1) * 10 ** (-30 + 31 * r())
  })
  return { x: tf.tensor4d(x, shape), g: tf.tensor4d(g, shape), x0: tf.tensor4d(x0, shape) }
}

const bits = (t: tf.Tensor): number[] =>
  Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer))

afterAll(async () => {
  await initBackend('wasm')
})

describe.each(['wasm', 'cpu'] as const)('signStep on %s', (backend) => {
  it('equals the separate ops bit for bit, with and without a weight', async () => {
    await initBackend(backend)
    const cases: [number, number][] = [
      [0.01, 0.03],
      [2 / 255, 8 / 255],
      [0.1, 0.3],
      [1e-7, 0.5]
    ]
    let moved = 0
    for (const [k, [alpha, eps]] of cases.entries()) {
      const { x, g, x0 } = inputs(k + 1)
      const r = seeded(50 + k)
      const full = tf.tensor4d(
        Float32Array.from({ length: size }, () => r() * 3),
        shape
      )
      const perImage = tf.tensor4d(
        Float32Array.from({ length: size / shape[0] }, () => r() * 3),
        [1, ...shape.slice(1)] as [number, number, number, number]
      )
      for (const w of [undefined, full, perImage]) {
        const fused = signStep(x, g, x0, alpha, eps, w)
        const ops = signStepOps(x, g, x0, alpha, eps, w)
        expect(bits(fused), `α ${alpha} ε ${eps} weight ${w?.shape ?? 'none'}`).toEqual(bits(ops))
        moved += Array.from(fused.dataSync()).filter((v, i) => v !== x.dataSync()[i]).length
        tf.dispose([fused, ops])
      }
      tf.dispose([x, g, x0, full, perImage])
    }
    // The step did something: most pixels moved (a kernel returning x would fail above too).
    expect(moved).toBeGreaterThan(size * 6)
  })

  it('steps by α·sign(g) however small g, keeps exact zeros, and gives NaN for a NaN gradient', async () => {
    await initBackend(backend)
    const x = tf.tensor4d([0.5, 0.5, 0.5, 0.5, 0.5, 0.99], [1, 1, 6, 1])
    const g = tf.tensor4d([1e-30, -1e-30, 0, -0, NaN, 1], [1, 1, 6, 1])
    const x0 = tf.tensor4d([0.5, 0.5, 0.5, 0.5, 0.5, 0.99], [1, 1, 6, 1])
    const y = signStep(x, g, x0, 0.25, 0.125)
    // 0.5 ± 0.25 clipped to the ball [0.375, 0.625]; 0.99 + 0.25 clipped to 1.
    expect(Array.from(y.dataSync())).toEqual([0.625, 0.375, 0.5, 0.5, NaN, 1])
    tf.dispose([x, g, x0, y])
  })

  it('keeps the live tensor count flat over many steps', async () => {
    await initBackend(backend)
    const { x: start, g, x0 } = inputs(9)
    let x = start
    const before = tf.memory().numTensors
    for (let t = 0; t < 20; t++) {
      const next = signStep(x, g, x0, 0.01, 0.03)
      if (x !== start) x.dispose()
      x = next
    }
    // The one live image besides the inputs: nothing else per step.
    expect(tf.memory().numTensors).toBe(before + 1)
    tf.dispose([x, start, g, x0])
  })
})
