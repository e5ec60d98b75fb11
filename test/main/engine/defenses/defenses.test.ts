import { jpegRoundTrip } from '../../../../src/main/engine/defenses/jpeg'
import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  applyDefense,
  getDefense,
  listDefenses,
  registerDefense,
  tableVariants
} from '../../../../src/main/engine/defenses'
import { bilateralFilter } from '../../../../src/main/engine/defenses/bilateral'
import { chambolle2d } from '../../../../src/main/engine/defenses/tvm'
import type { FloatImageBatch } from '../../../../src/main/engine/defenses'
import { randomBatch, totalVariation } from './helpers'

beforeAll(async () => {
  await initBackend('cpu')
})

function toBatch(t: tf.Tensor): FloatImageBatch {
  return { data: Float32Array.from(t.dataSync()), shape: t.shape as FloatImageBatch['shape'] }
}

describe('bit-depth reduction', () => {
  it('depth 2 gives only {0, 1/3, 2/3, 1}, each value rounded to the nearest level', () => {
    const b = randomBatch([2, 5, 5, 3], 1)
    const out = applyDefense('bitDepth', b, 2).dataSync()
    const levels = [0, 1 / 3, 2 / 3, 1]
    const seen = new Set<number>()
    out.forEach((v, i) => {
      const nearest = levels.reduce((a, l) =>
        Math.abs(l - b.data[i]!) < Math.abs(a - b.data[i]!) ? l : a
      )
      expect(v).toBeCloseTo(nearest, 6)
      seen.add(Math.round(v * 3))
    })
    expect([...seen].sort()).toEqual([0, 1, 2, 3])
  })

  it('depth 1 thresholds at 0.5 and accepts a tensor', () => {
    const x = tf.tensor4d([0.1, 0.49, 0.51, 0.9], [1, 2, 2, 1])
    expect(Array.from(applyDefense('bitDepth', x, 1).dataSync())).toEqual([0, 0, 1, 1])
  })
})

describe('JPEG', () => {
  it('leaves a constant image unchanged within 1/255 (RGB and gray)', () => {
    for (const c of [3, 1]) {
      const data = new Float32Array(2 * 16 * 16 * c)
      for (let i = 0; i < data.length; i++)
        data[i] = i < data.length / 2 ? 0.4 : (i % c) * 0.3 + 0.1
      const out = applyDefense('jpeg', { data, shape: [2, 16, 16, c] }, 80).dataSync()
      for (let i = 0; i < data.length; i++)
        expect(Math.abs(out[i]! - data[i]!)).toBeLessThanOrEqual(1 / 255 + 1e-6)
    }
  })

  it('really compresses: noise changes, lower quality changes more', () => {
    const b = randomBatch([1, 16, 16, 3], 2)
    const err = (q: number) => {
      const out = applyDefense('jpeg', b, q).dataSync()
      let s = 0
      for (let i = 0; i < out.length; i++) s += Math.abs(out[i]! - b.data[i]!)
      return s / out.length
    }
    expect(err(95)).toBeGreaterThan(1 / 255)
    expect(err(80)).toBeGreaterThan(err(95))
  })

  it('encodes a batch as a mosaic exactly as each image alone (odd sizes, gray and RGB)', () => {
    for (const [h, w, c] of [
      [28, 28, 1],
      [13, 21, 3]
    ] as const) {
      const batch = randomBatch([20, h, w, c], 7)
      const together = jpegRoundTrip(batch, 85).data
      const per = h * w * c
      for (const i of [0, 7, 16, 19]) {
        const alone = jpegRoundTrip(
          { data: batch.data.slice(i * per, (i + 1) * per), shape: [1, h, w, c] },
          85
        ).data
        expect(Array.from(together.slice(i * per, (i + 1) * per))).toEqual(Array.from(alone))
      }
    }
  })

  it('rounds floats to 8 bits (0.502 → 128, not 127)', () => {
    const data = new Float32Array(8 * 8).fill(0.502)
    const out = applyDefense('jpeg', { data, shape: [1, 8, 8, 1] }, 95).dataSync()
    expect(Math.round(out[0]! * 255)).toBe(128)
  })
})

describe('total variation minimisation (Chambolle)', () => {
  it('lowers total variation, and a larger weight lowers it more', () => {
    const b = randomBatch([2, 12, 12, 3], 3)
    const tv0 = totalVariation(b)
    const tvs = [3, 5, 7, 9].map((w) => totalVariation(toBatch(applyDefense('tvm', b, w))))
    expect(tvs[0]).toBeLessThan(tv0)
    for (let i = 1; i < tvs.length; i++) expect(tvs[i]).toBeLessThan(tvs[i - 1]!)
  })

  it('is the Chambolle fixed point: a constant stays constant, a step edge keeps its mean', () => {
    const flat = chambolle2d(new Float64Array(25).fill(0.3), 5, 5, 0.05)
    flat.forEach((v) => expect(v).toBeCloseTo(0.3, 10))
    const step = new Float64Array(64)
    for (let i = 0; i < 64; i++) step[i] = i % 8 < 4 ? 0 : 1
    const out = chambolle2d(step, 8, 8, 0.5)
    // ROF preserves the mean (div p sums to zero) and shrinks the jump symmetrically.
    const mean = out.reduce((a, b) => a + b, 0) / 64
    expect(mean).toBeCloseTo(0.5, 6)
    expect(out[0]).toBeGreaterThan(0)
    expect(out[0]! + out[7]!).toBeCloseTo(1, 5)
  })

  it('uses the 0–255 scale: weight 3 is mild on [0, 1] images', () => {
    const b = randomBatch([1, 12, 12, 1], 4)
    const out = applyDefense('tvm', b, 3).dataSync()
    let maxChange = 0
    for (let i = 0; i < out.length; i++)
      maxChange = Math.max(maxChange, Math.abs(out[i]! - b.data[i]!))
    expect(maxChange).toBeGreaterThan(0)
    expect(maxChange).toBeLessThan(0.05)
  })
})

/** Brute-force bilateral reference with explicit mirror padding (…2 1 | 0 1 2…). */
function referenceBilateral(b: FloatImageBatch, win: number, sc: number, ss: number): Float32Array {
  const [n, h, w, c] = b.shape
  const r = (win - 1) / 2
  const mirror = (i: number, len: number) => (i < 0 ? -i : i >= len ? 2 * (len - 1) - i : i)
  const out = new Float32Array(b.data.length)
  const px = (i: number, y: number, x: number, k: number) => b.data[((i * h + y) * w + x) * c + k]!
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sums = new Array(c).fill(0)
        let wsum = 0
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) {
            const yy = mirror(y + dy, h)
            const xx = mirror(x + dx, w)
            let d2 = 0
            for (let k = 0; k < c; k++) d2 += (px(i, yy, xx, k) - px(i, y, x, k)) ** 2
            const wt =
              Math.exp(-(dx * dx + dy * dy) / (2 * ss * ss)) * Math.exp(-d2 / (2 * sc * sc))
            wsum += wt
            for (let k = 0; k < c; k++) sums[k] += wt * px(i, yy, xx, k)
          }
        for (let k = 0; k < c; k++) out[((i * h + y) * w + x) * c + k] = sums[k] / wsum
      }
  return out
}

describe('bilateral filter', () => {
  it('equals a brute-force reference for every table window', () => {
    const b = randomBatch([2, 9, 10, 3], 5)
    for (const win of [3, 5, 7, 9]) {
      const got = applyDefense('bilateral', b, win).dataSync()
      const want = referenceBilateral(b, win, 0.1, win / 3)
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5)
    }
  })

  it('keeps a dark edge dark (no zero-padding bias) and a constant image constant', () => {
    // A dark constant image: zero padding would pull border pixels towards 0 (the colour
    // weight of a 0 neighbour is still exp(−0.05²/0.02) ≈ 0.88).
    const data = new Float32Array(6 * 6).fill(0.05)
    const out = bilateralFilter({ data, shape: [1, 6, 6, 1] }, 9).data
    out.forEach((v) => expect(v).toBeCloseTo(0.05, 6))
  })
})

describe('defense registry', () => {
  it('lists the 16 Table 6.3 variants in order and refuses duplicates', () => {
    expect(tableVariants().map((v) => v.label)).toEqual([
      'JPEG quality 95',
      'JPEG quality 90',
      'JPEG quality 85',
      'JPEG quality 80',
      'Total-variation smoothing, weight 3',
      'Total-variation smoothing, weight 5',
      'Total-variation smoothing, weight 7',
      'Total-variation smoothing, weight 9',
      'Bit depth 1',
      'Bit depth 2',
      'Bit depth 3',
      'Bit depth 4',
      'Bilateral filter, window 3',
      'Bilateral filter, window 5',
      'Bilateral filter, window 7',
      'Bilateral filter, window 9'
    ])
    expect(() => registerDefense(getDefense('jpeg'))).toThrow(/already registered/)
  })

  it.each(listDefenses().map((d) => d.id))(
    '%s keeps shape, [0, 1], the input, and tensors',
    (id) => {
      const x = tf.tensor4d(randomBatch([2, 8, 8, 3], 6).data, [2, 8, 8, 3])
      const before = x.dataSync().slice()
      const count = tf.memory().numTensors
      const def = getDefense(id)
      const out = def.apply(x, def.param.default)
      expect(out.shape).toEqual([2, 8, 8, 3])
      const values = out.dataSync()
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...values)).toBeLessThanOrEqual(1)
      expect(Array.from(x.dataSync())).toEqual(Array.from(before))
      out.dispose()
      expect(tf.memory().numTensors).toBe(count)
      expect(() => def.apply(x, -5)).toThrow(new RegExp(`"${def.param.name}" must be`))
    }
  )
})
