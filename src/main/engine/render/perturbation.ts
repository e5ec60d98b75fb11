/** The perturbation image of a gallery: what an attack changed, made visible. */

/**
 * The perturbation δ = adversarial − original as floats in [0, 1]: centred on mid-grey (0.5)
 * and stretched so the largest |δ| reaches full scale (0 or 1), as galleries of adversarial
 * examples show it. No perturbation at all (max |δ| = 0: ε = 0, or an image the attack left
 * alone) is flat mid-grey — 128 in 8 bits — and never a division by zero; any δ ≠ 0, however
 * small, is stretched, because showing where the attack pushed is the point of the image.
 */
export function amplifiedPerturbation(
  original: ArrayLike<number>,
  adversarial: ArrayLike<number>
): Float32Array {
  if (original.length !== adversarial.length) {
    throw new Error(
      `perturbation: ${original.length} original values but ${adversarial.length} adversarial`
    )
  }
  let max = 0
  for (let i = 0; i < original.length; i++)
    max = Math.max(max, Math.abs(adversarial[i]! - original[i]!))
  const out = new Float32Array(original.length)
  for (let i = 0; i < original.length; i++)
    out[i] = max === 0 ? 0.5 : 0.5 + (0.5 * (adversarial[i]! - original[i]!)) / max
  return out
}
