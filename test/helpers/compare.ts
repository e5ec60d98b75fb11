import { expect } from 'vitest'

/** Largest |a - b| over the largest |b|: the error relative to the reference's scale. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let scale = 1e-6
  let worst = 0
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!))
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst / scale
}
