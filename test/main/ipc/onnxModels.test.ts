/**
 * The window's side of issue 15, through the contract and the real job worker: reading an ONNX
 * file for the import form, importing it with the declared preprocessing and seeing its
 * accuracy, exporting a trained model to ONNX, and requests that pair a model with a dataset
 * it does not fit refused before a job is queued, naming the model, the mismatch and the field.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelFileInfo, ModelImportView, ModelSummary } from '../../../src/contract/entities'
import type { ContractErrorData } from '../../../src/contract/errors'
import { initBackend } from '../../../src/main/engine/backend'
import { buildModel } from '../../../src/main/engine/models'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import { saveDataset, saveModel } from '../../../src/main/store'
import { syntheticDataset } from '../../helpers/syntheticDataset'
import { FIXTURE_DIR } from '../engine/models/onnx/fixtureData'

const dir = mkdtempSync(join(tmpdir(), 'ortholens-ipc-onnx-'))
const host: Host = {
  emit: () => undefined,
  pickPath: async (_purpose, typed) => (typed ? [typed] : null),
  nativeDialogs: false,
  settingsDir: join(dir, 'settings')
}
const ctx: HandlerContext = { host, session: new Session(host) }
const ids = { grey: 0, colour: 0, greyModel: 0, colourModel: 0 }

async function ok<T>(channel: string, args: unknown): Promise<T> {
  const r = await dispatch(channel, args, ctx)
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`)
  return r.value as T
}
async function refused(channel: string, args: unknown): Promise<ContractErrorData> {
  const r = await dispatch(channel, args, ctx)
  expect(r.ok).toBe(false)
  return (r as { error: ContractErrorData }).error
}

beforeAll(async () => {
  await initBackend('cpu')
  const path = join(dir, 'p.ortholens')
  ctx.session.allow([path])
  await ok('projects.create', { path })
  const db = ctx.session.project!.writable()
  ids.grey = saveDataset(db, {
    ...syntheticDataset({ size: 28, channels: 1, classes: 10, train: 10, validation: 40 }),
    name: 'grey sample'
  })
  ids.colour = saveDataset(db, {
    ...syntheticDataset({ size: 32, channels: 3, classes: 10, train: 10, validation: 40 }),
    name: 'colour set'
  })
  const store = (name: string, shape: [number, number, number], datasetId: number) => {
    const net = buildModel('cnn', shape, 10, { seed: 1, name })
    const id = saveModel(db, {
      name,
      architecture: net.architecture,
      weights: net.exportWeights(),
      datasetId,
      status: 'ready'
    })
    net.dispose()
    return id
  }
  ids.greyModel = store('grey cnn', [28, 28, 1], ids.grey)
  ids.colourModel = store('colour cnn', [32, 32, 3], ids.colour)
})
afterAll(async () => {
  await ctx.session.detach()
  rmSync(dir, { recursive: true, force: true })
})

describe('ONNX through the contract', () => {
  const onnx = join(FIXTURE_DIR, 'opzoo-opset17.onnx')

  it('inspects the picked file: the form’s defaults and the datasets it fits', async () => {
    expect(await refused('models.inspect', { path: onnx })).toMatchObject({
      code: 'forbidden-path'
    })
    await ok('system.pickPath', { purpose: 'model-import', typedPath: onnx })
    const info = await ok<ModelFileInfo>('models.inspect', { path: onnx })
    expect(info).toMatchObject({
      format: 'onnx',
      opset: 17,
      inputShape: [28, 28, 1],
      numClasses: 10,
      preprocessing: { layout: 'NCHW', size: { height: 28, width: 28 }, channels: 1 }
    })
    expect(info.datasets).toEqual([
      { id: ids.grey, name: 'grey sample', mismatch: null },
      {
        id: ids.colour,
        name: 'colour set',
        mismatch: 'Model "opzoo-opset17" takes 28x28x1 images; dataset "colour set" has 32x32x3'
      }
    ])
  })

  it('imports with the declared preprocessing and answers the accuracy with its image count', async () => {
    const view = await ok<ModelImportView>('models.import', {
      path: onnx,
      datasetId: ids.grey,
      evalLimit: 40,
      preprocessing: { mean: [0.286], std: [0.353] }
    })
    expect(view.evaluation).toMatchObject({
      datasetId: ids.grey,
      datasetName: 'grey sample',
      images: 40
    })
    expect(view.model).toMatchObject({
      name: 'opzoo-opset17',
      architecture: 'onnx',
      fitsDatasets: [ids.grey],
      exportFormats: [],
      onnx: { preprocessing: { mean: [0.286], std: [0.353] } }
    })
    const bad = await refused('models.import', { path: onnx, datasetId: ids.colour })
    expect(bad).toMatchObject({
      code: 'invalid-args',
      message: 'Model "opzoo-opset17" takes 28x28x1 images; dataset "colour set" has 32x32x3',
      where: 'datasetId'
    })
  })

  it('exports a trained model to ONNX into the picked folder', async () => {
    const out = join(dir, 'exports')
    await ok('system.pickPath', { purpose: 'export-folder', typedPath: out })
    mkdirSync(out, { recursive: true })
    const r = await ok<{ files: string[] }>('models.export', {
      modelId: ids.greyModel,
      path: out,
      format: 'onnx'
    })
    expect(r.files).toEqual([join(out, 'grey_cnn.onnx')])
    expect(existsSync(r.files[0]!)).toBe(true)
    const list = await ok<ModelSummary[]>('models.list', {})
    expect(list.find((m) => m.id === ids.greyModel)!.exportFormats).toEqual(['onnx', 'layers'])
  })
})

describe('a model of another dataset is refused before a job is queued', () => {
  it('sweep, preview, defense table, explanations, saliency PGD, similarity and training', async () => {
    const jobs = (await ok<unknown[]>('jobs.list', {})).length
    const cases: [string, Record<string, unknown>, string][] = [
      ['attacks.sweep', { datasetId: ids.grey, sourceId: ids.greyModel, targetIds: [ids.colourModel] }, 'targetIds'],
      ['attacks.preview', { datasetId: ids.grey, sourceId: ids.greyModel, targetIds: [ids.colourModel], attack: 'fgsm', epsilon: 0.03, sampleIndex: 0 }, 'targetIds'],
      ['explain.samples', { datasetId: ids.grey, modelIds: [ids.colourModel] }, 'modelIds'],
      ['explain.adversarial', { datasetId: ids.grey, modelId: ids.colourModel, sampleIndex: 0 }, 'modelId'],
      ['explain.sanity', { datasetId: ids.grey, modelId: ids.colourModel }, 'modelId'],
      ['explain.saliencyPgd', { datasetId: ids.grey, sourceId: ids.colourModel }, 'sourceId'],
      ['models.similarity', { datasetId: ids.grey, modelA: ids.greyModel, modelB: ids.colourModel }, 'modelB'],
      ['models.train', { name: 'o', datasetId: ids.grey, architecture: 'cnn', referenceId: ids.colourModel, lambda: 30 }, 'referenceId']
    ] // prettier-ignore
    for (const [channel, args, field] of cases) {
      const e = await refused(channel, args)
      expect(e, channel).toMatchObject({ code: 'invalid-args', where: field })
      expect(e.message).toMatch(
        /^Model "colour cnn" takes 32x32x3 images; dataset "grey sample" has 28x28x1: it cannot be the/
      )
    }
    const table = await refused('defenses.table', {
      datasetId: ids.colour,
      sourceId: ids.colourModel,
      ordinaryId: ids.greyModel,
      orthogonalId: ids.greyModel + 100
    })
    expect(table).toMatchObject({ code: 'invalid-args', where: 'ordinaryId' })
    expect((await ok<unknown[]>('jobs.list', {})).length).toBe(jobs)
  })
})
