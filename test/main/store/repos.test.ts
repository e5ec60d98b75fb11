import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createProject, openProject } from '../../../src/main/store/open'
import {
  CHUNK_IMAGES,
  deleteDataset,
  getDatasetSummary,
  listDatasets,
  loadDataset,
  saveDataset
} from '../../../src/main/store/repos/datasets'
import {
  appendModelHistory,
  deleteModel,
  listModelHistory,
  listModels,
  loadBestCheckpoint,
  loadModel,
  renameModel,
  saveCheckpoint,
  saveModel,
  updateModelMetrics,
  updateModelStatus,
  updateModelWeights,
  type ModelWeights
} from '../../../src/main/store/repos/models'
import {
  createRun,
  finishRun,
  getRun,
  listRuns,
  updateRunProgress
} from '../../../src/main/store/repos/runs'
import {
  listGalleryItems,
  saveGalleryItems,
  type StoredGalleryItem
} from '../../../src/main/store/repos/gallery'
import { floats, makeDataset, tempDir } from './helpers'

let dir: string
let cleanup: () => void
beforeEach(() => ({ dir, cleanup } = tempDir()))
afterEach(() => cleanup())

function weights(seed: number): ModelWeights {
  return {
    manifest: [
      { name: 'conv1/kernel', shape: [3, 3, 3, 4] },
      { name: 'conv1/bias', shape: [4] },
      { name: 'dense/kernel', shape: [16, 3] }
    ],
    data: floats(108 + 4 + 48, seed)
  }
}

function galleryItem(i: number): StoredGalleryItem {
  return {
    sampleIndex: 100 + i,
    label: i % 3,
    epsilon: 0.03 * (i + 1),
    attack: i % 2 ? 'pgd' : 'fgsm',
    original: floats(2 * 3 * 3, 50 + i),
    adversarial: floats(2 * 3 * 3, 80 + i),
    shape: [2, 3, 3],
    predictions: { source: [i, 0.9], target: [2, 0.6 - i / 10] }
  }
}

describe('a project written, closed, reopened', () => {
  it('gives back datasets byte-equal, models, history, checkpoints, runs and gallery', () => {
    const path = join(dir, 'roundtrip.ortho')
    const p = createProject(path, { name: 'Roundtrip' })
    const w = p.writable()
    // 2500 train images span three chunks, the last one partial.
    const ds = makeDataset(2 * CHUNK_IMAGES + 500, 37, [6, 5, 3], 11)
    const dsId = saveDataset(w, ds)
    const small = makeDataset(0, 4, [2, 2, 1], 12)
    const smallId = saveDataset(w, small)

    const refW = weights(1)
    const refId = saveModel(w, {
      name: 'reference',
      architecture: { kind: 'small-cnn', filters: [4] },
      weights: refW,
      datasetId: dsId,
      trainingConfig: { lr: 0.01, epochs: 3 },
      status: 'ready',
      metrics: { valAccuracy: 0.81 }
    })
    const orthoId = saveModel(w, {
      name: 'ortho',
      architecture: { kind: 'small-cnn', filters: [4] },
      weights: weights(2),
      datasetId: dsId,
      referenceModelId: refId,
      trainingConfig: { lambda: 0.5 },
      status: 'training'
    })
    appendModelHistory(w, orthoId, { epoch: 1, trainLoss: 2.1, trainAccuracy: 0.3, seconds: 4.5 })
    appendModelHistory(w, orthoId, {
      epoch: 2,
      trainLoss: 1.2,
      trainAccuracy: 0.6,
      valAccuracy: 0.55,
      delta: 0.12,
      penalty: 0.4,
      seconds: 4.25,
      extra: { lr: 0.005 }
    })
    expect(saveCheckpoint(w, orthoId, { epoch: 1, valAccuracy: 0.5, weights: weights(3) })).toBe(
      true
    )
    expect(saveCheckpoint(w, orthoId, { epoch: 2, valAccuracy: 0.62, weights: weights(4) })).toBe(
      true
    )
    expect(saveCheckpoint(w, orthoId, { epoch: 3, valAccuracy: 0.6, weights: weights(5) })).toBe(
      false
    )
    updateModelWeights(w, orthoId, weights(6))
    updateModelStatus(w, orthoId, 'collapsed')
    updateModelMetrics(w, orthoId, { valAccuracy: 0.1 })
    renameModel(w, orthoId, 'ortho λ=0.5')

    const runId = createRun(w, {
      kind: 'attack-sweep',
      config: { attacks: ['fgsm', 'pgd'], epsilons: [0.01, 0.03] },
      seed: 1234,
      backend: 'wasm',
      modelIds: [orthoId, refId],
      datasetId: dsId
    })
    updateRunProgress(w, runId, { fraction: 0.5, stage: 'pgd ε=0.03' })
    expect(getRun(p.db, runId)!.progress).toEqual({ fraction: 0.5, stage: 'pgd ε=0.03' })
    const items = [0, 1, 2].map(galleryItem)
    expect(saveGalleryItems(w, runId, items.slice(0, 2))).toBe(2)
    expect(saveGalleryItems(w, runId, items.slice(2))).toBe(3)
    finishRun(w, runId, { status: 'done', results: { table: [[0.01, 0.9]] } })
    const failedRun = createRun(w, { kind: 'training', config: {}, backend: 'cpu' })
    finishRun(w, failedRun, { status: 'failed', results: {}, error: 'NaN loss at epoch 2' })
    p.close()

    const q = openProject(path, { readonly: true })
    const r = q.db
    // Datasets: byte-equal.
    // Byte-equality via Buffer.equals: vitest's element-wise toEqual is slow on 225 kB.
    const back = loadDataset(r, dsId)
    for (const split of ['train', 'validation'] as const) {
      expect(back[split].count).toBe(ds[split].count)
      expect(Buffer.from(back[split].images).equals(Buffer.from(ds[split].images))).toBe(true)
      expect(Buffer.from(back[split].labels).equals(Buffer.from(ds[split].labels))).toBe(true)
    }
    const noPixels = { train: null, validation: null }
    expect({ ...back, ...noPixels }).toEqual({ ...ds, ...noPixels })
    expect(loadDataset(r, smallId)).toEqual(small)
    expect(listDatasets(r)).toEqual([
      expect.objectContaining({
        id: dsId,
        name: 'ds-11',
        classNames: ['cat', 'dog', 'ship'],
        shape: [6, 5, 3],
        trainCount: 2500,
        validationCount: 37,
        provenance: { importer: 'test', seed: 11 }
      }),
      expect.objectContaining({ id: smallId, shape: [2, 2, 1], trainCount: 0, validationCount: 4 })
    ])
    const chunks = r.prepare('SELECT count(*) AS n FROM dataset_chunks WHERE dataset_id = ?')
    expect(chunks.get(dsId)).toEqual({ n: 4 })

    // Models.
    const ref = loadModel(r, refId)
    expect(ref.weights).toEqual(refW)
    expect(ref.weights.data).toBeInstanceOf(Float32Array)
    expect(ref).toMatchObject({
      name: 'reference',
      architecture: { kind: 'small-cnn', filters: [4] },
      datasetId: dsId,
      referenceModelId: null,
      trainingConfig: { lr: 0.01, epochs: 3 },
      status: 'ready',
      metrics: { valAccuracy: 0.81 },
      parameterCount: 160
    })
    const ortho = loadModel(r, orthoId)
    expect(ortho.weights.data).toEqual(weights(6).data)
    expect(ortho).toMatchObject({
      name: 'ortho λ=0.5',
      referenceModelId: refId,
      status: 'collapsed',
      metrics: { valAccuracy: 0.1 }
    })
    const list = listModels(r)
    expect(list.map((m) => m.name)).toEqual(['reference', 'ortho λ=0.5'])
    expect(list[0]).not.toHaveProperty('weights')
    expect(listModelHistory(r, orthoId)).toEqual([
      { epoch: 1, trainLoss: 2.1, trainAccuracy: 0.3, seconds: 4.5 },
      {
        epoch: 2,
        trainLoss: 1.2,
        trainAccuracy: 0.6,
        valAccuracy: 0.55,
        delta: 0.12,
        penalty: 0.4,
        seconds: 4.25,
        extra: { lr: 0.005 }
      }
    ])
    const best = loadBestCheckpoint(r, orthoId)!
    expect(best.epoch).toBe(2)
    expect(best.valAccuracy).toBe(0.62)
    expect(best.weights).toEqual(weights(4))
    expect(loadBestCheckpoint(r, refId)).toBeUndefined()

    // Runs.
    const run = getRun(r, runId)!
    expect(run).toMatchObject({
      kind: 'attack-sweep',
      status: 'done',
      config: { attacks: ['fgsm', 'pgd'], epsilons: [0.01, 0.03] },
      seed: 1234,
      backend: 'wasm',
      modelIds: [orthoId, refId],
      datasetId: dsId,
      progress: { fraction: 1, stage: 'pgd ε=0.03' },
      results: { table: [[0.01, 0.9]] },
      error: null
    })
    expect(Date.parse(run.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(run.startedAt))
    expect(run.durationMs).toBe(Date.parse(run.finishedAt!) - Date.parse(run.startedAt))
    expect(getRun(r, failedRun)).toMatchObject({
      status: 'failed',
      error: 'NaN loss at epoch 2',
      seed: null
    })
    expect(
      listRuns(r)
        .map((x) => x.id)
        .sort()
    ).toEqual([runId, failedRun].sort())
    expect(listRuns(r, { kind: 'training' }).map((x) => x.id)).toEqual([failedRun])
    expect(listRuns(r, { status: 'done' }).map((x) => x.id)).toEqual([runId])
    expect(listRuns(r, { search: 'PGD' }).map((x) => x.id)).toEqual([runId])
    expect(listRuns(r, { search: 'nan loss' }).map((x) => x.id)).toEqual([failedRun])
    expect(listRuns(r, { search: '%' })).toEqual([])
    expect(listRuns(r)[0]).not.toHaveProperty('results')

    // Gallery.
    expect(listGalleryItems(r, runId)).toEqual(items)
    q.close()
  })
})

describe('writes are all or nothing', () => {
  it('a gallery batch with a bad item in the middle saves none of it', () => {
    const p = createProject(join(dir, 'g.ortho'), { name: 'g' })
    const w = p.writable()
    const runId = createRun(w, { kind: 'gallery', config: {}, backend: 'cpu' })
    saveGalleryItems(w, runId, [galleryItem(0)])
    const bad = { ...galleryItem(2), adversarial: new Float32Array(5) }
    expect(() => saveGalleryItems(w, runId, [galleryItem(1), bad, galleryItem(3)])).toThrow(
      /gallery item 1 of run \d+: shape \[2, 3, 3\] does not match 18 original \/ 5 adversarial/
    )
    expect(listGalleryItems(p.db, runId)).toEqual([galleryItem(0)])
    p.close()
  })

  it('a dataset that fails midway (disk full) leaves no rows and earlier data intact', () => {
    const p = createProject(join(dir, 'full.ortho'), { name: 'full' })
    const w = p.writable()
    const first = makeDataset(50, 10)
    const firstId = saveDataset(w, first)
    // Simulate a full disk: cap the file a few pages above its current size.
    const pages = w.pragma('page_count', { simple: true }) as number
    w.pragma(`max_page_count = ${pages + 8}`)
    expect(() => saveDataset(w, makeDataset(3 * CHUNK_IMAGES, 0, [8, 8, 3], 5))).toThrow(/full/)
    w.pragma('max_page_count = 1073741823')
    expect(listDatasets(p.db).map((d) => d.id)).toEqual([firstId])
    expect(p.db.prepare('SELECT count(*) AS n FROM dataset_chunks').get()).toEqual({ n: 2 })
    expect(loadDataset(p.db, firstId)).toEqual(first)
    // The connection is still usable afterwards.
    expect(saveDataset(w, makeDataset(1, 1))).toBeGreaterThan(firstId)
    p.close()
  })

  it('rejects inconsistent datasets and weights before writing anything', () => {
    const p = createProject(join(dir, 'v.ortho'), { name: 'v' })
    const w = p.writable()
    const ds = makeDataset(3, 2)
    expect(() => saveDataset(w, { ...ds, train: { ...ds.train, count: 4 } })).toThrow(
      /train has 180 image bytes, expected 4 x 60/
    )
    const badLabels = makeDataset(3, 2)
    badLabels.validation.labels[1] = 7
    expect(() => saveDataset(w, badLabels)).toThrow(
      /validation label 7 at 1 is not one of 3 classes/
    )
    const wts = weights(1)
    expect(() =>
      saveModel(w, {
        name: 'm',
        architecture: {},
        weights: { ...wts, data: wts.data.subarray(1) },
        status: 'ready'
      })
    ).toThrow(/manifest describes 160 weights but 159 were given/)
    expect(() =>
      saveModel(w, { name: 'm', architecture: {}, weights: wts, status: 'done' as never })
    ).toThrow(/status 'done'/)
    expect(listDatasets(p.db)).toEqual([])
    expect(listModels(p.db)).toEqual([])
    p.close()
  })
})

describe('deletes', () => {
  it('cascade to chunks, history, checkpoints, run links and galleries', () => {
    const p = createProject(join(dir, 'd.ortho'), { name: 'd' })
    const w = p.writable()
    const dsId = saveDataset(w, makeDataset(20, 5))
    const base = { architecture: {}, status: 'ready' } as const
    const a = saveModel(w, { ...base, name: 'a', weights: weights(1), datasetId: dsId })
    const b = saveModel(w, { ...base, name: 'b', weights: weights(2), referenceModelId: a })
    appendModelHistory(w, a, { epoch: 1, trainLoss: 1, trainAccuracy: 0.5, seconds: 1 })
    saveCheckpoint(w, a, { epoch: 1, valAccuracy: 0.5, weights: weights(3) })
    const runId = createRun(w, {
      kind: 'transfer',
      config: {},
      backend: 'cpu',
      modelIds: [a, b],
      datasetId: dsId
    })
    saveGalleryItems(w, runId, [galleryItem(0)])

    expect(deleteDataset(w, dsId)).toBe(true)
    expect(getDatasetSummary(p.db, dsId)).toBeUndefined()
    expect(p.db.prepare('SELECT count(*) AS n FROM dataset_chunks').get()).toEqual({ n: 0 })
    expect(loadModel(p.db, a).datasetId).toBeNull()
    expect(getRun(p.db, runId)!.datasetId).toBeNull()

    expect(deleteModel(w, a)).toBe(true)
    expect(deleteModel(w, a)).toBe(false)
    expect(() => loadModel(p.db, a)).toThrow(`model ${a} does not exist in this project`)
    expect(loadModel(p.db, b).referenceModelId).toBeNull()
    expect(listModelHistory(p.db, a)).toEqual([])
    expect(loadBestCheckpoint(p.db, a)).toBeUndefined()
    expect(getRun(p.db, runId)!.modelIds).toEqual([b])
    expect(listGalleryItems(p.db, runId)).toHaveLength(1)
    p.close()
  })
})
