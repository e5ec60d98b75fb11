/**
 * Model export and import through the contract, as the Models screen calls them: each is a
 * job in the real worker (TF.js Layers files), answered once the job ends.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import type { ModelImportView, ModelSummary } from '../../../src/contract/entities'
import { buildModel } from '../../../src/main/engine/models'
import { saveModel } from '../../../src/main/store'
import { importDataset } from '../../../src/main/services/datasets'

const dir = mkdtempSync(join(tmpdir(), 'ortholens-ipc-models-'))
const host: Host = {
  emit: () => undefined,
  pickPath: async (_purpose, typed) => (typed ? [typed] : null),
  nativeDialogs: false,
  settingsDir: join(dir, 'settings')
}
const ctx: HandlerContext = { host, session: new Session(host) }

beforeAll(async () => {
  await initBackend('cpu')
})

afterAll(async () => {
  await ctx.session.detach()
  rmSync(dir, { recursive: true, force: true })
})

describe('models.export / models.import', () => {
  it('writes model.json and weights into the picked folder and imports them back as a ready model', async () => {
    const path = join(dir, 'm.ortholens')
    ctx.session.allow([path])
    expect((await dispatch('projects.create', { path }, ctx)).ok).toBe(true)
    const project = ctx.session.project!
    const { datasetId } = await importDataset(project, { source: { kind: 'builtin' } })
    const net = buildModel('cnn', [28, 28, 1], 10, { seed: 3, name: 'Reference' })
    const id = saveModel(project.writable(), {
      name: 'Reference',
      architecture: net.architecture,
      weights: net.exportWeights(),
      datasetId,
      status: 'ready'
    })
    net.dispose()

    const out = join(dir, 'exported')
    expect(await dispatch('models.export', { modelId: id, path: out }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'forbidden-path' }
    })
    await dispatch('system.pickPath', { purpose: 'export-folder', typedPath: out }, ctx)
    const exported = await dispatch('models.export', { modelId: id, path: out }, ctx)
    expect(exported.ok).toBe(true)
    const files = (exported as { value: { files: string[] } }).value.files
    expect(files.some((f) => f.endsWith('model.json'))).toBe(true)
    expect(readdirSync(out)).toContain('model.json')
    for (const f of files) expect(existsSync(f.startsWith('/') ? f : join(out, f))).toBe(true)

    const modelJson = join(out, 'model.json')
    await dispatch('system.pickPath', { purpose: 'model-import', typedPath: modelJson }, ctx)
    const imported = await dispatch('models.import', { path: modelJson, datasetId }, ctx)
    expect(imported.ok).toBe(true)
    const { model: m, evaluation } = (imported as { value: ModelImportView }).value
    // Checked on the dataset picked: its accuracy, with the images it rests on.
    expect(evaluation).toMatchObject({ datasetId, images: 1000 })
    expect(m.accuracy).toBe(evaluation!.accuracy)
    expect(m.accuracyImages).toBe(1000)
    // Named after its folder, ready to audit, and a second model of the project.
    expect(m).toMatchObject({ name: 'exported', status: 'ready', origin: 'imported' })
    expect(m.id).not.toBe(id)
    const list = await dispatch('models.list', {}, ctx)
    expect((list as { value: ModelSummary[] }).value.map((x) => x.name)).toEqual([
      'Reference',
      'exported'
    ])
  })

  it('answers a bad model file with the import error, not a crash', async () => {
    const bad = join(dir, 'nothing-here', 'model.json')
    await dispatch('system.pickPath', { purpose: 'model-import', typedPath: bad }, ctx)
    const r = await dispatch('models.import', { path: bad, name: 'broken' }, ctx)
    expect(r.ok).toBe(false)
    expect((r as { error: { message: string } }).error.message).toMatch(/nothing-here/)
  })
})
