/**
 * The delete rules (services/lifecycle.ts) on a project with two datasets, a reference chain
 * (source ← orthogonal ← a model trained against the orthogonal one), a sweep with a gallery,
 * a similarity run and a model on the second dataset: which rows count as dependents, that a
 * delete leaves no row pointing at a deleted one, and that the file still opens and passes its
 * integrity checks afterwards. Also renames with taken names and the dataset cache after an id
 * is reused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ContractError } from '../../../src/contract/errors'
import { initBackend } from '../../../src/main/engine/backend'
import { runAttackSweep } from '../../../src/main/services/audits/sweep'
import { galleryOf } from '../../../src/main/services/audits/gallery'
import { datasetOf } from '../../../src/main/services/datasets'
import {
  deleteEntity,
  idsInRequest,
  planDeletion,
  renameEntity
} from '../../../src/main/services/lifecycle'
import { similarityReport } from '../../../src/main/services/models'
import { storedRequest } from '../../../src/main/services/runs'
import {
  createRun,
  danglingReferences,
  finishRun,
  inspectProjectFile,
  listDatasets,
  listModels,
  listRuns,
  openProject,
  saveCheckpoint,
  saveDataset,
  saveModel,
  appendModelHistory,
  type ProjectDb
} from '../../../src/main/store'
import { quickCheck } from '../../../src/main/store/repos/schema'
import { makeDataset } from '../store/helpers'
import { LINEAR, linear, tinyProject, type TinyProject } from './fixtures'

await initBackend('cpu')

let t: TinyProject
/** Ids of the extra rows each test starts from. */
let ids: {
  chainId: number
  chainTrainRun: number
  orthogonalTrainRun: number
  sweepRun: number
  similarityRun: number
  otherDataset: number
  otherModel: number
  otherImportRun: number
  importRun: number
}

function count(project: ProjectDb, table: string): number {
  return (project.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
}

beforeEach(async () => {
  t = tinyProject()
  const db = t.project.writable()
  const importRun = createRun(db, {
    kind: 'import',
    config: {},
    backend: 'cpu',
    datasetId: t.datasetId
  })
  finishRun(db, importRun, { status: 'done', results: {} })
  const orthogonalTrainRun = createRun(db, {
    kind: 'train',
    config: {
      request: { name: 'orthogonal', datasetId: t.datasetId, referenceId: t.sourceId },
      resolved: {}
    },
    backend: 'cpu',
    datasetId: t.datasetId,
    modelIds: [t.sourceId, t.orthogonalId]
  })
  finishRun(db, orthogonalTrainRun, { status: 'done', results: {} })
  // A model trained against the orthogonal one: the chain a delete of the source must follow.
  const net = linear(9, 'chain')
  const chainId = saveModel(db, {
    name: 'chain',
    architecture: LINEAR,
    weights: net.exportWeights(),
    datasetId: t.datasetId,
    referenceModelId: t.orthogonalId,
    trainingConfig: { lambda: 5 },
    status: 'ready'
  })
  appendModelHistory(db, chainId, { epoch: 1, trainLoss: 1, trainAccuracy: 0.5, seconds: 1 })
  saveCheckpoint(db, chainId, { epoch: 1, valAccuracy: 0.5, weights: net.exportWeights() })
  net.dispose()
  const chainTrainRun = createRun(db, {
    kind: 'train',
    config: {
      request: { name: 'chain', datasetId: t.datasetId, referenceId: t.orthogonalId },
      resolved: {}
    },
    backend: 'cpu',
    datasetId: t.datasetId,
    modelIds: [t.orthogonalId, chainId]
  })
  finishRun(db, chainTrainRun, { status: 'done', results: {} })
  const sweep = await runAttackSweep(t.project, {
    datasetId: t.datasetId,
    sourceId: t.sourceId,
    targetIds: [t.ordinaryId],
    attacks: ['fgsm'],
    epsilons: [0.05],
    sampleCount: 8,
    gallerySamples: 3,
    seed: 1
  })
  const similarity = await similarityReport(t.project, {
    datasetId: t.datasetId,
    modelA: t.sourceId,
    modelB: t.ordinaryId,
    valLimit: 16
  })
  // A second dataset of another shape, with its own model and import run.
  const otherDataset = saveDataset(db, makeDataset(6, 4, [4, 5, 3], 11))
  const otherImportRun = createRun(db, {
    kind: 'import',
    config: {},
    backend: 'cpu',
    datasetId: otherDataset
  })
  finishRun(db, otherImportRun, { status: 'done', results: {} })
  const otherModel = saveModel(db, {
    name: 'other',
    architecture: { ...LINEAR, inputShape: [4, 5, 3] },
    weights: { manifest: [], data: new Float32Array(0) },
    datasetId: otherDataset,
    status: 'ready'
  })
  ids = {
    chainId,
    chainTrainRun,
    orthogonalTrainRun,
    sweepRun: sweep.runId,
    similarityRun: similarity.runId,
    otherDataset,
    otherModel,
    otherImportRun,
    importRun
  }
})
afterEach(() => t?.cleanup())

/** No row points at a deleted one, through a foreign key or a run's stored request. */
function expectNoOrphans(project: ProjectDb): void {
  expect(danglingReferences(project.db)).toEqual([])
  const models = new Set(listModels(project.db).map((m) => m.id))
  const datasets = new Set(listDatasets(project.db).map((d) => d.id))
  for (const m of listModels(project.db)) {
    if (m.datasetId !== null) expect(datasets.has(m.datasetId)).toBe(true)
  }
  for (const run of listRuns(project.db)) {
    const named = idsInRequest(storedRequest(run))
    for (const id of named.models)
      expect(models.has(id), `run ${run.id} names model ${id}`).toBe(true)
    for (const id of named.datasets)
      expect(datasets.has(id), `run ${run.id} names dataset ${id}`).toBe(true)
    if (run.datasetId !== null) expect(datasets.has(run.datasetId)).toBe(true)
  }
  for (const [table, column, parent] of [
    ['model_history', 'model_id', 'models'],
    ['model_checkpoints', 'model_id', 'models'],
    ['run_models', 'run_id', 'runs'],
    ['gallery_items', 'run_id', 'runs'],
    ['dataset_chunks', 'dataset_id', 'datasets']
  ] as const) {
    const stray = project.db
      .prepare(
        `SELECT count(*) AS n FROM ${table} WHERE ${column} NOT IN (SELECT id FROM ${parent})`
      )
      .get() as { n: number }
    expect(stray.n, `${table} rows without their ${parent} row`).toBe(0)
  }
}

/** Closes the project, checks the file as an open would, and opens it again. */
function reopen(): ProjectDb {
  t.project.close()
  expect(() => inspectProjectFile(t.path)).not.toThrow()
  const p = openProject(t.path)
  expect(quickCheck(p.db)).toEqual([])
  t.project = p
  return p
}

describe('what counts as a dependent', () => {
  it('a model takes the models trained against it, to the end of the chain, and every run that used them', () => {
    const d = planDeletion(t.project, { kind: 'model', id: t.sourceId }).dependents
    expect(d.target).toEqual({ kind: 'model', id: t.sourceId, name: 'source' })
    expect(d.models).toEqual([
      { id: t.orthogonalId, name: 'orthogonal', why: 'trained against "source"' },
      { id: ids.chainId, name: 'chain', why: 'trained against "orthogonal"' }
    ])
    expect(d.runs.map((r) => r.id).sort((a, b) => a - b)).toEqual(
      [ids.orthogonalTrainRun, ids.chainTrainRun, ids.sweepRun, ids.similarityRun].sort(
        (a, b) => a - b
      )
    )
    // The sweep kept 3 samples × 1 attack × 1 ε > 0.
    expect(d.galleryImages).toBe(3)
    expect(d.blockers).toEqual([])
  })

  it('a model trained against nothing and used by nothing but its own training has no dependents', () => {
    const d = planDeletion(t.project, { kind: 'model', id: ids.chainId }).dependents
    expect(d).toMatchObject({ models: [], runs: [], galleryImages: 0 })
    // Its training run is its own record: it goes with it, not listed as a dependent.
    const plan = planDeletion(t.project, { kind: 'model', id: ids.chainId })
    expect(plan.runIds).toEqual([ids.chainTrainRun])
  })

  it('a dataset takes the models trained on it and its runs, and leaves the other dataset alone', () => {
    const plan = planDeletion(t.project, { kind: 'dataset', id: t.datasetId })
    expect(plan.modelIds.sort()).toEqual(
      [t.sourceId, t.ordinaryId, t.orthogonalId, t.collapsedId, ids.chainId].sort()
    )
    expect(plan.modelIds).not.toContain(ids.otherModel)
    expect(plan.runIds).not.toContain(ids.otherImportRun)
    // Its import run is its own record.
    expect(plan.runIds).toContain(ids.importRun)
    expect(plan.dependents.runs.map((r) => r.id)).not.toContain(ids.importRun)
    expect(plan.dependents.models.find((m) => m.id === t.sourceId)?.why).toBe(
      'trained on dataset "tiny"'
    )
  })

  it('a run takes its gallery images', () => {
    const d = planDeletion(t.project, { kind: 'run', id: ids.sweepRun }).dependents
    expect(d).toMatchObject({ models: [], runs: [], galleryImages: 3, blockers: [] })
    expect(
      planDeletion(t.project, { kind: 'run', id: ids.similarityRun }).dependents.galleryImages
    ).toBe(0)
  })

  it('a run whose stored request names a model is its dependent even without a model link', () => {
    const db = t.project.writable()
    const run = createRun(db, {
      kind: 'similarity',
      config: {
        request: { datasetId: ids.otherDataset, modelA: ids.otherModel, modelB: ids.otherModel },
        resolved: {}
      },
      backend: 'cpu'
    })
    finishRun(db, run, { status: 'failed', results: {}, error: 'x' })
    expect(planDeletion(t.project, { kind: 'model', id: ids.otherModel }).runIds).toContain(run)
    expect(planDeletion(t.project, { kind: 'dataset', id: ids.otherDataset }).runIds).toContain(run)
  })

  it('a run still running on a model blocks its delete, whatever the caller says', () => {
    const db = t.project.writable()
    createRun(db, { kind: 'attack-sweep', config: {}, backend: 'cpu', modelIds: [t.ordinaryId] })
    const d = planDeletion(t.project, { kind: 'model', id: t.ordinaryId }).dependents
    expect(d.blockers).toEqual([expect.stringMatching(/attack-sweep\) is still running/)])
    expect(() =>
      deleteEntity(t.project, { kind: 'model', id: t.ordinaryId }, { withDependents: true })
    ).toThrow(/still running/)
    expect(listModels(t.project.db).some((m) => m.id === t.ordinaryId)).toBe(true)
  })

  it('an unknown id is not found', () => {
    expect(() => planDeletion(t.project, { kind: 'model', id: 999 })).toThrow(ContractError)
    expect(() => planDeletion(t.project, { kind: 'run', id: 999 })).toThrow(/No run with id 999/)
  })
})

describe('a delete', () => {
  it('with dependents is refused unless asked for, and then changes nothing', () => {
    const before = ['models', 'runs', 'gallery_items', 'datasets'].map((tb) => count(t.project, tb))
    let error: unknown
    try {
      deleteEntity(t.project, { kind: 'model', id: t.ordinaryId })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ContractError)
    expect((error as ContractError).code).toBe('has-dependents')
    expect((error as ContractError).message).toMatch(
      /2 runs \(#\d+ attack-sweep, #\d+ similarity\) and 3 gallery images/
    )
    expect(
      ['models', 'runs', 'gallery_items', 'datasets'].map((tb) => count(t.project, tb))
    ).toEqual(before)
  })

  it('of a model with its dependents removes exactly them, leaves no orphan, and the project reopens sound', () => {
    const runsBefore = count(t.project, 'runs')
    const r = deleteEntity(t.project, { kind: 'model', id: t.ordinaryId }, { withDependents: true })
    expect(r).toEqual({ datasets: 0, models: 1, runs: 2, galleryImages: 3 })
    expect(count(t.project, 'runs')).toBe(runsBefore - 2)
    expect(count(t.project, 'gallery_items')).toBe(0)
    expect(
      listModels(t.project.db)
        .map((m) => m.name)
        .sort()
    ).toEqual(['chain', 'collapsed', 'orthogonal', 'other', 'source'])
    expectNoOrphans(t.project)
    const p = reopen()
    expectNoOrphans(p)
    expect(listModels(p.db).some((m) => m.id === t.ordinaryId)).toBe(false)
  })

  it('of the source removes the reference chain and its history, checkpoints and runs', () => {
    const r = deleteEntity(t.project, { kind: 'model', id: t.sourceId }, { withDependents: true })
    expect(r.models).toBe(3)
    expect(
      listModels(t.project.db)
        .map((m) => m.name)
        .sort()
    ).toEqual(['collapsed', 'ordinary', 'other'])
    expect(count(t.project, 'model_history')).toBe(0)
    expect(count(t.project, 'model_checkpoints')).toBe(0)
    // What is left of the runs: the two imports.
    expect(
      listRuns(t.project.db)
        .map((x) => x.id)
        .sort()
    ).toEqual([ids.importRun, ids.otherImportRun].sort())
    expectNoOrphans(reopen())
  })

  it('of a dataset removes its models, runs and image chunks and leaves the other dataset usable', () => {
    deleteEntity(t.project, { kind: 'dataset', id: t.datasetId }, { withDependents: true })
    expect(listDatasets(t.project.db).map((d) => d.id)).toEqual([ids.otherDataset])
    expect(listModels(t.project.db).map((m) => m.id)).toEqual([ids.otherModel])
    expect(listRuns(t.project.db).map((x) => x.id)).toEqual([ids.otherImportRun])
    const p = reopen()
    expectNoOrphans(p)
    expect(datasetOf(p, ids.otherDataset).train.count).toBe(6)
  })

  it('of a run removes its gallery only', () => {
    const models = count(t.project, 'models')
    expect(
      deleteEntity(t.project, { kind: 'run', id: ids.sweepRun }, { withDependents: true })
    ).toEqual({
      datasets: 0,
      models: 0,
      runs: 1,
      galleryImages: 3
    })
    expect(count(t.project, 'models')).toBe(models)
    expectNoOrphans(reopen())
  })

  it('of something with no dependents needs no confirmation', () => {
    expect(deleteEntity(t.project, { kind: 'model', id: t.collapsedId })).toEqual({
      datasets: 0,
      models: 1,
      runs: 0,
      galleryImages: 0
    })
    expect(deleteEntity(t.project, { kind: 'run', id: ids.similarityRun })).toMatchObject({
      runs: 1
    })
  })

  it('lets a reused dataset id read the new dataset, not a cached copy of the deleted one', () => {
    const db = t.project.writable()
    const third = saveDataset(db, makeDataset(3, 2, [2, 2, 1], 21))
    expect(datasetOf(t.project, third).height).toBe(2)
    deleteEntity(t.project, { kind: 'dataset', id: third })
    // SQLite hands the largest id out again once its row is gone.
    const again = saveDataset(db, makeDataset(5, 2, [3, 3, 1], 22))
    expect(again).toBe(third)
    expect(datasetOf(t.project, again).height).toBe(3)
    expect(datasetOf(t.project, again).train.count).toBe(5)
  })
})

describe('a rename', () => {
  it('to a free name takes it; to a taken one gets "(2)" and a warning; its own name (other case) stays free', () => {
    expect(renameEntity(t.project, { kind: 'model', id: t.ordinaryId }, 'Baseline')).toEqual({
      name: 'Baseline'
    })
    const r = renameEntity(t.project, { kind: 'model', id: t.collapsedId }, 'baseline ')
    expect(r).toEqual({
      name: 'baseline (2)',
      warning: 'A model named "baseline" already exists; this one is called "baseline (2)".'
    })
    expect(renameEntity(t.project, { kind: 'model', id: t.ordinaryId }, 'BASELINE')).toEqual({
      name: 'BASELINE'
    })
    expect(renameEntity(t.project, { kind: 'dataset', id: ids.otherDataset }, 'tiny').name).toBe(
      'tiny (2)'
    )
    expect(() => renameEntity(t.project, { kind: 'dataset', id: 77 }, 'x')).toThrow(
      /No dataset with id 77/
    )
    expect(() => renameEntity(t.project, { kind: 'model', id: t.sourceId }, '   ')).toThrow(
      /cannot be empty/
    )
  })

  it('shows a renamed model under its new name in the results that recorded the old one', () => {
    renameEntity(t.project, { kind: 'model', id: t.ordinaryId }, 'Baseline')
    const names = galleryOf(t.project, ids.sweepRun).flatMap((g) =>
      g.predictions.adversarial.map((p) => p.modelName)
    )
    expect(new Set(names)).toEqual(new Set(['source', 'Baseline']))
  })
})
