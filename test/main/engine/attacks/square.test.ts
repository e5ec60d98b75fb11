import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor2D, Tensor4D } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { checkAttackConfig, getAttack, runAttack } from '../../../../src/main/engine/attacks'
import { squareFraction, squareSide } from '../../../../src/main/engine/attacks/square'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { linearClassifier, mlpClassifier, seededImages, seededValues } from './models'

await initBackend('cpu')

const shape: [number, number, number] = [6, 6, 2]

/** Wraps a model and counts the images it is asked to classify. */
function counting(model: Classifier): Classifier & { rows: number } {
  const wrapped = {
    ...model,
    rows: 0,
    predictLogits: (x: Tensor4D): Tensor2D => {
      wrapped.rows += x.shape[0]
      return model.predictLogits(x)
    }
  }
  return wrapped
}

const predicted = (m: Classifier, x: Tensor4D) =>
  tf.tidy(() => Array.from(tf.argMax(m.predictLogits(x), 1).dataSync()))

describe('Square schedule', () => {
  it('halves p on the paper’s schedule, rescaled to the budget', () => {
    // 10,000 queries: p_init up to 10, /2 up to 50, /4 up to 200, …, /512 up to 10,000.
    expect(
      [0, 10, 11, 50, 51, 200, 201, 500, 1000, 2000, 4000, 6000, 8000, 9999].map((i) =>
        squareFraction(0.8, i, 10000)
      )
    ).toEqual([
      0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125, 0.0015625
    ])
    // 5,000 queries: query 5 is at 10/10,000 of the schedule, query 6 at 12.
    expect(squareFraction(0.8, 5, 5000)).toBe(0.8)
    expect(squareFraction(0.8, 6, 5000)).toBe(0.4)
    // Window side round(√(p·H·W)) within [1, H − 1].
    expect(squareSide(0.8, 28, 28)).toBe(25)
    expect(squareSide(0.05, 28, 28)).toBe(6)
    expect(squareSide(1e-6, 28, 28)).toBe(1)
    expect(squareSide(1, 6, 6)).toBe(5)
  })
})

describe('Square attack', () => {
  it('declares its defaults and rejects bad parameters by name', () => {
    expect(checkAttackConfig(getAttack('square'), { epsilon: 0.05 })).toMatchObject({
      queries: 5000,
      pInit: 0.8
    })
    expect(() => checkAttackConfig(getAttack('square'), { epsilon: 0.05, queries: 0 })).toThrow(
      /"queries" must be an integer in \[1, 100000\]/
    )
    expect(() => checkAttackConfig(getAttack('square'), { epsilon: 0.05, pInit: 0 })).toThrow(
      /"pInit" must be a number in \(0, 1\]/
    )
    expect(() => checkAttackConfig(getAttack('square'), { epsilon: 0.05, steps: 3 })).toThrow(
      /has no parameter "steps"/
    )
  })

  it('starts from vertical ±ε stripes (one query)', async () => {
    const model = mlpClassifier(shape, 8, 3, 2)
    const x = seededImages(3, shape, 4, 0.2, 0.8)
    const y = tf.tensor1d([0, 1, 2], 'int32')
    const adv = await runAttack('square', model, x, y, { epsilon: 0.05, queries: 1 })
    const d = tf.sub(adv, x).arraySync() as number[][][][]
    for (const image of d) {
      for (let col = 0; col < shape[1]; col++) {
        for (let ch = 0; ch < shape[2]; ch++) {
          const v = image[0]![col]![ch]!
          expect(Math.abs(Math.abs(v) - 0.05)).toBeLessThan(1e-6)
          for (const row of image) expect(row[col]![ch]).toBeCloseTo(v, 6)
        }
      }
    }
  })

  it('never spends more than the query budget per image, and stops an image once fooled', async () => {
    // A model that cannot be fooled at this ε (a huge margin): every image spends the budget.
    const sure = counting(
      linearClassifier(shape, seededValues(72 * 3, 5, 0.01), Float32Array.from([50, 0, 0]))
    )
    const x = seededImages(4, shape, 6)
    const y = tf.tensor1d([0, 0, 0, 0], 'int32')
    ;(await runAttack('square', sure, x, y, { epsilon: 0.05, queries: 37 })).dispose()
    expect(sure.rows).toBe(4 * 37)

    // A foolable model, image by image: never more than the budget, fewer once fooled.
    const mlp = mlpClassifier(shape, 16, 3, 8)
    const images = seededImages(6, shape, 7)
    const labels = predicted(mlp, images)
    let fooledEarly = 0
    for (let i = 0; i < 6; i++) {
      const m = counting(mlp)
      const xi = tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]) as Tensor4D
      const yi = tf.tensor1d([labels[i]!], 'int32')
      const adv = await runAttack('square', m, xi, yi, { epsilon: 0.1, queries: 200, seed: 3 })
      expect(m.rows).toBeLessThanOrEqual(200)
      if (predicted(mlp, adv)[0] !== labels[i]) {
        fooledEarly++
        expect(m.rows).toBeLessThan(200)
      } else expect(m.rows).toBe(200)
      tf.dispose([xi, yi, adv])
    }
    expect(fooledEarly).toBeGreaterThan(0)
  })

  it('stays on the ε-ball’s vertices inside [0, 1], fools a model without gradients, and keeps tensors flat', async () => {
    const mlp = mlpClassifier(shape, 16, 3, 8)
    const x = seededImages(8, shape, 9)
    const labels = predicted(mlp, x)
    const y = tf.tensor1d(labels, 'int32')
    const eps = 0.1
    const counts: number[] = []
    const before = tf.memory().numTensors
    const adv = await runAttack(
      'square',
      mlp,
      x,
      y,
      { epsilon: eps, queries: 300, batchSize: 8 },
      {
        onProgress: () => counts.push(tf.memory().numTensors)
      }
    )
    expect(tf.memory().numTensors).toBe(before + 1)
    expect(counts.length).toBeGreaterThan(10)
    expect(new Set(counts.slice(0, -1)).size).toBe(1)
    const a = adv.dataSync()
    const c = x.dataSync()
    for (let i = 0; i < a.length; i++) {
      const up = Math.min(1, c[i]! + eps)
      const down = Math.max(0, c[i]! - eps)
      expect(Math.min(Math.abs(a[i]! - up), Math.abs(a[i]! - down))).toBeLessThan(1e-6)
    }
    expect(predicted(mlp, adv).filter((p, i) => p !== labels[i]).length).toBeGreaterThan(2)
    // The same seed repeats the run; the batch size does not change it.
    const again = await runAttack('square', mlp, x, y, { epsilon: eps, queries: 300, batchSize: 3 })
    expect(Array.from(again.dataSync())).toEqual(Array.from(a))
    tf.dispose([adv, again, x, y])
  })

  it('cancels with an AbortError and leaves no tensors', async () => {
    const mlp = mlpClassifier(shape, 16, 3, 8)
    const x = seededImages(4, shape, 10)
    const y = tf.tensor1d(predicted(mlp, x), 'int32')
    const before = tf.memory().numTensors
    const controller = new AbortController()
    const run = runAttack(
      'square',
      mlp,
      x,
      y,
      { epsilon: 0.001, queries: 1000 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.completed === 20) controller.abort()
        }
      }
    )
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, y])
  })
})
