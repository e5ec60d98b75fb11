/** A tiny dataset and three disagreeing linear models for the audit tests. */
import { tf } from '../../../../src/main/engine/tf'
import type { ImageDataset } from '../../../../src/main/engine/data/types'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { createRng } from '../../../../src/main/engine/attacks/random'
import { linearClassifier, seededValues } from '../attacks/models'

export const SHAPE: [number, number, number] = [8, 8, 3]
const D = 8 * 8 * 3
const K = 3

export function model(seed: number, id: string): Classifier {
  return linearClassifier(SHAPE, seededValues(D * K, seed, 0.3), new Float32Array(K), id)
}

/**
 * `count` random 8-bit images labelled by the SOURCE model (so it is right on all of them);
 * the other models then agree only on part of them.
 */
export function dataset(source: Classifier, count = 60, seed = 1): ImageDataset {
  const rng = createRng(seed)
  const images = Uint8Array.from({ length: count * D }, () => Math.floor(rng() * 256))
  const labels = tf.tidy(() => {
    const x = tf.div(tf.tensor4d(Float32Array.from(images), [count, ...SHAPE]), 255)
    return Uint8Array.from(tf.argMax(source.predictLogits(x as tf.Tensor4D), 1).dataSync())
  })
  return {
    name: 'toy',
    classNames: ['a', 'b', 'c'],
    height: 8,
    width: 8,
    channels: 3,
    train: { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 },
    validation: { images, labels, count },
    provenance: {}
  }
}

/** Validation images at `indices` as a [0, 1] tensor. */
export function images(ds: ImageDataset, indices: number[]): tf.Tensor4D {
  const data = new Float32Array(indices.length * D)
  indices.forEach((idx, k) => {
    for (let j = 0; j < D; j++) data[k * D + j] = ds.validation.images[idx * D + j]! / 255
  })
  return tf.tensor4d(data, [indices.length, ...SHAPE])
}

/** Argmax classes of a model on images. */
export function classes(m: Classifier, x: tf.Tensor4D): number[] {
  return tf.tidy(() => Array.from(tf.argMax(m.predictLogits(x), 1).dataSync()))
}
