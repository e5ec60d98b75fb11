/**
 * Finite-difference checks shared by the gradient tests (and the per-architecture penalty
 * tests): central differences in float32, compared with tf.grad.
 */
import { expect } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'

/**
 * (f(w + eps e_i) - f(w - eps e_i)) / 2eps for each coordinate i in `coords` (flat indices
 * into w). f must return a scalar; it runs inside tidy.
 */
export function centralDifferences(
  f: (w: tf.Tensor) => tf.Scalar,
  w: tf.Tensor,
  coords: number[],
  eps: number
): number[] {
  const base = w.dataSync().slice()
  return coords.map((i) => {
    const at = (delta: number): number => {
      const values = base.slice()
      values[i] = values[i]! + delta
      return tf.tidy(() => f(tf.tensor(values, w.shape, 'float32')).dataSync()[0]!)
    }
    // Differences are formed in float64 from the two float32 values.
    return (at(eps) - at(-eps)) / (2 * eps)
  })
}

/** Picks `count` distinct flat indices of a tensor with `size` elements, deterministically. */
export function pickCoords(size: number, count: number, seed = 1): number[] {
  const out = new Set<number>()
  let state = seed
  while (out.size < Math.min(count, size)) {
    state = (state * 1103515245 + 12345) % 2147483648
    out.add(state % size)
  }
  return [...out]
}

/** The analytic gradient of f at w, at the given flat indices. */
export function analyticGradient(
  f: (w: tf.Tensor) => tf.Scalar,
  w: tf.Tensor,
  coords: number[]
): number[] {
  const g = tf.tidy(() => tf.grad(f)(w).dataSync())
  return coords.map((i) => g[i]!)
}

/** Largest |a - b| / (atol + rtol |b|) over the pairs; <= 1 means "close". */
export function closeness(a: number[], b: number[], rtol = 2e-2, atol = 2e-3): number {
  let worst = 0
  a.forEach((ai, i) => {
    const bi = b[i]!
    worst = Math.max(worst, Math.abs(ai - bi) / (atol + rtol * Math.abs(bi)))
  })
  return worst
}

/**
 * Asserts that tf.grad(f) matches central differences of f at `count` coordinates of w.
 * Returns both lists for further checks.
 */
export function expectGradientMatchesFiniteDifferences(
  f: (w: tf.Tensor) => tf.Scalar,
  w: tf.Tensor,
  options: { count?: number; eps?: number; rtol?: number; atol?: number; seed?: number } = {}
): { analytic: number[]; numeric: number[] } {
  const coords = pickCoords(w.size, options.count ?? 4, options.seed ?? 1)
  const analytic = analyticGradient(f, w, coords)
  const numeric = centralDifferences(f, w, coords, options.eps ?? 1e-2)
  const score = closeness(analytic, numeric, options.rtol, options.atol)
  expect(
    score,
    `analytic ${analytic.join(', ')} vs numeric ${numeric.join(', ')}`
  ).toBeLessThanOrEqual(1)
  return { analytic, numeric }
}

/**
 * The second-order quantity checked throughout: h(w) = v . grad_x f(x, w) for a fixed
 * direction v. Its gradient w.r.t. w is a mixed second derivative (double backprop).
 */
export function directionalInputGradient(
  f: (x: tf.Tensor, w: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  v: tf.Tensor
): (w: tf.Tensor) => tf.Scalar {
  return (w) => tf.sum(tf.mul(v, tf.grad((xx: tf.Tensor) => f(xx, w))(x))) as tf.Scalar
}

/** Asserts that values are finite and not all (near) zero, so a check is not vacuous. */
export function expectNonTrivial(values: number[]): void {
  for (const v of values) expect(Number.isFinite(v)).toBe(true)
  expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(1e-3)
}
