/**
 * An imported ONNX model in the engine's hands: saliency stages are exactly the cut values
 * (forwardFrom ∘ forwardTo = predictLogits, inner residual values are not offered), Grad-CAM
 * and CAMERAS run on it (default: the last spatial stage), attacks fool it, it serves as an
 * orthogonal-training reference (input gradients), and repeated work leaves the live tensor
 * count flat.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../../src/main/engine/backend'
import { runAttack } from '../../../../../src/main/engine/attacks'
import {
  importOnnxModel,
  onnxModelFromStored,
  type OnnxModel
} from '../../../../../src/main/engine/models/onnx'
import { cameras, gradCam } from '../../../../../src/main/engine/saliency'
import { inputGradient } from '../../../../../src/main/engine/training/steps'
import { tf, type Tensor1D, type Tensor4D } from '../../../../../src/main/engine/tf'
import { loadFixture } from './fixtureData'

beforeAll(async () => {
  await initBackend('cpu')
})

function load(name: string): { model: OnnxModel; x: Tensor4D } {
  const f = loadFixture(name)
  const imported = importOnnxModel(f.path, { preprocessing: f.preprocessing })
  const model = onnxModelFromStored(imported.architecture, imported.weights, { id: name, name })
  return { model, x: tf.tensor4d(f.input, [f.batch, ...f.inputShape]) }
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
}

describe('imported ONNX models in the engine', () => {
  it('resnet18: stages are the block outputs; cutting at any of them reproduces the logits', () => {
    const { model, x } = load('resnet18-opset17')
    try {
      const stages = model.stageNames()
      expect(stages).toContain('/layer1/layer1.0/relu_1/Relu') // a block's output
      expect(stages).not.toContain('/layer1/layer1.0/relu/Relu') // inside the residual branch
      expect(stages).not.toContain('/layer1/layer1.0/conv1/Conv')
      const features = model.featureStages()
      // 32 px: layer3 is 2x2, layer4 1x1 — the default is the last map wider than 1x1.
      expect(model.defaultStage()).toBe('/layer3/layer3.1/relu_1/Relu')
      expect(features[features.length - 1]).toBe(model.defaultStage())
      tf.tidy(() => {
        const logits = model.predictLogits(x)
        for (const s of stages) {
          const a = model.forwardTo(s, x)
          if (features.includes(s)) expect(a.rank).toBe(4)
          expect(maxDiff(model.forwardFrom(s, a), logits)).toBeLessThan(1e-5)
        }
      })
      expect(model.acceptsAnyInputSize()).toBe(true)
    } finally {
      model.dispose()
    }
  })

  it('densenet121 (NHWC input): stages are the transitions, and the flatten-free head accepts other sizes', () => {
    const { model, x } = load('densenet121-opset17')
    try {
      const stages = model.featureStages()
      expect(stages.length).toBeGreaterThan(3)
      expect(stages.some((s) => s.includes('transition'))).toBe(true)
      expect(stages.some((s) => s.includes('denselayer2/'))).toBe(false) // inside a dense block
      tf.tidy(() => {
        const logits = model.predictLogits(x)
        for (const s of stages)
          expect(maxDiff(model.forwardFrom(s, model.forwardTo(s, x)), logits)).toBeLessThan(1e-5)
      })
    } finally {
      model.dispose()
    }
  })

  it('Grad-CAM and CAMERAS run on an imported model; a flatten head is offered the adaptive-pool variant', () => {
    const { model, x } = load('vgg11_bn-opset17')
    const cifar = load('cifar-opset17')
    try {
      const cam = gradCam(model, x)
      expect(cam.shape).toEqual([4, 32, 32])
      const camValues = cam.dataSync()
      expect(Math.max(...camValues)).toBeCloseTo(1, 5)
      cam.dispose()
      const c = cameras(model, x, { scales: [32, 40] })
      expect(c.shape).toEqual([4, 32, 32])
      expect(c.dataSync().every(Number.isFinite)).toBe(true)
      c.dispose()
      expect(cifar.model.acceptsAnyInputSize()).toBe(false)
      expect(() => cameras(cifar.model, cifar.x, { scales: [32, 40] })).toThrow(
        /only accept|input size|fixed/i
      )
      const pooled = cameras(cifar.model, cifar.x, {
        scales: [32, 40],
        fixedSizeHead: 'adaptive-pool'
      })
      expect(pooled.shape).toEqual([4, 32, 32])
      pooled.dispose()
    } finally {
      model.dispose()
      cifar.model.dispose()
    }
  })

  it('is attacked as a source (PGD fools it) and gives reference input gradients for orthogonal training', async () => {
    const { model, x } = load('resnet18-opset17')
    try {
      const labels = tf.argMax(model.predictLogits(x), 1) as Tensor1D
      const adv = await runAttack('pgd', model, x, labels, { epsilon: 0.03, steps: 10, seed: 1 })
      expect(maxDiff(adv, x)).toBeLessThanOrEqual(0.03 + 1e-6)
      const after = tf.argMax(model.predictLogits(adv), 1).dataSync()
      const before = labels.dataSync()
      expect(Array.from(after).filter((p, i) => p !== before[i]).length).toBeGreaterThanOrEqual(3)
      const g = inputGradient(model, x, labels)
      expect(g.shape).toEqual(x.shape)
      expect(tf.sum(tf.abs(g)).dataSync()[0]!).toBeGreaterThan(0)
      tf.dispose([adv, labels, g])
    } finally {
      model.dispose()
    }
  })

  it('keeps the live tensor count flat across repeated predictions, gradients and saliency', () => {
    const { model, x } = load('squeezenet1_1-opset17')
    try {
      const work = () => {
        tf.tidy(() => {
          model.predictLogits(x)
          tf.grad((t) => tf.sum(model.predictLogits(t as Tensor4D)))(x)
        })
        model.predictLogits(x).dispose() // outside any tidy: intermediates are freed as it goes
        gradCam(model, x).dispose()
      }
      work()
      const before = tf.memory().numTensors
      for (let i = 0; i < 3; i++) work()
      expect(tf.memory().numTensors).toBe(before)
    } finally {
      model.dispose()
    }
  })
})
