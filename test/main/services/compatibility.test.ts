/**
 * Issue 15's bug: with a second dataset in a project (32x32 colour next to 28x28 grey), a
 * sweep whose targets include the other dataset's model died inside conv2d ("depth of input
 * (1) must match input depth for filter 3"), and saliency-enhanced PGD the same way. Every
 * service now refuses such a pair up front, naming the model and the mismatch, and stores
 * nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { buildModel } from '../../../src/main/engine/models'
import {
  createProject,
  listDatasets,
  listModels,
  listRuns,
  saveDataset,
  saveModel,
  type ProjectDb
} from '../../../src/main/store'
import { runAttackSweep } from '../../../src/main/services/audits/sweep'
import { runDefenseTable } from '../../../src/main/services/audits/defenseTable'
import { attackPreview } from '../../../src/main/services/audits/preview'
import { saliencyPgdStudy } from '../../../src/main/services/explain/saliencyPgd'
import { explainSamples } from '../../../src/main/services/explain/samples'
import { explainAdversarialSample } from '../../../src/main/services/explain/adversarial'
import { sanityStudy } from '../../../src/main/services/explain/sanity'
import { similarityReport, trainModel } from '../../../src/main/services/models'
import {
  fittingDatasetIds,
  IncompatibleModelError,
  modelsFitting,
  modelsOfRequest,
  requireRequestFits
} from '../../../src/main/services/compatibility'
import { syntheticDataset } from '../../helpers/syntheticDataset'

let dir: string
let project: ProjectDb
let grey: number
let colour: number
let greyA: number
let greyB: number
let greyC: number
let colourModel: number
let fiveClasses: number

beforeAll(async () => {
  await initBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'ortholens-fit-'))
  project = createProject(join(dir, 'two.ortholens'), { name: 'two' })
  const db = project.writable()
  const data = (size: number, channels: number, name: string) =>
    saveDataset(db, {
      ...syntheticDataset({ size, channels, classes: 10, train: 20, validation: 40 }),
      name
    })
  grey = data(28, 1, 'grey sample')
  colour = data(32, 3, 'colour set')
  const store = (
    name: string,
    shape: [number, number, number],
    classes: number,
    datasetId: number,
    seed: number
  ) => {
    const net = buildModel('cnn', shape, classes, { seed, name })
    const id = saveModel(db, {
      name,
      architecture: net.architecture,
      weights: net.exportWeights(),
      datasetId,
      trainingConfig: {},
      status: 'ready'
    })
    net.dispose()
    return id
  }
  greyA = store('grey A', [28, 28, 1], 10, grey, 1)
  greyB = store('grey B', [28, 28, 1], 10, grey, 2)
  greyC = store('grey C', [28, 28, 1], 10, grey, 3)
  colourModel = store('colour cnn', [32, 32, 3], 10, colour, 4)
  fiveClasses = store('five classes', [28, 28, 1], 5, grey, 5)
})
afterAll(() => {
  project.close()
  rmSync(dir, { recursive: true, force: true })
})

const IMAGES = /Model "colour cnn" takes 32x32x3 images; dataset "grey sample" has 28x28x1/
const CLASSES = /Model "five classes" predicts 5 classes; dataset "grey sample" has 10/

/** The service's refusal: an IncompatibleModelError, and no run stored. */
async function refused(fn: () => Promise<unknown>): Promise<IncompatibleModelError> {
  const runs = listRuns(project.db).length
  const error = await fn().then(
    () => undefined,
    (err: unknown) => err
  )
  expect(error).toBeInstanceOf(IncompatibleModelError)
  expect((error as Error).message).not.toMatch(/conv2d|depth of input|tensor/i)
  expect(listRuns(project.db)).toHaveLength(runs)
  return error as IncompatibleModelError
}

describe('a model of another dataset is refused by every service, naming it and the mismatch', () => {
  it('the sweep of the issue: a 32x32 colour target on the 28x28 grey set', async () => {
    const err = await refused(() =>
      runAttackSweep(project, {
        datasetId: grey,
        sourceId: greyA,
        targetIds: [greyB, colourModel],
        attacks: ['fgsm'],
        epsilons: [0.03],
        sampleCount: 4
      })
    )
    expect(err.message).toMatch(IMAGES)
    expect(err.message).toMatch(/it cannot be the target here/)
    expect(err.field).toBe('targetIds')
  })

  it('saliency-enhanced PGD (the issue: no way around it before)', async () => {
    const err = await refused(() =>
      saliencyPgdStudy(project, {
        datasetId: grey,
        sourceId: greyA,
        targetIds: [colourModel],
        count: 4,
        steps: 2
      })
    )
    expect(err.message).toMatch(IMAGES)
    // As the source, on the colour model's dataset, the grey model is refused the same way.
    const asSource = await refused(() =>
      saliencyPgdStudy(project, { datasetId: colour, sourceId: greyA, count: 4, steps: 2 })
    )
    expect(asSource.message).toMatch(
      /Model "grey A" takes 28x28x1 images; dataset "colour set" has 32x32x3: it cannot be the source here/
    )
  })

  it('a class count that differs is refused too', async () => {
    const err = await refused(() =>
      runAttackSweep(project, {
        datasetId: grey,
        sourceId: fiveClasses,
        attacks: ['fgsm'],
        epsilons: [0.03],
        sampleCount: 4
      })
    )
    expect(err.message).toMatch(CLASSES)
    expect(err.field).toBe('sourceId')
  })

  it('defense table, ε preview, explanations, sanity, similarity and training', async () => {
    await refused(() =>
      runDefenseTable(project, {
        datasetId: grey,
        sourceId: greyA,
        ordinaryId: greyB,
        orthogonalId: colourModel,
        sampleCount: 4
      })
    )
    await refused(() =>
      attackPreview(project, {
        datasetId: grey,
        sourceId: greyA,
        targetIds: [colourModel],
        attack: 'fgsm',
        epsilon: 0.03,
        sampleIndex: 0
      })
    )
    await refused(() =>
      explainSamples(project, { datasetId: grey, modelIds: [greyA, colourModel], count: 1 })
    )
    await refused(() =>
      explainAdversarialSample(project, { datasetId: colour, modelId: greyA, sampleIndex: 0 })
    )
    await refused(() => sanityStudy(project, { datasetId: grey, modelId: colourModel, count: 2 }))
    await refused(() =>
      similarityReport(project, { datasetId: grey, modelA: greyA, modelB: colourModel })
    )
    const models = listModels(project.db).length
    const err = await refused(() =>
      trainModel(project, {
        name: 'orthogonal to the wrong reference',
        datasetId: grey,
        architecture: 'cnn',
        referenceId: colourModel,
        lambda: 30,
        epochs: 1
      })
    )
    expect(err.message).toMatch(/it cannot be the reference here/)
    expect(listModels(project.db)).toHaveLength(models)
  })

  it('fitting pairs still run (the check refuses only what cannot run)', async () => {
    const sweep = await runAttackSweep(project, {
      datasetId: grey,
      sourceId: greyA,
      targetIds: [greyB, greyC],
      attacks: ['fgsm'],
      epsilons: [0, 0.05],
      sampleCount: 2,
      gallerySamples: 0
    })
    expect(sweep.models.map((m) => m.id)).toEqual([greyA, greyB, greyC])
  })
})

describe('the rule in one place', () => {
  it('lists the datasets each model fits and the models each dataset fits', () => {
    const datasets = listDatasets(project.db)
    const byName = Object.fromEntries(listModels(project.db).map((m) => [m.name, m]))
    expect(fittingDatasetIds(byName['grey A']!, datasets)).toEqual([grey])
    expect(fittingDatasetIds(byName['colour cnn']!, datasets)).toEqual([colour])
    expect(fittingDatasetIds(byName['five classes']!, datasets)).toEqual([])
    expect(modelsFitting(project, colour).map((m) => m.id)).toEqual([colourModel])
    expect(modelsFitting(project, grey).map((m) => m.id)).toEqual([greyA, greyB, greyC])
  })

  it('reads the model fields of any request, and refuses unknown ids by name', () => {
    expect(
      modelsOfRequest({ datasetId: 1, sourceId: 4, targetIds: [5, 6], seed: 3 }).map(
        (m) => `${m.field}:${m.id}:${m.role}`
      )
    ).toEqual(['sourceId:4:source', 'targetIds:5:target', 'targetIds:6:target'])
    expect(() => requireRequestFits(project, { datasetId: grey, modelId: 999 } as object)).toThrow(
      /^model 999 does not exist in this project$/
    )
    expect(() => requireRequestFits(project, { datasetId: 77, modelId: greyA } as object)).toThrow(
      /^dataset 77 does not exist in this project$/
    )
    expect(() => requireRequestFits(project, { modelId: colourModel } as object)).not.toThrow()
  })
})
