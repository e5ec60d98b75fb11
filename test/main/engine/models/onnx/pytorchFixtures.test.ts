/**
 * Models exported by PyTorch (scripts/make-onnx-fixtures.py: narrowed torchvision resnet18,
 * mobilenet_v2, squeezenet1_1, densenet121, vgg11_bn, a CIFAR-style net and an operator zoo;
 * opset 17 and older) import and agree with PyTorch: logits within 1e-4 of the logit range,
 * input gradients of the cross-entropy at the predicted class with cosine > 0.9999.
 * Inputs are random floats, so max-pool windows have no ties (the tie rule does not matter).
 * Both backends: `cpu` (stock kernels' gradients) and `wasm`, the default, which lacks some
 * gradient kernels (depthwise input gradient, gather) that the import must avoid.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { BackendName } from '../../../../../src/main/engine/backend'
import { initBackend } from '../../../../../src/main/engine/backend'
import { importOnnxModel, onnxModelFromStored } from '../../../../../src/main/engine/models/onnx'
import { softmaxCrossEntropy } from '../../../../../src/main/engine/ops/crossEntropy'
import { tf, type Tensor4D } from '../../../../../src/main/engine/tf'
import { fixtureNames, loadFixture } from './fixtureData'

function cosine(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = from; i < to; i++) {
    ab += a[i]! * b[i]!
    aa += a[i]! * a[i]!
    bb += b[i]! * b[i]!
  }
  return ab / Math.sqrt(aa * bb)
}

describe('ONNX fixtures', () => {
  it('covers the architectures and opsets of the issue', () => {
    const names = fixtureNames()
    for (const arch of [
      'resnet18',
      'mobilenet_v2',
      'squeezenet1_1',
      'densenet121',
      'vgg11_bn',
      'cifar',
      'opzoo'
    ]) {
      expect(names.some((n) => n.startsWith(`${arch}-opset17`))).toBe(true)
    }
    expect(names.filter((n) => !n.endsWith('opset17')).length).toBeGreaterThanOrEqual(3)
  })
})

describe.each<BackendName>(['cpu', 'wasm'])('ONNX models exported by PyTorch, on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend)
  })

  for (const name of fixtureNames()) {
    it(`${name}: logits and input gradients match PyTorch`, () => {
      const f = loadFixture(name)
      const imported = importOnnxModel(f.path, { preprocessing: f.preprocessing })
      expect(imported.architecture.inputShape).toEqual(f.inputShape)
      expect(imported.architecture.numClasses).toBe(f.logits[0]!.length)
      const model = onnxModelFromStored(imported.architecture, imported.weights, { id: name, name })
      try {
        const [h, w, c] = f.inputShape
        const run = () =>
          tf.tidy(() => {
            const x = tf.tensor4d(f.input, [f.batch, h, w, c])
            const labels = tf.tensor1d(f.predicted, 'int32')
            const out = model.predictLogits(x).arraySync()
            const g = tf.grad((input) =>
              tf.sum(softmaxCrossEntropy(model.predictLogits(input as Tensor4D), labels, 'none'))
            )(x)
            return { logits: out, gradient: g.dataSync() as Float32Array }
          })
        run() // builds the model's constants
        const before = tf.memory().numTensors
        const { logits, gradient } = run()
        expect(tf.memory().numTensors).toBe(before)
        const flat = f.logits.flat()
        const range = Math.max(...flat) - Math.min(...flat)
        const worst = Math.max(...logits.flat().map((v, i) => Math.abs(v - flat[i]!)))
        expect(worst / range).toBeLessThan(1e-4)
        const per = h * w * c
        for (let i = 0; i < f.batch; i++) {
          expect(cosine(gradient, f.gradient, i * per, (i + 1) * per)).toBeGreaterThan(0.9999)
        }
        console.log(
          `${backend} ${name}: max |Δlogit| / range = ${(worst / range).toExponential(2)}, min cosine = ${Math.min(
            ...Array.from({ length: f.batch }, (_, i) =>
              cosine(gradient, f.gradient, i * per, (i + 1) * per)
            )
          ).toFixed(7)}`
        )
      } finally {
        model.dispose()
      }
    })
  }
})
