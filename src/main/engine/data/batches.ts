/**
 * Mini-batch tensors from 8-bit splits. Images stay uint8 in memory (a quarter of float32)
 * and become float tensors only here, one batch at a time.
 */
import { tf } from '../tf'
import type { Tensor1D, Tensor4D } from '../tf'
import type { ImageDataset, ImageSplit } from './types'
import { imageSize } from './types'

/**
 * The images at `indices` as a float32 NHWC tensor with values in [0, 1] (pixel / 255, the
 * input range the thesis' attacks clip to). The caller owns (and must dispose) the tensor.
 */
export function toFloatBatch(
  split: ImageSplit,
  indices: readonly number[],
  ds: Pick<ImageDataset, 'height' | 'width' | 'channels'>
): Tensor4D {
  const size = imageSize(ds)
  const data = new Float32Array(indices.length * size)
  indices.forEach((src, k) => {
    checkIndex(src, split.count)
    const offset = src * size
    const out = k * size
    for (let j = 0; j < size; j++) data[out + j] = (split.images[offset + j] as number) / 255
  })
  return tf.tensor4d(data, [indices.length, ds.height, ds.width, ds.channels], 'float32')
}

/** The labels at `indices` as an int32 tensor (what sparse losses and one-hot expect). */
export function labelsTensor(split: ImageSplit, indices: readonly number[]): Tensor1D {
  const data = new Int32Array(indices.length)
  indices.forEach((src, k) => {
    checkIndex(src, split.count)
    data[k] = split.labels[src] as number
  })
  return tf.tensor1d(data, 'int32')
}

function checkIndex(index: number, count: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`image index ${index} outside [0, ${count})`)
  }
}
