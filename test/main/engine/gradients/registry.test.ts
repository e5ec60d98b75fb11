import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { ourGradientKernels } from '../../../../src/main/engine/gradients'
import { registerOurGradient } from '../../../../src/main/engine/gradients/registry'
import { expGradConfig } from '../../../../src/main/engine/gradients/Exp_grad'

describe('gradient registry', () => {
  it('importing tf installs our gradients', () => {
    const kernels = ourGradientKernels()
    for (const k of [
      'Exp',
      'Tanh',
      'Sigmoid',
      'Softmax',
      'LogSoftmax',
      'MaxPool',
      'AvgPool',
      'Conv2D',
      'Max',
      'Sum',
      'Mean'
    ]) {
      expect(kernels).toContain(k)
    }
    expect(tf.getGradient('Exp')).toBe(expGradConfig)
  })

  it('refuses a second registration of the same kernel', () => {
    expect(() => registerOurGradient(expGradConfig)).toThrow(/registered twice/)
  })
})
