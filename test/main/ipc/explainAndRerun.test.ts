/**
 * The handlers added for explanations, report/PNG export and re-runs, driven through
 * `dispatch` like a window would. The job queue is replaced by a recorder where a handler only
 * queues work, so no worker (and no training) starts; explanation runs are computed in-process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import type { ExplainGrid, JobInfo } from '../../../src/contract/entities'
import { initBackend } from '../../../src/main/engine/backend'
import { buildModel } from '../../../src/main/engine/models'
import { createRun, finishRun, saveModel } from '../../../src/main/store'
import { importDataset } from '../../../src/main/services/datasets'
import { explainSamples } from '../../../src/main/services/explain/samples'
import { tf } from '../../../src/main/engine/tf'
import { decodePng, readText } from '../../helpers/readPngText'

const dir = mkdtempSync(join(tmpdir(), 'ortholens-ipc-explain-'))
const queued: { kind: string; args: unknown }[] = []
let ctx: HandlerContext
let datasetId = 0
const modelIds: number[] = []

beforeAll(async () => {
  await initBackend('cpu')
  const host: Host = {
    emit: () => undefined,
    pickPath: async (_purpose, typed) => (typed ? [typed] : null),
    nativeDialogs: false,
    settingsDir: join(dir, 'settings')
  }
  ctx = { host, session: new Session(host) }
  const path = join(dir, 'p.ortholens')
  ctx.session.allow([path])
  expect((await dispatch('projects.create', { path }, ctx)).ok).toBe(true)
  const project = ctx.session.project!
  await ctx.session.jobs!.close()
  const enqueue = (kind: string, args: unknown, label: string): JobInfo => {
    queued.push({ kind, args })
    return {
      id: `job-${queued.length}`,
      kind,
      label,
      status: 'queued',
      fraction: 0,
      stage: '',
      etaSeconds: null,
      queuedAt: ''
    } as JobInfo
  }
  ctx.session.jobs = {
    enqueue,
    enqueueJob: (job: { kind: string; args: unknown }, label: string) =>
      enqueue(job.kind, job.args, label),
    close: async () => undefined
  } as never
  datasetId = (await importDataset(project, { source: { kind: 'builtin' } })).datasetId
  for (const [name, seed] of [
    ['Reference', 1],
    ['Orthogonal', 2]
  ] as const) {
    const net = buildModel('cnn', [28, 28, 1], 10, { seed, name })
    modelIds.push(
      saveModel(project.writable(), {
        name,
        architecture: net.architecture,
        weights: net.exportWeights(),
        datasetId,
        status: 'ready'
      })
    )
    net.dispose()
  }
})

afterAll(async () => {
  await ctx?.session.detach()
  rmSync(dir, { recursive: true, force: true })
})

describe('explanation handlers', () => {
  it('queue the four studies with their validated args, and refuse bad ones', async () => {
    const before = queued.length
    const ok = await dispatch(
      'explain.samples',
      { datasetId: datasetId, modelIds: modelIds, sampleIndices: [0, 5] },
      ctx
    )
    expect(ok).toMatchObject({ ok: true, value: { kind: 'explain', status: 'queued' } })
    expect(queued.at(-1)).toEqual({
      kind: 'explain',
      args: { datasetId: datasetId, modelIds: modelIds, sampleIndices: [0, 5] }
    })
    const tooMany = await dispatch(
      'explain.samples',
      { datasetId: 1, modelIds: [1], sampleIndices: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
      ctx
    )
    expect(tooMany).toMatchObject({
      ok: false,
      error: { code: 'invalid-args', message: 'sampleIndices: must have at most 8 items' }
    })
    const self = await dispatch(
      'explain.saliencyPgd',
      { datasetId: 1, sourceId: 1, targetIds: [1], epsilon: 0.05, count: 4 },
      ctx
    )
    expect(self).toMatchObject({ ok: false, error: { code: 'invalid-args', where: 'targetIds' } })
    expect((await dispatch('explain.sanity', { datasetId: 1, modelId: 1, count: 2 }, ctx)).ok).toBe(
      true
    )
    expect(
      (
        await dispatch(
          'explain.adversarial',
          { datasetId: 1, modelId: 1, sampleIndex: 3, attack: 'pgd', epsilon: 0.05 },
          ctx
        )
      ).ok
    ).toBe(true)
    expect(queued.slice(before).map((q) => q.kind)).toEqual([
      'explain',
      'sanity',
      'explain-adversarial'
    ])
  })

  it('reads an explain run back as heat-map PNGs per model and method, and exports the grid', async () => {
    const project = ctx.session.project!
    const r = await explainSamples(project, {
      datasetId,
      modelIds,
      sampleIndices: [2, 7],
      methods: ['gradcam', 'cameras']
    })
    const tensors = tf.memory().numTensors
    const reply = await dispatch('explain.samplesResult', { runId: r.runId }, ctx)
    expect(reply.ok).toBe(true)
    const grid = (reply as { value: ExplainGrid }).value
    expect(grid.methods).toEqual(['gradcam', 'cameras'])
    expect(grid.models.map((m) => m.modelName)).toEqual(['Reference', 'Orthogonal'])
    expect(grid.rows.map((row) => row.sampleIndex)).toEqual([2, 7])
    expect(grid.rows.map((row) => row.trueClassName)).toEqual(
      [2, 7].map(
        (i) =>
          [
            'T-shirt/top',
            'Trouser',
            'Pullover',
            'Dress',
            'Coat',
            'Sandal',
            'Shirt',
            'Sneaker',
            'Bag',
            'Ankle boot'
          ][r.labels[[2, 7].indexOf(i)]!]
      )
    )
    const cell = grid.rows[0]!.cells[1]!
    expect(cell.modelName).toBe('Orthogonal')
    expect(cell.maps.map((m) => m.method)).toEqual(['gradcam', 'cameras'])
    for (const m of cell.maps) {
      expect(m.src).toMatch(/^data:image\/png;base64,/)
      const png = PNG.sync.read(Buffer.from(m.src!.split(',')[1]!, 'base64'))
      // 28 px upscaled to at least 96 px, square.
      expect(png.width).toBe(png.height)
      expect(png.width % 28).toBe(0)
      expect(png.width).toBeGreaterThanOrEqual(96)
    }
    expect(PNG.sync.read(Buffer.from(grid.rows[0]!.image.split(',')[1]!, 'base64')).width).toBe(28)
    expect(tf.memory().numTensors).toBe(tensors)

    const out = join(dir, 'grid.png')
    expect(await dispatch('explain.exportPng', { runId: r.runId, path: out }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'forbidden-path' }
    })
    ctx.session.allow([out])
    const reply2 = await dispatch('explain.exportPng', { runId: r.runId, path: out }, ctx)
    expect(reply2.ok).toBe(true)
    const written = (
      reply2 as { value: { path: string; files: string[]; width: number; height: number } }
    ).value
    expect(written.path).toBe(out)
    expect(written.files).toEqual([out])
    const png = PNG.sync.read(readFileSync(out))
    expect([png.width, png.height]).toEqual([written.width, written.height])
    // The labelled sheet: its title reads back from the pixels, and it names both models.
    const pic = decodePng(readFileSync(out))
    expect(readText(pic, 12, 12, 'Ortholens'.length, 1, 'bold')).toBe('Ortholens')
    // Wider than the bare grid of image + 2 models × 2 methods at 96 px (labels and the scale).
    expect(png.width).toBeGreaterThan(5 * 96)
  })

  it('refuses to export a run that holds no maps, and a sanity view of a non-sanity run', async () => {
    const project = ctx.session.project!
    const runId = createRun(project.writable(), { kind: 'similarity', config: {}, backend: 'cpu' })
    finishRun(project.writable(), runId, { status: 'done', results: { mean: 0 } })
    const out = join(dir, 'x.png')
    ctx.session.allow([out])
    expect(await dispatch('explain.exportPng', { runId: runId, path: out }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'invalid-args', where: 'runId' }
    })
    expect(await dispatch('explain.sanityResult', { runId: runId }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'not-found' }
    })
  })
})

describe('re-running a training from its stored configuration', () => {
  it('rebuilds the exact train request of a run recorded before requests were stored, named after the model', async () => {
    const project = ctx.session.project!
    const config = {
      arch: 'cnn',
      datasetId,
      referenceModelId: modelIds[0],
      epochs: 3,
      batchSize: 32,
      learningRate: 0.0005,
      seed: 11,
      lambda: 30,
      penalty: 'absolute',
      evalEvery: 1,
      patience: 2,
      trainSamples: 512,
      valSamples: 256,
      deltaSamples: 256
    }
    const runId = createRun(project.writable(), {
      kind: 'train',
      config,
      seed: 11,
      backend: 'cpu',
      datasetId
    })
    finishRun(project.writable(), runId, { status: 'done', results: { modelId: modelIds[1] } })
    const reply = await dispatch('results.rerun', { runId: runId }, ctx)
    expect(reply).toMatchObject({ ok: true, value: { kind: 'train' } })
    expect(queued.at(-1)).toEqual({
      kind: 'train',
      args: {
        name: 'Orthogonal (re-run)',
        datasetId: datasetId,
        architecture: 'cnn',
        referenceId: modelIds[0],
        lambda: 30,
        penaltyForm: 'absolute',
        epochs: 3,
        batchSize: 32,
        learningRate: 0.0005,
        validateEvery: 1,
        patience: 2,
        trainLimit: 512,
        valLimit: 256,
        seed: 11
      }
    })
  })
})
