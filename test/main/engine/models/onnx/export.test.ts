/**
 * Export to ONNX of the models trained in the app: the written file re-imports (through the
 * ordinary import path, preprocessing read from the file's metadata) and predicts what the
 * network predicts, with the same input gradients.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../../src/main/engine/backend'
import { buildModel, type ArchitectureId } from '../../../../../src/main/engine/models'
import {
  exportOnnxModel,
  importOnnxModel,
  onnxModelFromStored
} from '../../../../../src/main/engine/models/onnx'
import { parseOnnxFile } from '../../../../../src/main/engine/models/onnx/parse'
import { tf, type Tensor4D } from '../../../../../src/main/engine/tf'

let root: string
beforeAll(async () => {
  await initBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'ortholens-onnx-export-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Batch-norm statistics and biases off their 0/1 defaults, so a mix-up would show. */
function perturb(net: ReturnType<typeof buildModel>, seed: number): void {
  const w = net.exportWeights()
  let offset = 0
  w.manifest.forEach((m, i) => {
    const size = m.shape.reduce((a, b) => a * b, 1)
    const kind = m.name.split('/').pop()
    for (let j = 0; j < size; j++) {
      const r = Math.sin(seed * 31 + i * 7 + j * 13)
      if (kind === 'moving_variance') w.data[offset + j] = 0.5 + Math.abs(r)
      else if (kind === 'moving_mean' || kind === 'beta' || kind === 'bias')
        w.data[offset + j] = 0.2 * r
      else if (kind === 'gamma') w.data[offset + j] = 1 + 0.3 * r
    }
    offset += size
  })
  net.loadWeights(w)
}

const CASES: [ArchitectureId, [number, number, number]][] = [
  ['cnn', [28, 28, 1]],
  ['vgg11', [8, 8, 3]],
  ['resnet20', [16, 16, 3]],
  ['resnet32', [12, 12, 3]]
]

describe('ONNX export of zoo models', () => {
  for (const [arch, shape] of CASES) {
    it(`${arch}: the exported file re-imports and predicts the same logits and gradients`, () => {
      const net = buildModel(arch, shape, 10, { seed: 3 })
      perturb(net, 5)
      const file = join(root, `${arch}.onnx`)
      try {
        const exported = exportOnnxModel(net, file, {
          classNames: Array.from({ length: 10 }, (_, i) => `class ${i}`)
        })
        expect(exported.maxAbsDiff).toBeLessThan(1e-4)
        expect(readFileSync(file).length).toBe(exported.bytes)
        const parsed = parseOnnxFile(file)
        expect(parsed.graph.opset).toBe(17)
        expect(parsed.irVersion).toBe(8)
        const imported = importOnnxModel(file)
        expect(imported.architecture.preprocessing).toMatchObject({
          layout: 'NCHW',
          size: [shape[0], shape[1]],
          channels: shape[2],
          valueScale: 1
        })
        expect(imported.architecture.preprocessing.classNames?.[9]).toBe('class 9')
        const model = onnxModelFromStored(imported.architecture, imported.weights, {
          id: 'x',
          name: arch
        })
        try {
          tf.tidy(() => {
            const x = tf.randomUniform([3, ...shape], 0, 1, 'float32', 11) as Tensor4D
            const a = net.predictLogits(x)
            const b = model.predictLogits(x)
            const scale = tf.max(tf.abs(a)).dataSync()[0]!
            expect(scale).toBeGreaterThan(1e-3)
            expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!).toBeLessThan(
              1e-5 * Math.max(1, scale)
            )
            const w = tf.randomNormal([3, 10], 0, 1, 'float32', 4)
            const ga = tf.grad((t) => tf.sum(tf.mul(net.predictLogits(t as Tensor4D), w)))(x)
            const gb = tf.grad((t) => tf.sum(tf.mul(model.predictLogits(t as Tensor4D), w)))(x)
            const cos =
              tf.sum(tf.mul(ga, gb)).dataSync()[0]! /
              Math.sqrt(tf.sum(tf.square(ga)).dataSync()[0]! * tf.sum(tf.square(gb)).dataSync()[0]!)
            expect(cos).toBeGreaterThan(0.99999)
          })
        } finally {
          model.dispose()
        }
      } finally {
        net.dispose()
      }
    })
  }
})
