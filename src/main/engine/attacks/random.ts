/**
 * Seeded pseudo-random numbers for attacks and sampling, so that a run recorded with its seed
 * can be repeated exactly. mulberry32: 32-bit state, fast, good enough for random starts,
 * input diversity and sample draws (not for cryptography).
 */

/** A generator of floats in [0, 1). */
export type Rng = () => number

/** mulberry32 seeded with `seed` (any number; fractional parts are dropped). */
export function createRng(seed: number): Rng {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Derives an independent seed from a base seed and an index (e.g. a sample's position). */
export function deriveSeed(seed: number, index: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

/** Integer uniform in [lo, hi] inclusive. */
export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1))
}

/** Fisher–Yates shuffle of 0..n-1. */
export function shuffledIndices(n: number, rng: Rng): number[] {
  const idx = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = idx[i]!
    idx[i] = idx[j]!
    idx[j] = t
  }
  return idx
}
