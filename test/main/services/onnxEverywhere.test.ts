/**
 * An imported ONNX model works everywhere a trained one does, through the same services the
 * window and the command line call: as attack source and target (sweep, ε preview), in the
 * defense table, explained with Grad-CAM / CAMERAS at a chosen layer, as the source of
 * saliency-enhanced PGD, and as the reference of an orthogonal model trained in the app.
 * The dataset is labelled by the ONNX model itself, so it is right on every image.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { range } from '../../../src/main/engine/data/split'
import { toFloatBatch } from '../../../src/main/engine/data/batches'
import { importOnnxModel, onnxModelFromStored } from '../../../src/main/engine/models/onnx'
import { tf } from '../../../src/main/engine/tf'
import { attackPreview } from '../../../src/main/services/audits/preview'
import { runAttackSweep } from '../../../src/main/services/audits/sweep'
import { runDefenseTable } from '../../../src/main/services/audits/defenseTable'
import { explainSamples } from '../../../src/main/services/explain/samples'
import { saliencyPgdStudy } from '../../../src/main/services/explain/saliencyPgd'
import { importModel } from '../../../src/main/services/modelImport'
import { trainModel } from '../../../src/main/services/models'
import { createProject, saveDataset, type ProjectDb } from '../../../src/main/store'
import type { ImageDataset, ImageSplit } from '../../../src/main/engine/data/types'
import { syntheticDataset } from '../../helpers/syntheticDataset'
import { loadFixture } from '../engine/models/onnx/fixtureData'

const PRE = { mean: [0.286], std: [0.353] }
let dir: string
let project: ProjectDb
let datasetId: number
let onnxId: number
let copyId: number
let stages: string[]

/** The dataset's labels replaced by the ONNX model's own predictions. */
function labelledBy(path: string, ds: ImageDataset): ImageDataset {
  const imported = importOnnxModel(path, { preprocessing: PRE })
  const m = onnxModelFromStored(imported.architecture, imported.weights, { id: 'l', name: 'l' })
  const relabel = (split: ImageSplit): ImageSplit => ({
    ...split,
    labels: Uint8Array.from(
      tf.tidy(() =>
        tf.argMax(m.predictLogits(toFloatBatch(split, range(split.count), ds)), 1).dataSync()
      )
    )
  })
  try {
    return { ...ds, train: relabel(ds.train), validation: relabel(ds.validation) }
  } finally {
    m.dispose()
  }
}

beforeAll(async () => {
  await initBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'ortholens-onnx-everywhere-'))
  project = createProject(join(dir, 'p.ortholens'), { name: 'p' })
  const path = loadFixture('opzoo-opset17').path
  const ds = labelledBy(
    path,
    syntheticDataset({ size: 28, channels: 1, classes: 10, train: 48, validation: 24, seed: 5 })
  )
  datasetId = saveDataset(project.writable(), { ...ds, name: 'grey' })
  const first = await importModel(project, { path, name: 'onnx', datasetId, preprocessing: PRE })
  expect(first.evaluation!.accuracy).toBe(1)
  onnxId = first.modelId
  copyId = (await importModel(project, { path, name: 'onnx copy', datasetId, preprocessing: PRE }))
    .modelId
  const imported = importOnnxModel(path, { preprocessing: PRE })
  stages = imported.info.featureStages
})
afterAll(() => {
  project.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('an imported ONNX model in every study', () => {
  it('attack sweep: fooled as source, and its copy fooled the same as a target', async () => {
    const r = await runAttackSweep(project, {
      datasetId,
      sourceId: onnxId,
      targetIds: [copyId],
      attacks: ['fgsm', 'pgd'],
      epsilons: [0, 0.1],
      sampleCount: 8,
      gallerySamples: 1,
      attackSettings: { pgd: { steps: 3 } }
    })
    expect(r.sampleCount).toBe(8)
    for (const attack of ['fgsm', 'pgd']) {
      const [source, target] = ['source', 'target'].map(
        (role) => r.curves.find((c) => c.attack === attack && c.role === role)!.points
      )
      expect(source![0]!.foolingRatio).toBe(0)
      expect(source![1]!.foolingRatio).toBeGreaterThan(0)
      // The same network: a white-box perturbation fools the copy exactly as often.
      expect(target![1]!.foolingRatio).toBe(source![1]!.foolingRatio)
    }
    const preview = await attackPreview(project, {
      datasetId,
      sourceId: onnxId,
      targetIds: [copyId],
      attack: 'fgsm',
      epsilon: 0.1,
      sampleIndex: 0
    })
    expect(preview.clean.map((p) => p.label)).toEqual([preview.label, preview.label])
  })

  it('the reference of an orthogonal model trained in the app (first-order input gradients)', async () => {
    const r = await trainModel(project, {
      name: 'orthogonal to the ONNX model',
      datasetId,
      architecture: 'cnn',
      referenceId: onnxId,
      lambda: 5,
      epochs: 1,
      batchSize: 16,
      trainLimit: 32,
      valLimit: 24,
      seed: 2
    })
    expect(Number.isFinite(r.delta!.mean)).toBe(true)
    expect(Math.abs(r.delta!.mean)).toBeLessThanOrEqual(1)
    expect(r.delta!.count).toBeGreaterThan(0)
    expect(r.status).toBe('ready')
    // As the defense table's orthogonal model next to the ONNX source and its copy.
    const table = await runDefenseTable(project, {
      datasetId,
      sourceId: onnxId,
      ordinaryId: copyId,
      orthogonalId: r.modelId,
      attacks: ['fgsm'],
      epsilons: [0.1],
      defenses: ['bitDepth'],
      sampleCount: 4
    })
    expect(table.sampleCount).toBeGreaterThan(0)
  })

  it('Grad-CAM / CAMERAS at the layer picked: another layer gives another map', async () => {
    const at = (stage: string | undefined) =>
      explainSamples(project, {
        datasetId,
        modelIds: [onnxId],
        sampleIndices: [0, 1],
        methods: ['gradcam', 'cameras'],
        ...(stage ? { stage } : {})
      })
    const first = await at(stages[0])
    const last = await at(undefined)
    const map = (e: typeof first) => e.models[0]!.maps.gradcam as { data: Float32Array }
    expect(map(first).data.every(Number.isFinite)).toBe(true)
    expect(Array.from(map(first).data)).not.toEqual(Array.from(map(last).data))
    expect(
      ((await at(stages.at(-1))).models[0]!.maps.gradcam as { data: Float32Array }).data
    ).toEqual(map(last).data)
    await expect(at('no such layer')).rejects.toThrow(
      /Stage "no such layer" is not a feature stage of "onnx"/
    )
  })

  it('saliency-enhanced PGD with the ONNX model as source', async () => {
    const r = await saliencyPgdStudy(project, {
      datasetId,
      sourceId: onnxId,
      targetIds: [copyId],
      count: 6,
      steps: 3,
      epsilon: 0.1
    })
    expect(r.sampleIndices).toHaveLength(6)
    expect(r.source.vanilla.meanLinf).toBeLessThanOrEqual(0.1 + 1e-6)
    expect(r.source.enhanced.meanLinf).toBeGreaterThan(0)
    expect(r.targets[0]!.vanilla.foolingRate).toBe(r.source.vanilla.foolingRate)
  })
})
