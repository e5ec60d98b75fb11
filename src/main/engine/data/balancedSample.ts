/**
 * Draws a fixed, class-balanced train/validation sample from per-class image pools; the
 * built-in Fashion-MNIST sample is made with it (scripts/build-sample.ts).
 */
import { mulberry32, range, seededShuffle } from './split'
import type { ImageDataset } from './types'

export interface BalancedSampleOptions {
  name: string
  classNames: string[]
  height: number
  width: number
  channels: number
  trainPerClass: number
  validationPerClass: number
  seed: number
  /** Free text recorded in the provenance (where the pools came from). */
  source: string
}

/**
 * From `pools[c]` (the images of class c, each h*w*c bytes) takes `trainPerClass +
 * validationPerClass` distinct images at random, the first ones to train and the rest to
 * validation, then shuffles each split. One mulberry32 stream drives every draw, in a fixed
 * order (class 0..K-1, then train, then validation), so the same pools and seed always give
 * the same bytes.
 */
export function balancedSample(
  pools: readonly Uint8Array[][],
  opts: BalancedSampleOptions
): ImageDataset {
  const size = opts.height * opts.width * opts.channels
  const need = opts.trainPerClass + opts.validationPerClass
  if (pools.length !== opts.classNames.length) {
    throw new RangeError(`${pools.length} pools for ${opts.classNames.length} classes`)
  }
  const rng = mulberry32(opts.seed)
  const train: { image: Uint8Array; label: number }[] = []
  const validation: { image: Uint8Array; label: number }[] = []
  pools.forEach((pool, label) => {
    if (pool.length < need) {
      throw new RangeError(
        `class ${opts.classNames[label]} has ${pool.length} images, ${need} needed`
      )
    }
    const order = seededShuffle(range(pool.length), rng)
    order.forEach((src, k) => {
      if (k >= need) return
      const image = pool[src] as Uint8Array
      if (image.length !== size) {
        throw new RangeError(
          `class ${label} image ${src} has ${image.length} bytes, ${size} expected`
        )
      }
      ;(k < opts.trainPerClass ? train : validation).push({ image, label })
    })
  })
  const pack = (items: { image: Uint8Array; label: number }[]) => {
    const shuffled = seededShuffle(items, rng)
    const images = new Uint8Array(shuffled.length * size)
    const labels = new Uint8Array(shuffled.length)
    shuffled.forEach((item, k) => {
      images.set(item.image, k * size)
      labels[k] = item.label
    })
    return { images, labels, count: shuffled.length }
  }
  return {
    name: opts.name,
    classNames: opts.classNames.slice(),
    height: opts.height,
    width: opts.width,
    channels: opts.channels,
    train: pack(train),
    validation: pack(validation),
    provenance: {
      importer: 'builtin',
      source: opts.source,
      splitSeed: opts.seed,
      trainPerClass: opts.trainPerClass,
      validationPerClass: opts.validationPerClass,
      prng: 'mulberry32'
    }
  }
}
