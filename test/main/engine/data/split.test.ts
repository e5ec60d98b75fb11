import { describe, expect, it } from 'vitest'
import {
  capPerClass,
  classCounts,
  gatherSplit,
  indicesByClass,
  mulberry32,
  range,
  seededShuffle,
  stratifiedSplit
} from '../../../../src/main/engine/data/split'

describe('mulberry32', () => {
  it('is deterministic per seed, differs across seeds, stays in [0, 1) and is roughly uniform', () => {
    const a = mulberry32(7)
    const b = mulberry32(7)
    const c = mulberry32(8)
    const xs = Array.from({ length: 10000 }, () => a())
    expect(Array.from({ length: 10000 }, () => b())).toEqual(xs)
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs.slice(0, 5))
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
    const deciles = new Array(10).fill(0)
    for (const x of xs) deciles[Math.floor(x * 10)]++
    for (const d of deciles) expect(Math.abs(d - 1000)).toBeLessThan(120)
  })

  it('matches the reference algorithm (first outputs for seed 1)', () => {
    // The widely copied original (Tommy Ettinger), transcribed: int32 state, `s += ...`.
    function reference(seed: number) {
      let s = seed
      return () => {
        let t = (s += 0x6d2b79f5)
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
      }
    }
    const ours = mulberry32(1)
    const ref = reference(1)
    for (let i = 0; i < 1000; i++) expect(ours()).toBe(ref())
  })
})

describe('seededShuffle', () => {
  it('returns a permutation, leaves the input alone, repeats per seed', () => {
    const items = range(100)
    const s1 = seededShuffle(items, 3)
    expect(items).toEqual(range(100))
    expect([...s1].sort((x, y) => x - y)).toEqual(items)
    expect(s1).not.toEqual(items)
    expect(seededShuffle(items, 3)).toEqual(s1)
    expect(seededShuffle(items, 4)).not.toEqual(s1)
  })

  it('puts each item in each position about equally often (no Fisher–Yates off-by-one bias)', () => {
    const counts = Array.from({ length: 4 }, () => new Array(4).fill(0))
    const rng = mulberry32(11)
    for (let t = 0; t < 8000; t++)
      seededShuffle([0, 1, 2, 3], rng).forEach((v, pos) => counts[v][pos]++)
    for (const row of counts) for (const n of row) expect(Math.abs(n - 2000)).toBeLessThan(200)
  })
})

describe('stratifiedSplit', () => {
  const labels = [...new Array(50).fill(0), ...new Array(30).fill(1), ...new Array(20).fill(2)]

  it('gives each class round(n * fraction) validation items, disjoint and covering everything', () => {
    const { train, validation } = stratifiedSplit(labels, 3, 0.2, 5)
    expect(validation.length).toBe(20)
    expect(train.length).toBe(80)
    expect(new Set([...train, ...validation]).size).toBe(100)
    const valCounts = [0, 0, 0]
    for (const i of validation) valCounts[labels[i] as number]++
    expect(valCounts).toEqual([10, 6, 4])
    // Shuffled, not class-sorted.
    expect(train.slice(0, 10).every((i) => labels[i] === 0)).toBe(false)
  })

  it('is a function of the seed', () => {
    expect(stratifiedSplit(labels, 3, 0.2, 5)).toEqual(stratifiedSplit(labels, 3, 0.2, 5))
    expect(stratifiedSplit(labels, 3, 0.2, 6).validation).not.toEqual(
      stratifiedSplit(labels, 3, 0.2, 5).validation
    )
  })

  it('keeps one validation item for a small class and rejects bad fractions and labels', () => {
    const { validation } = stratifiedSplit([0, 0, 0, 1, 1], 2, 0.1, 1)
    expect(validation.map((i) => [0, 0, 0, 1, 1][i]).sort()).toEqual([0, 1])
    expect(() => stratifiedSplit(labels, 3, 1, 1)).toThrow(RangeError)
    expect(() => stratifiedSplit([0, 3], 3, 0.2, 1)).toThrow(/label 3/)
  })
})

describe('capPerClass, classCounts, gatherSplit', () => {
  it('caps each class, keeps order, and is seeded', () => {
    const labels = [0, 1, 0, 0, 1, 2, 0, 0]
    const kept = capPerClass(labels, 3, 2, 9)
    expect(kept).toEqual([...kept].sort((a, b) => a - b))
    expect(kept.map((i) => labels[i]).sort()).toEqual([0, 0, 1, 1, 2])
    expect(capPerClass(labels, 3, 2, 9)).toEqual(kept)
    expect(indicesByClass(labels, 3)).toEqual([[0, 2, 3, 6, 7], [1, 4], [5]])
  })

  it('counts classes and gathers bytes of the chosen images', () => {
    const images = Uint8Array.from([10, 11, 20, 21, 30, 31])
    const labels = Uint8Array.from([2, 0, 2])
    expect(classCounts({ labels, count: 3 }, 4)).toEqual([1, 0, 2, 0])
    const g = gatherSplit(images, labels, [2, 0], 2)
    expect(Array.from(g.images)).toEqual([30, 31, 10, 11])
    expect(Array.from(g.labels)).toEqual([2, 2])
    expect(g.count).toBe(2)
  })
})
