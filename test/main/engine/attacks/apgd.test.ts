import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor1D, Tensor2D, Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { checkAttackConfig, getAttack, runAttack } from '../../../../src/main/engine/attacks'
import { apgdCheckpoints, apgdRun, type ApgdTrace } from '../../../../src/main/engine/attacks/apgd'
import {
  dlrLoss,
  perSampleCrossEntropy,
  type PerSampleLoss
} from '../../../../src/main/engine/attacks/loss'
import { perImageNoise } from '../../../../src/main/engine/attacks/restarts'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { linearClassifier, maxAbsDiff, mlpClassifier, seededImages } from './models'

// Top level, not beforeAll: the models below are built while the suite is collected.
await initBackend('cpu')

const f = Math.fround

describe('APGD checkpoints', () => {
  it('are ⌈pⱼ·N⌉ with p₁ = 0.22 and pⱼ₊₁ = pⱼ + max(pⱼ − pⱼ₋₁ − 0.03, 0.06)', () => {
    // By hand: p = 0, .22, .41, .57, .70, .80, .87, .93, .99, 1.05.
    expect(apgdCheckpoints(100)).toEqual([0, 22, 41, 57, 70, 80, 87, 93, 99])
    // N = 30: 6.6, 12.3, 17.1, 21.0, 24.0, 26.1, 27.9, 29.7 → ceil (21.0 is not 22).
    expect(apgdCheckpoints(30)).toEqual([0, 7, 13, 18, 21, 24, 27, 28, 30])
    expect(apgdCheckpoints(10)).toEqual([0, 3, 5, 6, 7, 8, 9, 10])
  })
})

describe('APGD on a one-pixel model, by hand', () => {
  it('walks to the ε boundary, then halves η at every checkpoint (no step raises the loss)', async () => {
    // logits = [2x, 0, −x]: for label 0 the loss falls with x, so the gradient sign is −1.
    const model = linearClassifier([1, 1, 1], Float32Array.from([2, 0, -1]), new Float32Array(3))
    const x0 = tf.tensor4d([0.5], [1, 1, 1, 1])
    const y = tf.tensor1d([0], 'int32')
    const traces: ApgdTrace[] = []
    const adv = await apgdRun(model, x0, y, {
      epsilon: 0.1,
      iterations: 10,
      stepSize: 0.2,
      momentum: 0.75,
      rho: 0.75,
      loss: perSampleCrossEntropy,
      imageIndices: [0],
      seed: 1,
      onTrace: (t) => traces.push(t)
    })
    // Step 1: z = P(x⁽⁰⁾ − 0.2) = 0.4 whatever the random start in [0.4, 0.6]; α = 1 on the first
    // step, so x⁽¹⁾ = 0.4; from then on every step is clipped back to 0.4 (loss unchanged, never
    // raised). Checkpoints 3, 5, 6, 7, 8, 9, 10 each halve η (condition 1: 0 < ρ·span).
    expect(adv.dataSync()[0]).toBeCloseTo(0.4, 6)
    const eta = traces.map((t) => t.stepSizes[0])
    expect(eta).toEqual(
      [0.2, 0.2, 0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625].map(f)
    )
    expect(traces.map((t) => t.reset[0])).toEqual([
      false,
      false,
      true,
      false,
      true,
      true,
      true,
      true,
      true,
      true
    ])
    tf.dispose([x0, y, adv])
  })
})

/**
 * Algorithm 1 of Croce & Hein 2020 written out per image in plain arrays, emulating float32
 * rounding op by op as tf does, with only the model's loss and gradient computed by tf.
 */
function referenceApgd(
  model: Classifier,
  x0: Float32Array,
  shape: [number, number, number, number],
  labels: number[],
  o: {
    epsilon: number
    iterations: number
    momentum: number
    rho: number
    loss: PerSampleLoss
    seed: number
  }
) {
  const [n, ...rest] = shape
  const per = rest.reduce((a, b) => a * b, 1)
  const eps = f(o.epsilon)
  const lo = x0.map((v) => f(v - eps))
  const hi = x0.map((v) => f(v + eps))
  const P = (v: number, k: number) =>
    Math.min(Math.max(Math.min(Math.max(v, lo[k]!), hi[k]!), 0), 1)
  const y = tf.tensor1d(labels, 'int32')
  const evalAt = (x: Float32Array) => {
    const xt = tf.tensor4d(x, shape)
    const grad = tf.grad((xa) =>
      tf.sum(o.loss(model.predictLogits(xa as Tensor4D) as Tensor2D, y as Tensor1D))
    )(xt)
    const losses = tf.tidy(() => o.loss(model.predictLogits(xt), y as Tensor1D).dataSync())
    const pred = tf.tidy(() => tf.argMax(model.predictLogits(xt), 1).dataSync())
    const out = {
      losses: Array.from(losses),
      pred: Array.from(pred),
      grad: Float32Array.from(grad.dataSync())
    }
    tf.dispose([xt, grad])
    return out
  }
  const t = perImageNoise(
    Array.from({ length: n }, (_, i) => i),
    per,
    o.seed
  )
  let x = new Float32Array(n * per)
  for (let i = 0; i < n; i++) {
    let scale = 0
    for (let k = 0; k < per; k++) scale = Math.max(scale, Math.abs(t[i * per + k]!))
    for (let k = 0; k < per; k++) {
      const j = i * per + k
      x[j] = Math.min(Math.max(f(x0[j]! + f(f(t[j]! / f(Math.max(scale, 1e-12))) * eps)), 0), 1)
    }
  }
  const W = apgdCheckpoints(o.iterations)
  let ev = evalAt(x)
  const eta = new Array<number>(n).fill(f(2 * o.epsilon))
  const fCur = [...ev.losses]
  const fMax = [...ev.losses]
  const xMax = x.slice()
  const gMax = ev.grad.slice()
  let g = ev.grad
  const found: (Float32Array | undefined)[] = labels.map((l, i) =>
    ev.pred[i] !== l ? x.slice(i * per, (i + 1) * per) : undefined
  )
  let xPrev: Float32Array | undefined
  const state = labels.map(() => ({ raised: 0, halvedAtLast: false, fMaxAtLast: 0 }))
  state.forEach((s, i) => (s.fMaxAtLast = fMax[i]!))
  let wPrev = 0
  const etaTrace: number[][] = []
  const resets = { condition1: 0, condition2: 0 }
  for (let k = 0; k < o.iterations && found.some((v) => !v); k++) {
    const alpha = k === 0 ? 1 : o.momentum
    const next = new Float32Array(n * per)
    for (let j = 0; j < n * per; j++) {
      const i = Math.floor(j / per)
      const z = P(f(x[j]! + f(Math.sign(g[j]!) * eta[i]!)), j)
      if (!xPrev) next[j] = z
      else {
        const moved = f(f(x[j]! + f(f(z - x[j]!) * alpha)) + f(f(x[j]! - xPrev[j]!) * f(1 - alpha)))
        next[j] = P(moved, j)
      }
    }
    xPrev = x
    x = next
    ev = evalAt(x)
    g = ev.grad
    const w = k + 1
    for (let i = 0; i < n; i++) {
      if (ev.losses[i]! > fCur[i]!) state[i]!.raised++
      fCur[i] = ev.losses[i]!
      if (ev.losses[i]! > fMax[i]!) {
        fMax[i] = ev.losses[i]!
        xMax.set(x.subarray(i * per, (i + 1) * per), i * per)
        gMax.set(g.subarray(i * per, (i + 1) * per), i * per)
      }
      if (!found[i] && ev.pred[i] !== labels[i]) found[i] = x.slice(i * per, (i + 1) * per)
    }
    if (W.includes(w)) {
      for (let i = 0; i < n; i++) {
        const s = state[i]!
        const condition1 = s.raised < o.rho * (w - wPrev)
        const condition2 = !s.halvedAtLast && fMax[i] === s.fMaxAtLast
        if (condition1) resets.condition1++
        else if (condition2) resets.condition2++
        s.halvedAtLast = condition1 || condition2
        if (s.halvedAtLast) {
          eta[i] = eta[i]! / 2
          x.set(xMax.subarray(i * per, (i + 1) * per), i * per)
          g.set(gMax.subarray(i * per, (i + 1) * per), i * per)
          fCur[i] = fMax[i]!
        }
        s.raised = 0
        s.fMaxAtLast = fMax[i]!
      }
      wPrev = w
    }
    etaTrace.push([...eta])
  }
  const out = new Float32Array(n * per)
  for (let i = 0; i < n; i++) out.set(found[i] ?? xMax.subarray(i * per, (i + 1) * per), i * per)
  y.dispose()
  return { out, etaTrace, resets }
}

describe('APGD against a step-by-step reference', () => {
  const shape: [number, number, number] = [3, 3, 2]
  // Inputs scaled by 100 into a ReLU layer: the loss bends many times inside the ε-ball, so
  // steps oscillate and the checkpoint rules have real decisions to make.
  const bumpy = (hidden: number): Classifier => {
    const mlp = mlpClassifier(shape, hidden, 4, 5)
    return {
      ...mlp,
      predictLogits: (x: Tensor4D) => tf.tidy(() => mlp.predictLogits(tf.mul(x, 100) as Tensor4D))
    }
  }
  it.each([
    // [loss, ε, hidden units]: cases found to exercise both outcomes of the checkpoint test
    // (CE) and condition (2) on its own (DLR).
    ['cross-entropy', perSampleCrossEntropy, 0.3, 64],
    ['DLR', dlrLoss, 0.03, 10]
  ] as const)(
    'matches Algorithm 1 per image (%s loss, momentum, the halving conditions)',
    async (name, loss, epsilon, hidden) => {
      const model = bumpy(hidden)
      const x = seededImages(6, shape, 9)
      const labels = tf.tidy(() => Array.from(tf.argMax(model.predictLogits(x), 1).dataSync()))
      const y = tf.tensor1d(labels, 'int32')
      const traces: ApgdTrace[] = []
      const options = { epsilon, iterations: 30, momentum: 0.75, rho: 0.75, loss, seed: 4 }
      const got = await apgdRun(model, x, y, {
        ...options,
        stepSize: 2 * epsilon,
        imageIndices: [0, 1, 2, 3, 4, 5],
        onTrace: (t) => traces.push(t)
      })
      const want = referenceApgd(
        model,
        Float32Array.from(x.dataSync()),
        [6, ...shape],
        labels,
        options
      )
      expect(traces).toHaveLength(30)
      expect(traces.map((t) => Array.from(t.stepSizes))).toEqual(want.etaTrace.map((e) => e.map(f)))
      // Same iterates up to float32 rounding of the momentum sum (one unit in the last place).
      expect(maxAbsDiff(got, tf.tensor4d(want.out, [6, ...shape]))).toBeLessThan(1e-6)
      const causes = traces.flatMap((t) => t.cause)
      expect(causes.filter((c) => c === 'few-raises').length).toBe(want.resets.condition1)
      expect(causes.filter((c) => c === 'stalled').length).toBe(want.resets.condition2)
      // Not trivial: condition (1) fired, and at some checkpoint an image kept its step size.
      expect(want.resets.condition1).toBeGreaterThan(0)
      const checkpointsHit = traces.filter((t) => apgdCheckpoints(30).includes(t.iteration))
      expect(checkpointsHit.some((t) => t.cause.includes('none'))).toBe(true)
      if (name === 'DLR') expect(want.resets.condition2).toBeGreaterThan(0)
      tf.dispose([x, y, got])
    }
  )
})

describe('APGD as a registered attack', () => {
  const shape: [number, number, number] = [4, 4, 3]
  const model = mlpClassifier(shape, 16, 5, 21)

  it('declares the paper defaults and rejects bad parameters by name', () => {
    const cfg = checkAttackConfig(getAttack('apgd-ce'), { epsilon: 0.03 })
    expect(cfg).toMatchObject({ steps: 100, momentum: 0.75, rho: 0.75, restarts: 1 })
    expect(cfg.stepSize).toBeCloseTo(0.06, 12)
    expect(checkAttackConfig(getAttack('apgd-dlr'), { epsilon: 1 }).stepSize).toBe(2)
    expect(() => checkAttackConfig(getAttack('apgd-ce'), { epsilon: 0.03, momentum: 1.5 })).toThrow(
      /"momentum" must be a number in \[0, 1\], got 1.5/
    )
    expect(() => checkAttackConfig(getAttack('apgd-dlr'), { epsilon: 0.03, restarts: 0 })).toThrow(
      /"restarts" must be an integer/
    )
    expect(() => checkAttackConfig(getAttack('apgd-ce'), { epsilon: 0.03, queries: 10 })).toThrow(
      /has no parameter "queries"/
    )
  })

  it('DLR needs three classes and says so', async () => {
    const two = mlpClassifier(shape, 4, 2, 3)
    const x = seededImages(2, shape, 1)
    const y = tf.tensor1d([0, 1], 'int32')
    await expect(runAttack('apgd-dlr', two, x, y, { epsilon: 0.03 })).rejects.toThrow(
      /DLR loss needs at least 3 classes/
    )
    tf.dispose([x, y])
  })

  it('stays in the ε-ball and [0, 1], keeps the tensor count flat, and cancels cleanly', async () => {
    const x = seededImages(5, shape, 3)
    const y = tf.tensor1d([0, 1, 2, 3, 4], 'int32')
    for (const id of ['apgd-ce', 'apgd-dlr']) {
      const counts: number[] = []
      const before = tf.memory().numTensors
      const adv = await runAttack(
        id,
        model,
        x,
        y,
        { epsilon: 0.004, steps: 40, batchSize: 5 },
        {
          onProgress: () => counts.push(tf.memory().numTensors)
        }
      )
      expect(tf.memory().numTensors, id).toBe(before + 1)
      // Some images were still being attacked for many iterations, with a flat tensor count.
      expect(counts.length, id).toBeGreaterThan(20)
      expect(new Set(counts.slice(0, -1)).size, id).toBe(1)
      expect(maxAbsDiff(adv, x), id).toBeLessThanOrEqual(0.004 + 1e-6)
      expect(
        tf.tidy(() => tf.min(adv).dataSync()[0]),
        id
      ).toBeGreaterThanOrEqual(0)
      expect(
        tf.tidy(() => tf.max(adv).dataSync()[0]),
        id
      ).toBeLessThanOrEqual(1)
      adv.dispose()
    }
    const before = tf.memory().numTensors
    const controller = new AbortController()
    const run = runAttack(
      'apgd-ce',
      model,
      x,
      y,
      { epsilon: 0.004, steps: 50 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.completed === 5) controller.abort()
        }
      }
    )
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, y])
  })

  it('restarts only the images not yet fooled, and never fools fewer', async () => {
    const x = seededImages(8, shape, 13)
    const labels = tf.tidy(() => Array.from(tf.argMax(model.predictLogits(x), 1).dataSync()))
    const y = tf.tensor1d(labels, 'int32')
    const fooled = async (restarts: number) => {
      const adv = await runAttack('apgd-ce', model, x, y, {
        epsilon: 0.02,
        steps: 10,
        restarts,
        seed: 2
      })
      const pred = tf.tidy(() => Array.from(tf.argMax(model.predictLogits(adv), 1).dataSync()))
      adv.dispose()
      return pred.map((p, i) => p !== labels[i])
    }
    const one = await fooled(1)
    const three = await fooled(3)
    // Restart 0 is the same run, so everything it fooled stays fooled.
    one.forEach((f1, i) => {
      if (f1) expect(three[i]).toBe(true)
    })
    expect(three.filter(Boolean).length).toBeGreaterThanOrEqual(one.filter(Boolean).length)
    tf.dispose([x, y])
  })

  it('is as strong as PGD-10 on this model (more fooled at the same ε)', async () => {
    const x = seededImages(16, shape, 17)
    const labels = tf.tidy(() => Array.from(tf.argMax(model.predictLogits(x), 1).dataSync()))
    const y = tf.tensor1d(labels, 'int32')
    const count = async (id: string) => {
      const adv = await runAttack(id, model, x, y, { epsilon: 0.02, seed: 1 })
      const pred = tf.tidy(() => Array.from(tf.argMax(model.predictLogits(adv), 1).dataSync()))
      adv.dispose()
      return pred.filter((p, i) => p !== labels[i]).length
    }
    const pgd = await count('pgd')
    expect(pgd).toBeLessThan(16)
    expect(await count('apgd-ce')).toBeGreaterThanOrEqual(pgd)
    tf.dispose([x, y])
  })
})
