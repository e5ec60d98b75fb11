/**
 * Seeded shuffling and stratified train/validation splits. Everything here is a pure function
 * of its inputs and a numeric seed, so that a dataset split can be recorded as "seed N" in the
 * provenance and reproduced bit for bit on any machine.
 */
import type { ImageDataset, ImageSplit } from './types'
import { imageSize } from './types'

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit-state generator, fast and good enough
 * for shuffling. Chosen over Math.random because it is seedable and identical everywhere;
 * the state is one uint32 so a seed is just an integer (taken modulo 2^32).
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Returns a shuffled copy of `items` (Fisher–Yates). Pass a seed for a fresh generator, or an
 * `Rng` to continue an existing stream (so several shuffles can share one seed).
 */
export function seededShuffle<T>(items: readonly T[], seedOrRng: number | Rng): T[] {
  const rng = typeof seedOrRng === 'number' ? mulberry32(seedOrRng) : seedOrRng
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const tmp = out[i] as T
    out[i] = out[j] as T
    out[j] = tmp
  }
  return out
}

/** Indices 0..n-1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

export interface SplitIndices {
  train: number[]
  validation: number[]
}

/**
 * Stratified split: each class gives `round(n_c * validationFraction)` of its items to
 * validation (at least one when the class has two or more items and the fraction is > 0, so
 * that no class is missing from validation), the rest to train. Both lists are then shuffled,
 * so that mini-batches taken in order are not sorted by class.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  numClasses: number,
  validationFraction: number,
  seed: number
): SplitIndices {
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new RangeError(`validationFraction must be in [0, 1), got ${validationFraction}`)
  }
  const rng = mulberry32(seed)
  const byClass = indicesByClass(labels, numClasses)
  const train: number[] = []
  const validation: number[] = []
  for (const members of byClass) {
    const shuffled = seededShuffle(members, rng)
    let nVal = Math.round(shuffled.length * validationFraction)
    if (validationFraction > 0 && nVal === 0 && shuffled.length >= 2) nVal = 1
    validation.push(...shuffled.slice(0, nVal))
    train.push(...shuffled.slice(nVal))
  }
  return { train: seededShuffle(train, rng), validation: seededShuffle(validation, rng) }
}

/** Item indices grouped by class, each group in ascending order. */
export function indicesByClass(labels: ArrayLike<number>, numClasses: number): number[][] {
  const groups: number[][] = Array.from({ length: numClasses }, () => [])
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number
    const group = groups[label]
    if (!group) throw new RangeError(`label ${label} at index ${i} outside [0, ${numClasses})`)
    group.push(i)
  }
  return groups
}

/**
 * Keeps at most `maxPerClass` items of each class, chosen at random (seeded) rather than the
 * first ones, because sources are often sorted (by class, by date) and the head would be
 * biased. The kept indices stay in their original order.
 */
export function capPerClass(
  labels: ArrayLike<number>,
  numClasses: number,
  maxPerClass: number,
  seed: number
): number[] {
  const rng = mulberry32(seed)
  const kept: number[] = []
  for (const members of indicesByClass(labels, numClasses)) {
    if (members.length <= maxPerClass) kept.push(...members)
    else kept.push(...seededShuffle(members, rng).slice(0, maxPerClass))
  }
  return kept.sort((a, b) => a - b)
}

/** Number of images of each class in a split. */
export function classCounts(
  split: Pick<ImageSplit, 'labels' | 'count'>,
  numClasses: number
): number[] {
  const counts = new Array<number>(numClasses).fill(0)
  for (let i = 0; i < split.count; i++) {
    const label = split.labels[i] as number
    if (label < numClasses) counts[label] = (counts[label] as number) + 1
  }
  return counts
}

/**
 * Gathers the images and labels at `indices` into a new split (copies; the source is left
 * untouched). `bytesPerImage` is height * width * channels.
 */
export function gatherSplit(
  images: Uint8Array,
  labels: ArrayLike<number>,
  indices: readonly number[],
  bytesPerImage: number
): ImageSplit {
  const outImages = new Uint8Array(indices.length * bytesPerImage)
  const outLabels = new Uint8Array(indices.length)
  indices.forEach((src, k) => {
    outImages.set(
      images.subarray(src * bytesPerImage, (src + 1) * bytesPerImage),
      k * bytesPerImage
    )
    outLabels[k] = labels[src] as number
  })
  return { images: outImages, labels: outLabels, count: indices.length }
}

/** Gathers from an existing split of `ds` (e.g. a batch or a subset). */
export function subsetSplit(
  split: ImageSplit,
  indices: readonly number[],
  ds: Pick<ImageDataset, 'height' | 'width' | 'channels'>
): ImageSplit {
  return gatherSplit(split.images, split.labels, indices, imageSize(ds))
}
