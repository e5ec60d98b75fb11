import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { buildModel } from '../../../src/main/engine/models'
import { tf } from '../../../src/main/engine/tf'
import { exportModelFiles } from '../../../src/main/services/modelFiles'
import { importModel } from '../../../src/main/services/modelImport'
import { loadNetwork } from '../../../src/main/services/models'
import {
  createProject,
  getRun,
  listRuns,
  loadModel,
  saveDataset,
  saveModel,
  type ProjectDb
} from '../../../src/main/store'
import { makeDataset } from '../store/helpers'

let dir: string
let project: ProjectDb
let datasetId: number
let otherDatasetId: number
let modelId: number

beforeAll(async () => {
  await initBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'ortholens-modelfiles-'))
  project = createProject(join(dir, 'p.ortho'), { name: 'files' })
  const w = project.writable()
  datasetId = saveDataset(w, makeDataset(4, 4, [8, 8, 3], 1)) // 3 classes
  otherDatasetId = saveDataset(w, makeDataset(4, 4, [6, 6, 3], 2))
  const net = buildModel('resnet20', [8, 8, 3], 3, { seed: 4, name: 'res' })
  modelId = saveModel(w, {
    name: 'res',
    architecture: net.architecture,
    weights: net.exportWeights(),
    datasetId,
    status: 'ready'
  })
  net.dispose()
})
afterAll(() => {
  project.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('exportModelFiles / importModel (TF.js Layers)', () => {
  it('exports a stored model and imports it back as a ready model with the same logits', async () => {
    const out = join(dir, 'export')
    const exported = await exportModelFiles(project, { modelId: modelId, path: out })
    const [modelJson, ...weightFiles] = exported.files
    expect(exported.format).toBe('layers')
    expect(modelJson).toMatch(/model\.json$/)
    expect(existsSync(modelJson!)).toBe(true)
    expect(weightFiles.length).toBeGreaterThan(0)
    expect(weightFiles.every((f) => existsSync(f))).toBe(true)
    const meta = JSON.parse(readFileSync(modelJson!, 'utf8')).userDefinedMetadata.ortholens
    expect(meta).toMatchObject({ modelId, arch: 'resnet20', inputRange: [0, 1], outputs: 'logits' })
    const exportRun = getRun(project.db, exported.runId)!
    expect(exportRun).toMatchObject({ kind: 'model-export', status: 'done', modelIds: [modelId] })

    const imported = await importModel(project, {
      path: out,
      name: 'res (imported)',
      datasetId
    })
    expect(imported.inputShape).toEqual([8, 8, 3])
    expect(imported.numClasses).toBe(3)
    const record = loadModel(project.db, imported.modelId)
    expect(record.status).toBe('ready')
    expect(record.datasetId).toBe(datasetId)
    expect(record.trainingConfig).toMatchObject({ imported: modelJson, format: 'layers' })
    expect((record.architecture as { arch: string }).arch).toBe('imported')
    expect(getRun(project.db, imported.runId)).toMatchObject({
      kind: 'model-import',
      status: 'done',
      modelIds: [imported.modelId]
    })

    const a = loadNetwork(project, modelId)
    const b = loadNetwork(project, imported.modelId)
    expect(b.parameterCount()).toBe(a.parameterCount())
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D
    const diff = tf.tidy(
      () => tf.max(tf.abs(tf.sub(a.predictLogits(x), b.predictLogits(x)))).dataSync()[0]!
    )
    expect(diff).toBeLessThan(1e-4)
    x.dispose()
    a.dispose()
    b.dispose()
  })

  it('refuses a model whose input does not fit the dataset, and stores nothing', async () => {
    const out = join(dir, 'export2')
    await exportModelFiles(project, { modelId: modelId, path: out })
    const before = listRuns(project.db, { kind: 'model-import' }).length
    await expect(
      importModel(project, { path: out, name: 'bad', datasetId: otherDatasetId })
    ).rejects.toThrow(/Model "bad" takes 8x8x3 images; dataset "ds-2" has 6x6x3/)
    expect(listRuns(project.db, { kind: 'model-import' })).toHaveLength(before)
  })

  it('refuses to export a model that does not exist, writing nothing', async () => {
    await expect(
      exportModelFiles(project, { modelId: 999, path: join(dir, 'none') })
    ).rejects.toThrow()
    expect(existsSync(join(dir, 'none', 'model.json'))).toBe(false)
  })
})
