/**
 * Issue 21's targets on trained models and real images: the demo's reference cnn and a narrow
 * VGG-11 (five max pools, batch norm), trained on the built-in Fashion-MNIST sample, on 32 of
 * its validation images (flat backgrounds: max-pool windows full of ties). On every backend
 * that loads here, native kernels on and off:
 *  - each image's input gradient (training/steps inputGradient, what δ and the attacks use)
 *    is within 1e-4 relative (L2) of PyTorch's float64 one, which an error of 1e-3 would
 *    break;
 *  - its cosine to PyTorch's float32 gradient is ≥ 0.99999 wherever PyTorch's float32 is
 *    itself that close to float64. On confident images it is not: softmax − onehot loses the
 *    label's entry in float32 (issue 21.4; cosine 0.54 to float64 on one demo image), and the
 *    engine's cancellation-free cross-entropy is closer to float64 than PyTorch float32 is;
 *  - FGSM gives the same images, bit for bit, in every configuration.
 * Fixture: scripts/conformance/make-trained-fixtures.sh (weights as float16, gradients from
 * PyTorch); no Python here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { runAttack } from '../../../../src/main/engine/attacks'
import { loadBuiltinSample } from '../../../../src/main/engine/data/builtinSample'
import { labelsTensor, toFloatBatch } from '../../../../src/main/engine/data/batches'
import {
  nativeKernelStatus,
  setNativeKernels
} from '../../../../src/main/engine/kernels/nativeKernels'
import { inputGradient } from '../../../../src/main/engine/training/steps'
import { tf, type Tensor1D, type Tensor4D } from '../../../../src/main/engine/tf'
import { imageChecksum, loadTrainedFixture, rowCosine, trainedNetwork } from './trainedModels'

const fixture = loadTrainedFixture()
const configs = (['wasm', 'cpu'] as const).flatMap((backend) =>
  (nativeKernelStatus().active ? [true, false] : [false]).map((native) => ({
    backend,
    native,
    label: `${backend}, native ${native ? 'on' : 'off'}`
  }))
)
const EPSILON = 0.1

/** FGSM images per model and configuration, as raw bits. */
const fgsmImages = new Map<string, Map<string, Uint32Array>>()

/** ‖a_i − b_i‖ / ‖b_i‖ for row i of two [N, per] arrays. */
function rowRelativeError(a: Float32Array, b: Float32Array, i: number, per: number): number {
  let d = 0
  let n = 0
  for (let k = i * per; k < (i + 1) * per; k++) {
    d += (a[k]! - b[k]!) ** 2
    n += b[k]! ** 2
  }
  return Math.sqrt(d / n)
}

function sampleBatch(): { x: Tensor4D; y: Tensor1D } {
  const ds = loadBuiltinSample()
  return {
    x: toFloatBatch(ds.validation, fixture.images.indices, ds),
    y: labelsTensor(ds.validation, fixture.images.indices)
  }
}

describe('trained-model fixture', () => {
  beforeAll(async () => {
    await initBackend('cpu')
  })

  it('holds the sample images it was made from, and models that learned something', () => {
    const { x, y } = sampleBatch()
    const [s, s2] = imageChecksum(x.dataSync() as Float32Array)
    expect(Math.abs(s - fixture.images.checksum[0])).toBeLessThan(1e-6 * s)
    expect(Math.abs(s2 - fixture.images.checksum[1])).toBeLessThan(1e-6 * s2)
    expect(Array.from(y.dataSync())).toEqual(fixture.images.labels)
    tf.dispose([x, y])
    for (const m of fixture.models) expect(m.validationAccuracy, m.name).toBeGreaterThan(0.7)
  })
})

describe.each(configs)('trained models on $label', ({ backend, native, label }) => {
  beforeAll(async () => {
    await initBackend(backend)
    setNativeKernels(native)
  })
  afterAll(() => setNativeKernels(true))

  it.each(fixture.models.map((m) => [m.name, m] as const))(
    '%s: input gradients as PyTorch computes them, on every image',
    async (_name, m) => {
      const net = trainedNetwork(m)
      const { x, y } = sampleBatch()
      const g = inputGradient(net, x, y)
      const [n, h, w, c] = fixture.images.shape
      // inputGradient takes the batch mean; PyTorch's reference is each image's own gradient.
      const values = Float32Array.from(g.dataSync(), (v) => v * n)
      const per = h * w * c
      const cosine32 = Array.from({ length: n }, (_, i) => rowCosine(values, m.torch32, i, per))
      const error64 = Array.from({ length: n }, (_, i) =>
        rowRelativeError(values, m.torch64, i, per)
      )
      console.log(
        `${label} ${m.name}: worst image cosine to PyTorch float32 ${Math.min(...cosine32).toFixed(9)}, ` +
          `worst relative error to float64 ${Math.max(...error64).toExponential(2)} ` +
          `(PyTorch float32's own worst cosine to float64: ${m.torchFloat32MinCosine.toFixed(9)})`
      )
      let torchOff = 0
      for (let i = 0; i < n; i++) {
        expect(error64[i], `${m.name} image ${i}`).toBeLessThan(1e-4)
        const torch32Cosine = rowCosine(m.torch32, m.torch64, i, per)
        if (torch32Cosine >= 0.99999) {
          expect(cosine32[i], `${m.name} image ${i}`).toBeGreaterThanOrEqual(0.99999)
        } else {
          torchOff++
          expect(rowCosine(values, m.torch64, i, per), `${m.name} image ${i}`).toBeGreaterThan(
            torch32Cosine
          )
        }
      }
      // The bound sees a gradient wrong by 1e-3 (relative, in one entry's worth of its norm).
      const wrong = Float32Array.from(values)
      const norm = Math.sqrt(values.subarray(0, per).reduce((a, v) => a + v * v, 0))
      const k = values
        .subarray(0, per)
        .reduce((best, v, j, row) => (Math.abs(v) > Math.abs(row[best]!) ? j : best), 0)
      wrong[k] = wrong[k]! + Math.sign(wrong[k]!) * 1e-3 * norm
      expect(rowRelativeError(wrong, m.torch64, 0, per)).toBeGreaterThan(1e-4)
      console.log(
        `${label} ${m.name}: ${torchOff} of ${n} images where PyTorch float32 is below 0.99999 of float64`
      )
      const adv = await runAttack('fgsm', net, x, y, { epsilon: EPSILON })
      const bits = new Uint32Array(Float32Array.from(adv.dataSync()).buffer)
      const perConfig = fgsmImages.get(m.name) ?? new Map<string, Uint32Array>()
      perConfig.set(label, bits)
      fgsmImages.set(m.name, perConfig)
      tf.dispose([g, x, y, adv])
      net.dispose()
    }
  )
})

describe('FGSM on the trained models', () => {
  it('gives the same images, bit for bit, on every backend with native kernels on and off', () => {
    for (const m of fixture.models) {
      const perConfig = fgsmImages.get(m.name)!
      expect(perConfig.size).toBe(configs.length)
      const [first, ...rest] = [...perConfig.entries()]
      for (const [label, bits] of rest) {
        const differing = bits.reduce((count, v, i) => count + (v === first![1][i] ? 0 : 1), 0)
        expect(differing, `${m.name}: ${label} against ${first![0]}`).toBe(0)
      }
    }
  })
})
