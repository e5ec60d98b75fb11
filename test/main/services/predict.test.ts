/**
 * `predict` against PyTorch: a stored ONNX import fed the fixture's images from a .npy file
 * NumPy wrote gives PyTorch's logits, and its input gradient of the cross-entropy at the
 * predicted class agrees with torch.autograd's (cosine > 0.9999), in the input's own layout.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { readNpyFile } from '../../../src/main/engine/data/npy'
import { tf } from '../../../src/main/engine/tf'
import { importModel } from '../../../src/main/services/modelImport'
import { defaultLayout, predictBatch } from '../../../src/main/services/predict'
import { createProject, saveDataset, type ProjectDb } from '../../../src/main/store'
import { syntheticDataset } from '../../helpers/syntheticDataset'
import { loadFixture, type Fixture } from '../engine/models/onnx/fixtureData'

const NPY = join(import.meta.dirname, '..', '..', 'fixtures', 'npy')

let dir: string
let project: ProjectDb
let cifar: Fixture
let modelId: number

beforeAll(async () => {
  await initBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'ortholens-predict-'))
  project = createProject(join(dir, 'p.ortholens'), { name: 'p' })
  const datasetId = saveDataset(project.writable(), {
    ...syntheticDataset({ size: 32, channels: 3, classes: 10, train: 4, validation: 4 }),
    name: 'colour'
  })
  cifar = loadFixture('cifar-opset17')
  modelId = (await importModel(project, { path: cifar.path, name: 'cifar', datasetId })).modelId
})
afterAll(() => {
  project.close()
  rmSync(dir, { recursive: true, force: true })
})

/** NHWC fixture values (n, y, x, c) at NCHW position (n, c, y, x). */
function toNchw(nhwc: Float32Array, n: number, h: number, w: number, c: number): number[][][][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: c }, (_, k) =>
      Array.from({ length: h }, (_, y) =>
        Array.from({ length: w }, (_, x) => nhwc[((i * h + y) * w + x) * c + k]!)
      )
    )
  )
}

function cosine(a: number[], b: number[]): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!
    aa += a[i]! * a[i]!
    bb += b[i]! * b[i]!
  }
  return ab / Math.sqrt(aa * bb)
}

describe('predict on a .npy batch', () => {
  it('NCHW, as a PyTorch user saves it: PyTorch’s logits, predictions and input gradients', () => {
    const input = readNpyFile(join(NPY, 'cifar-opset17.nchw.npy'))
    expect(defaultLayout(project, modelId)).toBe('NCHW')
    const before = tf.memory().numTensors
    const r = predictBatch(project, modelId, input, { where: 'x.npy', gradient: true })
    expect(tf.memory().numTensors).toBe(before)
    expect(r.layout).toBe('NCHW')
    expect(r.predictions).toEqual(cifar.predicted)
    expect(r.classNames).toEqual(cifar.predicted.map((k) => `quadrant ${k}`))
    const span = Math.max(...cifar.logits.flat()) - Math.min(...cifar.logits.flat())
    r.logits.forEach((row, i) =>
      row.forEach((v, k) => expect(Math.abs(v - cifar.logits[i]![k]!)).toBeLessThan(1e-4 * span))
    )
    // The gradient comes back in the input's layout: [N, C, H, W].
    const g = r.gradient!
    expect([g.length, g[0]!.length, g[0]![0]!.length, g[0]![0]![0]!.length]).toEqual([4, 3, 32, 32])
    const torch = toNchw(cifar.gradient, 4, 32, 32, 3)
    for (let i = 0; i < 4; i++) {
      expect(cosine(g[i]!.flat(2), torch[i]!.flat(2))).toBeGreaterThan(0.9999)
    }
  })

  it('NHWC gives the same numbers, the gradient in NHWC', () => {
    const input = { shape: [4, 32, 32, 3], data: cifar.input }
    const r = predictBatch(project, modelId, input, {
      where: 'x.npy',
      layout: 'NHWC',
      gradient: true
    })
    const nchw = predictBatch(project, modelId, readNpyFile(join(NPY, 'cifar-opset17.nchw.npy')), {
      where: 'x.npy'
    })
    expect(r.predictions).toEqual(nchw.predictions)
    r.logits.flat().forEach((v, i) => expect(v).toBeCloseTo(nchw.logits.flat()[i]!, 5))
    expect(nchw.gradient).toBeUndefined()
    const flat = r.gradient!.flat(3)
    expect(flat).toHaveLength(cifar.gradient.length)
    expect(cosine(flat, Array.from(cifar.gradient))).toBeGreaterThan(0.9999)
  })

  it('refuses a batch of the wrong shape or layout, and pixels outside [0, 1], naming both', () => {
    const nhwc = { shape: [4, 32, 32, 3], data: cifar.input }
    expect(() => predictBatch(project, modelId, nhwc, { where: 'x.npy' })).toThrow(
      'Model "cifar" takes 32x32x3 images, as an NCHW batch of shape (N, 3, 32, 32); x.npy has shape (4, 32, 32, 3) (the other layout? --layout nhwc)'
    )
    expect(() =>
      predictBatch(
        project,
        modelId,
        { shape: [3, 32, 32], data: new Float32Array(3072) },
        {
          where: 'y.npy'
        }
      )
    ).toThrow(/y\.npy has shape \(3, 32, 32\)$/)
    const scaled = { shape: nhwc.shape, data: cifar.input.map((v) => v * 255) }
    expect(() =>
      predictBatch(project, modelId, scaled, { where: 'z.npy', layout: 'NHWC' })
    ).toThrow(
      /z\.npy: element \d+ \(image 0\) is [\d.]+; give pixels in \[0, 1\], before the model's normalisation \(divide 0–255 images by 255\)/
    )
    const nan = { shape: nhwc.shape, data: Float32Array.from(cifar.input) }
    nan.data[3 * 3072 + 5] = Number.NaN
    expect(() => predictBatch(project, modelId, nan, { where: 'n.npy', layout: 'NHWC' })).toThrow(
      /n\.npy: element 9221 \(image 3\) is NaN/
    )
  })
})
