/**
 * A small, learnable image dataset for tests: class k lights up quadrant k of an otherwise
 * noisy image, so a few epochs of any architecture separate the classes.
 */
import type { ImageDataset, ImageSplit } from '../../src/main/engine/data/types'
import { mulberry32 } from '../../src/main/engine/data/split'

export function syntheticDataset(
  options: {
    size?: number
    channels?: number
    classes?: number
    train?: number
    validation?: number
    seed?: number
  } = {}
): ImageDataset {
  const size = options.size ?? 8
  const channels = options.channels ?? 1
  const classes = options.classes ?? 3
  const rng = mulberry32(options.seed ?? 3)
  const half = Math.floor(size / 2)
  const split = (count: number): ImageSplit => {
    const images = new Uint8Array(count * size * size * channels)
    const labels = new Uint8Array(count)
    for (let n = 0; n < count; n++) {
      const label = n % classes
      labels[n] = label
      const qy = Math.floor(label / 2) % 2
      const qx = label % 2
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const lit = Math.floor(y / half) === qy && Math.floor(x / half) === qx
          for (let c = 0; c < channels; c++) {
            const base = lit ? 170 : 40
            images[((n * size + y) * size + x) * channels + c] = Math.min(
              255,
              base + Math.floor(rng() * 80)
            )
          }
        }
      }
    }
    return { images, labels, count }
  }
  return {
    name: 'synthetic quadrants',
    classNames: Array.from({ length: classes }, (_, k) => `quadrant ${k}`),
    height: size,
    width: size,
    channels,
    train: split(options.train ?? 240),
    validation: split(options.validation ?? 90),
    provenance: { source: 'test/helpers/syntheticDataset' }
  }
}
