/**
 * Training is reproducible: the same seeds give bit-identical weights at any thread count of
 * the native kernels, so an analyst who retrains a model gets the same model. The filter
 * gradients and the cpu matrix products sum over groups fixed by the shape; with per-worker
 * partials, which worker took which image changed the order of the additions (and the weights
 * after a few steps) from run to run.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { buildModel, type ArchitectureId } from '../../../../src/main/engine/models'
import { trainStep } from '../../../../src/main/engine/training/steps'
import {
  loadNativeKernels,
  nativeKernelStatus
} from '../../../../src/main/engine/kernels/nativeKernels'

/** Weights after two orthogonal steps and one ordinary step from seeded models and data. */
function trainedWeights(
  arch: ArchitectureId,
  shape: [number, number, number],
  batch: number
): Float32Array[] {
  const net = buildModel(arch, shape, 10, { seed: 1 })
  const ref = buildModel(arch, shape, 10, { seed: 2 })
  const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 3) as tf.Tensor4D
  const y = tf.randomUniform([batch], 0, 10, 'int32', 4) as tf.Tensor1D
  const opt = tf.train.momentum(0.01, 0.9)
  const ortho = { reference: ref, lambda: 30, form: 'squared' as const }
  for (const options of [ortho, undefined, ortho]) trainStep(net, opt, x, y, options)
  const weights = net.trainableVariables().map((v) => v.dataSync().slice() as Float32Array)
  tf.dispose([x, y])
  opt.dispose()
  net.dispose()
  ref.dispose()
  return weights
}

describe.skipIf(!nativeKernelStatus().active)(
  'training is bit-reproducible across native thread counts',
  () => {
    const native = loadNativeKernels()!
    const initial = native.info().threads
    afterAll(() => native.configure({ threads: initial }))

    const cases: {
      backend: 'wasm' | 'cpu'
      arch: ArchitectureId
      shape: [number, number, number]
      batch: number
    }[] = [
      // More images than the filter gradient's 16 groups; the dense layer's At.B on cpu.
      { backend: 'cpu', arch: 'cnn', shape: [28, 28, 1], batch: 40 },
      { backend: 'wasm', arch: 'cnn', shape: [28, 28, 1], batch: 40 },
      // Batch norm, residual adds and strided convolutions.
      { backend: 'wasm', arch: 'resnet20', shape: [16, 16, 3], batch: 12 }
    ]
    for (const c of cases) {
      it(`${c.backend} ${c.arch}: the same weights on 1 and 2 threads, and on a second run`, async () => {
        await initBackend(c.backend)
        const runs = [1, 2, 2].map((threads) => {
          native.configure({ threads })
          return trainedWeights(c.arch, c.shape, c.batch)
        })
        // The steps moved the weights (so equality is not that of untouched initial values)...
        const initialWeights = buildModel(c.arch, c.shape, 10, { seed: 1 })
        const moved = initialWeights
          .trainableVariables()
          .some((v, i) => v.dataSync().some((w, k) => w !== runs[0]![i]![k]))
        initialWeights.dispose()
        expect(moved).toBe(true)
        // ...and moved them identically.
        for (const run of runs.slice(1))
          run.forEach((w, i) => expect(w, `variable ${i}`).toEqual(runs[0]![i]))
      })
    }
  }
)
