/**
 * Bit-depth reduction ("feature squeezing"). Xu, Evans, Qi, "Feature Squeezing: Detecting
 * Adversarial Examples in Deep Neural Networks", NDSS 2018, https://arxiv.org/abs/1704.01155
 *
 * x ← round(x·(2^d − 1)) / (2^d − 1): 2^d evenly spaced levels including 0 and 1.
 */
import { tf } from '../tf'
import type { Tensor4D } from '../tf'
import { checkParam, toTensor } from './batch'
import type { DefenseDefinition, FloatImageBatch } from './types'
import { DEFENSE_WORDS } from '../../../contract/words'

export const bitDepth: DefenseDefinition = {
  id: 'bitDepth',
  name: 'Bit-depth reduction',
  paper: 'https://arxiv.org/abs/1704.01155',
  param: {
    name: 'depth',
    label: 'Bits per channel',
    min: 1,
    max: 8,
    integer: true,
    default: 3,
    tableValues: [1, 2, 3, 4]
  },
  notes: 'round(x·(2^d−1))/(2^d−1) per channel (tf.round: exact halves go to even).',
  estimateGradient: 'identity',
  label: (d) => DEFENSE_WORDS.bitDepth.row(d),
  apply(x: Tensor4D | FloatImageBatch, depth: number): Tensor4D {
    checkParam('bitDepth', bitDepth.param, depth)
    const levels = 2 ** depth - 1
    return tf.tidy(() => {
      const t =
        'data' in x && x.data instanceof Float32Array
          ? toTensor(x as FloatImageBatch)
          : (x as Tensor4D)
      return tf.div(tf.round(tf.mul(tf.clipByValue(t, 0, 1), levels)), levels) as Tensor4D
    })
  }
}
