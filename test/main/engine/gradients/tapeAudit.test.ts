/**
 * One orthogonal step of every architecture, walked on its tape: every kernel between the
 * weights and the objective (forward pass and inner backward pass alike) must have a gradient
 * that is right at second order (gradients/tapeAudit), with the native kernels on and off
 * (they take different routes: native batch norm and ReLU gradient, or ops).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import { buildModel, type ArchitectureId } from '../../../../src/main/engine/models'
import { inputGradient, objective } from '../../../../src/main/engine/training/steps'
import { auditSecondOrder } from '../../../../src/main/engine/gradients/tapeAudit'
import {
  nativeKernelStatus,
  setNativeKernels
} from '../../../../src/main/engine/kernels/nativeKernels'
import { ARCHITECTURES } from '../../../../src/main/engine/models/architecture'

afterAll(() => setNativeKernels(true))

// Native kernels on (where built) on cpu; off on wasm, whose XNNPACK convolutions keep the
// VGGs quick where the cpu backend's stock ones are not. The two take different routes
// (native batch norm and ReLU gradient, or ops; native or decomposed conv gradients).
const modes: { backend: 'cpu' | 'wasm'; native: boolean }[] = [
  ...(nativeKernelStatus().active ? [{ backend: 'cpu' as const, native: true }] : []),
  { backend: 'wasm', native: false }
]

describe.each(modes)(
  'second-order audit of one orthogonal step ($backend, native kernels $native)',
  ({ backend, native }) => {
    beforeAll(async () => {
      await initBackend(backend)
      setNativeKernels(native)
    })

    it.each(ARCHITECTURES.map((a) => a.id))(
      '%s reaches only kernels with second-order-correct gradients',
      (arch: ArchitectureId) => {
        // VGG pools five times: 32 px is its smallest input; the others take 8 px.
        const shape: [number, number, number] = arch.startsWith('vgg') ? [32, 32, 1] : [8, 8, 3]
        const reference = buildModel(arch, shape, 3, { seed: 1 })
        const net = buildModel(arch, shape, 3, { seed: 2 })
        const x = tf.randomUniform([2, ...shape], 0, 1, 'float32', 5) as tf.Tensor4D
        const y = tf.tensor1d([0, 2], 'int32')
        const g1 = inputGradient(reference, x, y)
        const audit = auditSecondOrder(() => {
          const t = objective(net, x, y, [], { reference, lambda: 1, form: 'squared', g1 })
          return t.total
        }, net.trainableVariables())
        expect(audit.uncovered).toEqual([])
        // The walk saw the layers that matter: the model's own kernels and the inner backward's.
        const reached = [...audit.reached.keys()]
        expect(reached).toEqual(expect.arrayContaining(['Conv2D', 'Exp', 'Max']))
        // A ReLU: its own kernel, or (after a batch norm in training, native) its gradient's
        // mask inside the batch norm's gradient.
        expect(reached.some((k) => k === 'Relu' || k === 'OrthoLensReluGrad')).toBe(true)
        if (arch !== 'cnn')
          expect(reached.some((k) => k.includes('BatchNorm') || k === 'Rsqrt')).toBe(true)
        if (arch.startsWith('vgg')) expect(reached).toContain('MaxPool')
        tf.dispose([x, y, g1])
        net.dispose()
        reference.dispose()
      }
    )
  }
)

describe('the second-order audit', () => {
  beforeAll(async () => {
    await initBackend('cpu')
  })

  it('names a kernel whose stock gradient reuses its output (ELU, tfjs #3252)', () => {
    const w = tf.variable(
      tf.tensor2d([
        [0.5, -0.3],
        [0.2, 0.8]
      ])
    )
    const x = tf.tensor2d([[1, -2]])
    const audit = auditSecondOrder(() => {
      const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.elu(tf.matMul(xx as tf.Tensor2D, w))))(x)
      return tf.sum(tf.square(g)) as tf.Scalar
    }, [w])
    expect(audit.uncovered).toContain('Elu (its stock gradient reuses a saved output)')
    tf.dispose([w, x])
  })

  it('names a customGrad that is not one of our zero-gradient scopes (tf.logSoftmax)', () => {
    const w = tf.variable(tf.tensor2d([[0.5, -0.3, 0.2]]))
    const audit = auditSecondOrder(() => {
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(v as tf.Tensor2D), v)))(w)
      return tf.sum(tf.square(g)) as tf.Scalar
    }, [w])
    expect(audit.uncovered.some((k) => k.startsWith('customGrad'))).toBe(true)
    w.dispose()
  })
})
