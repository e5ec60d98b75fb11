/**
 * ONNX import through the service (the 'model-import' job's body): a PyTorch export stored
 * with its declared preprocessing predicts PyTorch's logits from the project, its accuracy on
 * the dataset picked is measured on the images it says, and every refused import — bad file or
 * a model that does not fit — leaves the project file byte for byte as it was.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { range, seededShuffle } from '../../../src/main/engine/data/split'
import { toFloatBatch } from '../../../src/main/engine/data/batches'
import { importOnnxModel, onnxModelFromStored } from '../../../src/main/engine/models/onnx'
import { encodeOnnx, floatTensor } from '../../../src/main/engine/models/onnx/writer'
import { tf, type Tensor4D } from '../../../src/main/engine/tf'
import { toModelSummary } from '../../../src/main/ipc/mappers'
import { IncompatibleModelError } from '../../../src/main/services/compatibility'
import { inspectModelFile } from '../../../src/main/services/modelFileInfo'
import { exportModelFiles } from '../../../src/main/services/modelFiles'
import { importModel } from '../../../src/main/services/modelImport'
import { loadClassifier } from '../../../src/main/services/models'
import { buildModel } from '../../../src/main/engine/models'
import {
  createProject,
  getRun,
  listDatasets,
  listModels,
  loadModel,
  saveDataset,
  saveModel,
  type ProjectDb
} from '../../../src/main/store'
import { syntheticDataset } from '../../helpers/syntheticDataset'
import { FIXTURE_DIR, loadFixture } from '../engine/models/onnx/fixtureData'
import { tinyConv, values } from '../engine/models/onnx/tinyModels'

let dir: string
let file: string
let project: ProjectDb
let colour: number
let grey: number

beforeAll(async () => {
  await initBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'ortholens-onnx-service-'))
  file = join(dir, 'audit.ortholens')
  project = createProject(file, { name: 'audit' })
  const db = project.writable()
  colour = saveDataset(db, {
    ...syntheticDataset({ size: 32, channels: 3, classes: 10, train: 10, validation: 150 }),
    name: 'colour'
  })
  grey = saveDataset(db, {
    ...syntheticDataset({ size: 28, channels: 1, classes: 10, train: 10, validation: 30 }),
    name: 'grey'
  })
})
afterAll(() => {
  project.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('importing a PyTorch export', () => {
  it('stores it with its declared preprocessing; from the project it predicts PyTorch’s logits', async () => {
    const f = loadFixture('cifar-opset17')
    const r = await importModel(project, {
      path: f.path,
      name: 'cifar net',
      datasetId: colour,
      preprocessing: { layout: 'NCHW', mean: [0, 0, 0], std: [1, 1, 1] },
      evalLimit: 100
    })
    expect(r).toMatchObject({ format: 'onnx', inputShape: [32, 32, 3], numClasses: 10 })
    const model = loadClassifier(project, r.modelId)
    try {
      const z = tf.tidy(() =>
        model.predictLogits(tf.tensor4d(f.input, [f.batch, 32, 32, 3]) as Tensor4D).arraySync()
      )
      const range_ = Math.max(...f.logits.flat()) - Math.min(...f.logits.flat())
      z.forEach((row, i) =>
        row.forEach((v, k) => expect(Math.abs(v - f.logits[i]![k]!)).toBeLessThan(1e-4 * range_))
      )
    } finally {
      model.dispose()
    }
    const record = loadModel(project.db, r.modelId)
    expect(record).toMatchObject({ status: 'ready', datasetId: colour, name: 'cifar net' })
    expect(record.trainingConfig).toMatchObject({ format: 'onnx', imported: f.path, opset: 17 })
    expect(getRun(project.db, r.runId)).toMatchObject({
      kind: 'model-import',
      status: 'done',
      modelIds: [r.modelId]
    })
  })

  it('measures accuracy on the seeded validation draw it reports (checked image by image)', async () => {
    const f = loadFixture('opzoo-opset17')
    const preprocessing = { mean: [0.286], std: [0.353] }
    const r = await importModel(project, {
      path: f.path,
      datasetId: grey,
      preprocessing,
      evalLimit: 20
    })
    expect(r.name).toBe('opzoo-opset17')
    expect(r.evaluation).toMatchObject({ datasetId: grey, datasetName: 'grey', images: 20 })
    // The same draw, predicted by the engine directly: a service that dropped the declared
    // normalisation, or evaluated other images, would count other hits.
    const ds = syntheticDataset({ size: 28, channels: 1, classes: 10, train: 10, validation: 30 })
    const indices = seededShuffle(range(30), 7).slice(0, 20)
    const direct = importOnnxModel(f.path, { preprocessing })
    const m = onnxModelFromStored(direct.architecture, direct.weights, { id: 'd', name: 'd' })
    const predicted = tf.tidy(() =>
      Array.from(tf.argMax(m.predictLogits(toFloatBatch(ds.validation, indices, ds)), 1).dataSync())
    )
    m.dispose()
    const hits = indices.filter((idx, k) => predicted[k] === ds.validation.labels[idx]).length
    expect(r.evaluation!.accuracy).toBe(hits / 20)
    expect(loadModel(project.db, r.modelId).metrics).toMatchObject({
      valAccuracy: hits / 20,
      accuracyImages: 20
    })
  })

  it('lists it for the window: datasets it fits, shape, declared preprocessing, stages, no re-export', () => {
    const datasets = listDatasets(project.db)
    const m = listModels(project.db).find((x) => x.name === 'opzoo-opset17')!
    const s = toModelSummary(m, datasets)
    expect(s).toMatchObject({
      origin: 'imported',
      architecture: 'onnx',
      inputShape: [28, 28, 1],
      numClasses: 10,
      fitsDatasets: [grey],
      exportFormats: [],
      accuracyImages: 20,
      onnx: {
        file: 'opzoo-opset17.onnx',
        opset: 17,
        preprocessing: { layout: 'NCHW', mean: [0.286], std: [0.353], valueScale: 1 }
      }
    })
    expect(s.featureStages!.length).toBeGreaterThan(3)
    expect(s.defaultStage).toBe(s.featureStages!.at(-1))
  })

  it('inspects a file for the import form: defaults from the input dims, fits per dataset', async () => {
    const info = await inspectModelFile(project, join(FIXTURE_DIR, 'cifar-opset11.onnx'))
    expect(info).toMatchObject({
      format: 'onnx',
      opset: 11,
      inputShape: [32, 32, 3],
      numClasses: 10,
      problem: null,
      preprocessing: { layout: 'NCHW', size: { height: 32, width: 32 }, channels: 3 }
    })
    expect(info.inputDims).toHaveLength(4)
    expect(info.datasets.find((d) => d.id === colour)!.mismatch).toBeNull()
    expect(info.datasets.find((d) => d.id === grey)!.mismatch).toMatch(
      /takes 32x32x3 images; dataset "grey" has 28x28x1/
    )
    // A file that leaves its size open: the form is asked for it, nothing is refused yet.
    const open = join(dir, 'open-size.onnx')
    writeFileSync(
      open,
      encodeOnnx(tinyConv({ inputs: [{ name: 'input', dims: ['N', 2, 'H', 'W'] }] }))
    )
    const o = await inspectModelFile(project, open)
    expect(o.inputShape).toBeNull()
    expect(o.problem).toMatch(/declare the size/)
    expect(o.preprocessing).toMatchObject({ layout: 'NCHW', size: null, channels: 2 })
  })

  it('exports a model trained in the app to ONNX; re-imported, it predicts the same', async () => {
    const net = buildModel('cnn', [28, 28, 1], 10, { seed: 11, name: 'trained' })
    const id = saveModel(project.writable(), {
      name: 'trained here',
      architecture: net.architecture,
      weights: net.exportWeights(),
      datasetId: grey,
      status: 'ready'
    })
    const out = await exportModelFiles(project, { modelId: id, path: dir, format: 'onnx' })
    expect(out.files).toEqual([join(dir, 'trained_here.onnx')])
    const back = await importModel(project, { path: out.files[0]!, datasetId: grey })
    const a = loadClassifier(project, back.modelId)
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5) as Tensor4D
    const diff = tf.tidy(
      () => tf.max(tf.abs(tf.sub(a.predictLogits(x), net.predictLogits(x)))).dataSync()[0]!
    )
    expect(diff).toBeLessThan(1e-4)
    // The ONNX import is not re-exported (its original file is the export).
    await expect(
      exportModelFiles(project, { modelId: back.modelId, path: dir, format: 'onnx' })
    ).rejects.toThrow(/"trained_here" \(id \d+\) is an imported ONNX model and cannot be exported/)
    for (const t of [a, net, x]) t.dispose()
  })
})

/** The project file's bytes after a checkpoint: a write, even one left in the WAL, shows. */
function projectHash(): string {
  ;(project.db as unknown as { pragma(s: string): unknown }).pragma('wal_checkpoint(TRUNCATE)')
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

describe('a refused import leaves the project file byte for byte as it was', () => {
  const bad: [string, () => string, RegExp][] = [
    [
      'a truncated protobuf',
      () => {
        const bytes = readFileSync(join(FIXTURE_DIR, 'resnet18-opset17.onnx'))
        return write('cut.onnx', bytes.subarray(0, bytes.length >> 1))
      },
      /cut\.onnx is not a readable ONNX model \(truncated or corrupt/
    ],
    [
      'an opset newer than supported',
      () => write('new.onnx', encodeOnnx(tinyConv({ opset: 22 }))),
      /new\.onnx uses opset 22, newer than Ortholens supports \(9–21\)/
    ],
    [
      'missing external data',
      () => {
        const spec = tinyConv()
        spec.initializers[0] = floatTensor('W', [3, 2, 3, 3], values(54, 1), {
          location: 'weights.bin'
        })
        return write('external.onnx', encodeOnnx(spec))
      },
      /external data location "weights\.bin" does not exist next to the model/
    ],
    [
      'an input of the wrong rank',
      () =>
        write('flat.onnx', encodeOnnx(tinyConv({ inputs: [{ name: 'input', dims: ['N', 50] }] }))),
      /flat\.onnx: input 'input' has rank 2/
    ],
    [
      'NaN weights',
      () => {
        const spec = tinyConv()
        const w = values(54, 1)
        w[5] = Number.NaN
        spec.initializers[0] = floatTensor('W', [3, 2, 3, 3], w)
        return write('nan.onnx', encodeOnnx(spec))
      },
      /initializer 'W' of nan\.onnx holds a non-finite value \(NaN at element 5\)/
    ],
    [
      'a file that is not ONNX',
      () => write('notes.onnx', 'these are my notes, not a model\n'),
      /notes\.onnx is not/
    ]
  ]

  function write(name: string, bytes: Uint8Array | string): string {
    const d = join(dir, 'bad')
    mkdirSync(d, { recursive: true })
    writeFileSync(join(d, name), bytes)
    return join(d, name)
  }

  it.each(bad)('%s', async (_what, make, message) => {
    const path = make()
    const before = projectHash()
    const models = listModels(project.db).length
    await expect(importModel(project, { path, datasetId: grey })).rejects.toThrow(message)
    expect(projectHash()).toBe(before)
    expect(listModels(project.db)).toHaveLength(models)
  })

  it('a model that does not fit the dataset picked', async () => {
    const before = projectHash()
    const err = await importModel(project, {
      path: join(FIXTURE_DIR, 'cifar-opset17.onnx'),
      datasetId: grey
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(IncompatibleModelError)
    expect((err as Error).message).toBe(
      'Model "cifar-opset17" takes 32x32x3 images; dataset "grey" has 28x28x1'
    )
    expect(projectHash()).toBe(before)
  })

  it('preprocessing that contradicts the file, or declared for a TF.js model', async () => {
    const before = projectHash()
    await expect(
      importModel(project, {
        path: join(FIXTURE_DIR, 'cifar-opset17.onnx'),
        preprocessing: { layout: 'NHWC' }
      })
    ).rejects.toThrow(/preprocessing: .*is the layout right\?/)
    await expect(
      importModel(project, { path: join(dir, 'model.json'), preprocessing: { mean: [0.5] } })
    ).rejects.toThrow(/Preprocessing is declared for ONNX models only/)
    expect(projectHash()).toBe(before)
  })
})
