import { createRng } from '../../../../src/main/engine/attacks/random'
import type { FloatImageBatch } from '../../../../src/main/engine/defenses'

export function randomBatch(shape: FloatImageBatch['shape'], seed: number): FloatImageBatch {
  const rng = createRng(seed)
  const size = shape.reduce((a, b) => a * b, 1)
  return { data: Float32Array.from({ length: size }, () => rng()), shape }
}

/** Isotropic TV on forward differences, summed over channels and images. */
export function totalVariation(b: FloatImageBatch): number {
  const [n, h, w, c] = b.shape
  let tv = 0
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const at = (yy: number, xx: number) => b.data[((i * h + yy) * w + xx) * c + k]!
          const dy = y < h - 1 ? at(y + 1, x) - at(y, x) : 0
          const dx = x < w - 1 ? at(y, x + 1) - at(y, x) : 0
          tv += Math.sqrt(dx * dx + dy * dy)
        }
  return tv
}
