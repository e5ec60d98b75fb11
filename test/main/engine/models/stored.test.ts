/**
 * Stored models of either kind come back through one call, and a model that does not fit a
 * dataset is named with the mismatch. An ONNX model's architecture survives JSON (what the
 * project stores) and predicts the same after the round trip.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  buildModel,
  datasetMismatch,
  isNetwork,
  modelFromStored
} from '../../../../src/main/engine/models'
import { importOnnxModel, OnnxModel } from '../../../../src/main/engine/models/onnx'
import { tf, type Tensor4D } from '../../../../src/main/engine/tf'
import { loadFixture } from './onnx/fixtureData'

beforeAll(async () => {
  await initBackend('cpu')
})

describe('stored models', () => {
  it('an ONNX model survives the JSON of the project and predicts the same', () => {
    const f = loadFixture('opzoo-opset17')
    const imported = importOnnxModel(f.path, {
      preprocessing: {
        ...f.preprocessing,
        classNames: Array.from({ length: 10 }, (_, i) => `digit ${i}`)
      }
    })
    const architecture = JSON.parse(JSON.stringify(imported.architecture)) as unknown
    const weights = {
      manifest: imported.weights.manifest,
      data: Float32Array.from(imported.weights.data)
    }
    const model = modelFromStored(architecture, weights, { id: 'm1', name: 'zoo' })
    try {
      expect(model).toBeInstanceOf(OnnxModel)
      expect(isNetwork(model)).toBe(false)
      const logits = tf.tidy(() =>
        model
          .predictLogits(tf.tensor4d(f.input, [f.batch, ...f.inputShape]) as Tensor4D)
          .arraySync()
      )
      logits.flat().forEach((v, i) => expect(Math.abs(v - f.logits.flat()[i]!)).toBeLessThan(1e-4))
      expect((model as OnnxModel).preprocessing.classNames?.[3]).toBe('digit 3')
    } finally {
      model.dispose()
    }
  })

  it('a zoo model comes back as a Network with its weights', () => {
    const net = buildModel('cnn', [28, 28, 1], 10, { seed: 4 })
    const back = modelFromStored(
      JSON.parse(JSON.stringify(net.architecture)),
      net.exportWeights(),
      { id: 'm2', name: 'cnn' }
    )
    try {
      expect(isNetwork(back)).toBe(true)
      const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 2) as Tensor4D
      expect(
        tf.max(tf.abs(tf.sub(net.predictLogits(x), back.predictLogits(x)))).dataSync()[0]
      ).toBe(0)
      expect(() =>
        modelFromStored({ ...net.architecture, format: 2 }, net.exportWeights(), {
          id: 'm3',
          name: 'future'
        })
      ).toThrow(/Model "future": format 2 is newer/)
    } finally {
      net.dispose()
      back.dispose()
    }
  })

  it('names the mismatch between a model and a dataset', () => {
    const model = {
      name: 'resnet18 (ImageNet)',
      inputShape: [32, 32, 3] as [number, number, number],
      numClasses: 10
    }
    expect(
      datasetMismatch(model, { name: 'CIFAR-10', shape: [32, 32, 3], classCount: 10 })
    ).toBeUndefined()
    expect(
      datasetMismatch(model, { name: 'Fashion-MNIST', shape: [28, 28, 1], classCount: 10 })
    ).toBe('Model "resnet18 (ImageNet)" takes 32x32x3 images; dataset "Fashion-MNIST" has 28x28x1')
    expect(datasetMismatch(model, { name: 'Pets', shape: [32, 32, 3], classCount: 37 })).toBe(
      'Model "resnet18 (ImageNet)" predicts 10 classes; dataset "Pets" has 37'
    )
  })
})
