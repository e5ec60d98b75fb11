/**
 * The same gradients give the same adversarial images, bit for bit, on wasm and cpu, for
 * FGSM, I-FGSM, MI-FGSM and PGD. The gradients are fixed arrays whose entries span 1e-12 to
 * 1e-2, with exact zeros: tfjs-backend-wasm's Sign rounds |x| < 1.19e-7 to 0, so with tf.sign
 * those pixels stayed put on wasm and moved on cpu. The loop attacks (APGD) and saliency PGD
 * step through the same strict sign: on wasm they move pixels whose gradient is ~1e-10.
 */
import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { checkAttackConfig, getAttack } from '../../../../src/main/engine/attacks'
import { attackStep, isLoopAttack } from '../../../../src/main/engine/attacks/base'
import { createRng } from '../../../../src/main/engine/attacks/random'
import { strictSign } from '../../../../src/main/engine/ops/sign'
import { runAttack } from '../../../../src/main/engine/attacks'
import { weightedPgd } from '../../../../src/main/engine/saliency/saliencyPgd'
import { linearClassifier } from './models'

const shape: [number, number, number, number] = [3, 6, 6, 2]
const size = shape.reduce((a, b) => a * b, 1)
const STEPS = 4

function seeded(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
}

/** Step t's gradient: signs at random, magnitudes 10^-12 … 10^-2, one entry in 8 exactly 0. */
function gradientValues(t: number): Float32Array {
  const r = seeded(100 + t)
  return Float32Array.from({ length: size }, () => {
    const u = r()
    if (u < 0.125) return 0
    return (r() < 0.5 ? -1 : 1) * 10 ** (-12 + 10 * r())
  })
}

const images = Float32Array.from({ length: size }, (_, i) => ((i * 37) % 101) / 100)

/** The images after STEPS steps of `attack` with the fixed gradients, as raw bits. */
async function run(backend: 'wasm' | 'cpu', attack: string): Promise<Uint32Array> {
  await initBackend(backend)
  const def = getAttack(attack)
  if (isLoopAttack(def)) throw new Error(`${attack} runs its own loop`)
  const cfg = checkAttackConfig(def, {
    epsilon: 0.03,
    ...(attack === 'fgsm' ? {} : { steps: STEPS })
  })
  const stepper = def.createStepper(cfg, createRng(1))
  const x0 = tf.tensor4d(images, shape)
  let x = tf.tidy(() => (stepper.start ? stepper.start(x0, 0) : x0.clone()) as Tensor4D)
  for (let t = 0; t < cfg.steps; t++) {
    const g = tf.tensor4d(gradientValues(t), shape)
    const next = attackStep(stepper, x, g, x0, cfg)
    tf.dispose([x, g])
    x = next
  }
  const bits = new Uint32Array(Float32Array.from(x.dataSync()).buffer)
  stepper.dispose()
  tf.dispose([x, x0])
  return bits
}

describe('attack steps on wasm and cpu', () => {
  it.each(['fgsm', 'ifgsm', 'mifgsm', 'pgd'])(
    '%s gives bit-identical images for the same gradients',
    async (attack) => {
      const wasm = await run('wasm', attack)
      const cpu = await run('cpu', attack)
      let differ = 0
      for (let i = 0; i < size; i++) if (wasm[i] !== cpu[i]) differ++
      expect(differ).toBe(0)
      if (attack === 'fgsm') {
        // Every pixel with a nonzero gradient moved by ε (clipped at 0 and 1), however small.
        const g = gradientValues(0)
        const out = new Float32Array(wasm.buffer)
        for (let i = 0; i < size; i++) {
          const expected = Math.fround(
            Math.min(1, Math.max(0, Math.fround(images[i]! + Math.fround(0.03 * Math.sign(g[i]!)))))
          )
          expect(out[i]).toBe(expected)
        }
      }
    }
  )

  it('strictSign is ±1 for any nonzero value, 0 at ±0, NaN at NaN, on wasm and cpu', async () => {
    const values = [1e-30, -1e-30, 1e-8, -1.1e-7, 1.2e-7, 0, -0, 3, -Infinity, NaN]
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend)
      const s = tf.tidy(() => strictSign(tf.tensor1d(values)).dataSync())
      expect(Array.from(s)).toEqual([1, -1, 1, -1, 1, 0, 0, 1, -1, NaN])
    }
  })

  it('APGD and saliency PGD move, on wasm, every pixel whose gradient is nonzero however small', async () => {
    await initBackend('wasm')
    // Two classes, 8 pixels: the weights of pixels 4–7 are 1e-9, so their input gradients
    // (weight × (p − onehot)) are ~1e-10, far below the wasm Sign's 1.19e-7 cut.
    const inputShape: [number, number, number] = [2, 4, 1]
    const w = Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? -1 : 1) * (i < 8 ? 0.5 : 1e-9))
    const model = linearClassifier(inputShape, w, new Float32Array(2))
    const x = tf.fill([1, ...inputShape], 0.5) as Tensor4D
    const y = tf.tensor1d([0], 'int32')
    const eps = 0.03
    const apgd = await runAttack('apgd-ce', model, x, y, { epsilon: eps, steps: 1, seed: 0 })
    const pgd = weightedPgd(model, x, {
      epsilon: eps,
      steps: 1,
      stepSize: eps,
      randomStart: false,
      labels: [0]
    })
    for (const adv of [apgd, pgd]) {
      const moved = Array.from(adv.dataSync(), (v) => Math.abs(v - 0.5))
      for (const m of moved) expect(m).toBeCloseTo(eps, 6)
    }
    tf.dispose([x, y, apgd, pgd])
  })
})
