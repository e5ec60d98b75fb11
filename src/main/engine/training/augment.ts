/**
 * Standard augmentation for CIFAR-style data (He et al. 2016, https://arxiv.org/abs/1512.03385
 * §4.2: "4 pixels are padded on each side, and a 32×32 crop is randomly sampled from the
 * padded image or its horizontal flip"), as torchvision's RandomCrop(size, padding=p) with its
 * zero fill followed by RandomHorizontalFlip(0.5).
 *
 * Works on the 8-bit images and writes the float batch directly, so an augmented batch costs no
 * more tensors than a plain one. Every draw comes from the generator it is given (seeded by
 * the training's seed and the epoch), so the same seed gives the same batches, bit for bit.
 */
import { tf, type Tensor4D } from '../tf'
import type { Rng } from '../data/split'
import type { ImageDataset, ImageSplit } from '../data/types'
import { imageSize } from '../data/types'

export interface AugmentSettings {
  /** Zero padding of the random crop, in pixels; 0 = no crop. */
  cropPadding: number
  /** Horizontal flip with probability ½. */
  flip: boolean
}

export const NO_AUGMENT: AugmentSettings = { cropPadding: 0, flip: false }

export function augments(a: AugmentSettings): boolean {
  return a.cropPadding > 0 || a.flip
}

/** One image's draw: the crop's offset in the padded image and whether it is mirrored. */
export interface AugmentDraw {
  /** Row and column of the crop's top-left corner in the padded image, in [0, 2·padding]. */
  top: number
  left: number
  flip: boolean
}

/**
 * Draws one image's augmentation: the crop offset first (top, then left, uniform integers as
 * torch.randint), then the flip, in that order, so the stream is fixed by the seed.
 */
export function drawAugment(a: AugmentSettings, rng: Rng): AugmentDraw {
  const span = 2 * a.cropPadding + 1
  const top = a.cropPadding > 0 ? Math.floor(rng() * span) : 0
  const left = a.cropPadding > 0 ? Math.floor(rng() * span) : 0
  const flip = a.flip ? rng() < 0.5 : false
  return { top, left, flip }
}

/**
 * Writes image `src` of `split`, cropped and mirrored by `draw`, as floats in [0, 1] into `out`
 * at `offset`. Pixels of the crop that fall in the padding are 0 (torchvision's fill).
 */
export function writeAugmented(
  split: ImageSplit,
  src: number,
  ds: Pick<ImageDataset, 'height' | 'width' | 'channels'>,
  padding: number,
  draw: AugmentDraw,
  out: Float32Array,
  offset: number
): void {
  const { height: h, width: w, channels: c } = ds
  const base = src * imageSize(ds)
  for (let y = 0; y < h; y++) {
    const sy = y + draw.top - padding
    for (let x = 0; x < w; x++) {
      // The flip mirrors the cropped image: its column x shows the crop's column w − 1 − x.
      const cx = draw.flip ? w - 1 - x : x
      const sx = cx + draw.left - padding
      const o = offset + (y * w + x) * c
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) out[o + k] = 0
      } else {
        const i = base + (sy * w + sx) * c
        for (let k = 0; k < c; k++) out[o + k] = (split.images[i + k] as number) / 255
      }
    }
  }
}

/**
 * The images at `indices`, each augmented with a fresh draw from `rng`, as a float32 NHWC
 * tensor in [0, 1] (toFloatBatch's layout). The caller disposes it.
 */
export function augmentedBatch(
  split: ImageSplit,
  indices: readonly number[],
  ds: Pick<ImageDataset, 'height' | 'width' | 'channels'>,
  a: AugmentSettings,
  rng: Rng
): Tensor4D {
  const size = imageSize(ds)
  const data = new Float32Array(indices.length * size)
  indices.forEach((src, k) => {
    if (!Number.isInteger(src) || src < 0 || src >= split.count)
      throw new RangeError(`image index ${src} outside [0, ${split.count})`)
    writeAugmented(split, src, ds, a.cropPadding, drawAugment(a, rng), data, k * size)
  })
  return tf.tensor4d(data, [indices.length, ds.height, ds.width, ds.channels], 'float32')
}
