import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  checkAttackConfig,
  getAttack,
  listAttacks,
  listEvaluationAttacks,
  registerAttack,
  runAttack,
  runWeightedAttack
} from '../../../../src/main/engine/attacks'
import { linearClassifier, maxAbsDiff, mlpClassifier, seededImages, seededValues } from './models'

beforeAll(async () => {
  await initBackend('cpu')
})

const shape: [number, number, number] = [4, 4, 3]
const model = () => mlpClassifier(shape, 12, 4, 31)

describe('attack config checks', () => {
  it.each([
    ['fgsm', { epsilon: -0.01 }, /"epsilon" must be a number in \[0, 1\], got -0.01/],
    ['ifgsm', { epsilon: 0.03, steps: 0 }, /"steps" must be an integer in \[1, 1000\], got 0/],
    ['ifgsm', { epsilon: 0.03, steps: 2.5 }, /"steps" must be an integer/],
    ['mifgsm', { epsilon: 0.03, decay: -1 }, /"decay" must be a number in \[0, 10\], got -1/],
    [
      'di2fgsm',
      { epsilon: 0.03, diversityProb: 1.5 },
      /"diversityProb" must be a number in \[0, 1\]/
    ],
    ['di2fgsm', { epsilon: 0.03, resizeRate: 0 }, /"resizeRate" must be a number in \(0, 1\]/],
    ['fgsm', { epsilon: 0.03, decay: 1 }, /Attack "fgsm" has no parameter "decay"/],
    ['pgd', { epsilon: Number.NaN }, /"epsilon"/],
    ['pgd', {}, /"epsilon" is required/]
  ])('%s rejects %j naming the parameter', (id, config, message) => {
    expect(() => checkAttackConfig(getAttack(id), config as never)).toThrow(message)
  })

  it('records every resolved parameter with its documented default', () => {
    expect(checkAttackConfig(getAttack('ifgsm'), { epsilon: 0.05 })).toMatchObject({
      steps: 10,
      stepSize: 0.005
    })
    expect(checkAttackConfig(getAttack('mifgsm'), { epsilon: 0.05 }).decay).toBe(1)
    expect(checkAttackConfig(getAttack('pgd'), { epsilon: 0.04 }).stepSize).toBeCloseTo(0.01, 10)
  })

  it('runAttack rejects before touching tensors', async () => {
    const x = seededImages(2, shape, 1)
    const y = tf.tensor1d([0, 1], 'int32')
    await expect(runAttack('ifgsm', model(), x, y, { epsilon: 0.1, steps: 0 })).rejects.toThrow(
      /steps/
    )
    await expect(runAttack('nope', model(), x, y, { epsilon: 0.1 })).rejects.toThrow(
      /Unknown attack "nope"/
    )
    await expect(
      runAttack('fgsm', model(), x, tf.tensor1d([0], 'int32'), { epsilon: 0.1 })
    ).rejects.toThrow(/labels must be \[2\]/)
  })
})

describe('attack template', () => {
  it('never mutates or disposes the input', async () => {
    const m = model()
    const x = seededImages(3, shape, 5)
    const before = x.dataSync().slice()
    const y = tf.tensor1d([0, 1, 2], 'int32')
    for (const def of [...listAttacks(), ...listEvaluationAttacks()]) {
      const adv = await runAttack(def.id, m, x, y, { epsilon: 0.05 })
      expect(adv).not.toBe(x)
      adv.dispose()
    }
    expect(x.isDisposed).toBe(false)
    expect(Array.from(x.dataSync())).toEqual(Array.from(before))
  })

  it('attacking a sample inside a batch equals attacking it alone', async () => {
    const m = model()
    const x = seededImages(5, shape, 6)
    const y = tf.tensor1d([3, 0, 1, 2, 1], 'int32')
    for (const id of ['fgsm', 'ifgsm', 'mifgsm']) {
      const all = await runAttack(id, m, x, y, { epsilon: 0.04 })
      const alone = await runAttack(
        id,
        m,
        tf.slice(x, [2, 0, 0, 0], [1, -1, -1, -1]),
        tf.slice(y, [2], [1]),
        { epsilon: 0.04 }
      )
      expect(maxAbsDiff(tf.slice(all, [2, 0, 0, 0], [1, -1, -1, -1]), alone), id).toBeLessThan(1e-6)
      // Batching in twos gives the same as one batch.
      const small = await runAttack(id, m, x, y, { epsilon: 0.04, batchSize: 2 })
      expect(maxAbsDiff(all, small), id).toBeLessThan(1e-6)
    }
  })

  it('keeps the live tensor count flat across iterations and leaves only the result', async () => {
    const m = model()
    const x = seededImages(4, shape, 7)
    const y = tf.tensor1d([0, 1, 2, 3], 'int32')
    for (const id of ['ifgsm', 'mifgsm', 'pgd', 'di2fgsm']) {
      const counts: number[] = []
      const before = tf.memory().numTensors
      const adv = await runAttack(
        id,
        m,
        x,
        y,
        { epsilon: 0.05, steps: 12 },
        {
          onProgress: () => counts.push(tf.memory().numTensors)
        }
      )
      expect(new Set(counts.slice(0, 12)).size, id).toBe(1)
      expect(tf.memory().numTensors, id).toBe(before + 1)
      adv.dispose()
    }
  })

  it('reports progress and stops with an AbortError when cancelled', async () => {
    const m = model()
    const x = seededImages(4, shape, 8)
    const y = tf.tensor1d([0, 1, 2, 3], 'int32')
    const seen: number[] = []
    const done = await runAttack(
      'ifgsm',
      m,
      x,
      y,
      { epsilon: 0.05, steps: 3, batchSize: 2 },
      {
        onProgress: (p) => {
          seen.push(p.completed)
          expect(p.total).toBe(6)
        }
      }
    )
    expect(Math.max(...seen)).toBe(6)
    done.dispose()

    const before = tf.memory().numTensors
    const controller = new AbortController()
    const run = runAttack(
      'ifgsm',
      m,
      x,
      y,
      { epsilon: 0.05, steps: 50 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.completed === 3) controller.abort()
        }
      }
    )
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('applies the gradient weight element-wise (zero weight freezes a pixel)', async () => {
    // Linear model: the gradient sign does not depend on x, so unfrozen pixels must follow the
    // unweighted attack exactly.
    const m = linearClassifier(shape, seededValues(48 * 4, 77), new Float32Array(4))
    const x = seededImages(2, shape, 9)
    const y = tf.tensor1d([1, 2], 'int32')
    const mask = new Float32Array(2 * 48)
    for (let i = 0; i < mask.length; i += 2) mask[i] = 1
    const weight = tf.tensor4d(mask, [2, ...shape])
    const adv = await runWeightedAttack('pgd', m, x, y, weight, {
      epsilon: 0.05,
      seed: 2,
      steps: 4
    })
    const noWeightStart = await runAttack('pgd', m, x, y, { epsilon: 0.05, seed: 2, stepSize: 0 })
    const a = adv.dataSync()
    const s = noWeightStart.dataSync()
    const plain = (await runAttack('pgd', m, x, y, { epsilon: 0.05, seed: 2, steps: 4 })).dataSync()
    let frozenMoved = 0
    let freeDiffers = 0
    for (let i = 0; i < a.length; i++) {
      if (mask[i] === 0) frozenMoved = Math.max(frozenMoved, Math.abs(a[i]! - s[i]!))
      else if (Math.abs(a[i]! - plain[i]!) < 1e-7) freeDiffers++
    }
    expect(frozenMoved).toBe(0)
    expect(freeDiffers).toBe(48) // weighted pixels follow the unweighted attack exactly
  })

  it('scales the step, not the raw gradient (a half weight moves FGSM by ε/2, not ε)', async () => {
    // On the raw gradient a positive weight would vanish in the sign; on the step it halves it.
    const m = linearClassifier(shape, seededValues(48 * 4, 78), new Float32Array(4))
    const x = tf.fill([1, ...shape], 0.5) as tf.Tensor4D
    const y = tf.tensor1d([0], 'int32')
    const half = tf.fill([1, ...shape], 0.5) as tf.Tensor4D
    const adv = (await runWeightedAttack('fgsm', m, x, y, half, { epsilon: 0.04 })).dataSync()
    for (const v of adv) expect(Math.abs(v - 0.5)).toBeCloseTo(0.02, 6)
    tf.dispose([x, y, half])
  })

  it('registry refuses a duplicate id and lists parameters for forms', () => {
    expect(() => registerAttack(getAttack('fgsm'))).toThrow(/already registered/)
    expect(listAttacks().map((a) => a.id)).toEqual(['fgsm', 'ifgsm', 'mifgsm', 'pgd', 'di2fgsm'])
    expect(listEvaluationAttacks().map((a) => a.id)).toEqual(['apgd-ce', 'apgd-dlr', 'square'])
    expect(getAttack('square').name).toBe('Square')
    for (const def of [...listAttacks(), ...listEvaluationAttacks()]) {
      expect(def.paper).toMatch(/^https:\/\/arxiv\.org\//)
      expect(def.params.find((p) => p.name === 'epsilon')).toBeDefined()
    }
  })
})

describe('recorded configs', () => {
  it('a resolved config is accepted again and gives the same run', async () => {
    for (const def of [...listAttacks(), ...listEvaluationAttacks()]) {
      const resolved = checkAttackConfig(def, { epsilon: 0.02 })
      expect(checkAttackConfig(def, resolved)).toEqual(resolved)
    }
    expect(() => checkAttackConfig(getAttack('fgsm'), { epsilon: 0.02, steps: 5 })).toThrow(
      /has no parameter "steps"/
    )
  })
})
