/**
 * `dataset rename|delete`, `model rename|delete`, `run delete` on a project file: a delete with
 * dependents prints them and refuses (exit 5, nothing removed) until --with-dependents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli'
import { initBackend } from '../../../src/main/engine/backend'
import { similarityReport } from '../../../src/main/services/models'
import {
  listDatasets,
  listModels,
  listRuns,
  openProject,
  saveDataset
} from '../../../src/main/store'
import { makeDataset } from '../store/helpers'
import { tinyProject, type TinyProject } from '../services/fixtures'

await initBackend('cpu')

let t: TinyProject
let similarityRun: number
let otherDataset: number

beforeAll(async () => {
  t = tinyProject()
  similarityRun = (
    await similarityReport(t.project, {
      datasetId: t.datasetId,
      modelA: t.sourceId,
      modelB: t.ordinaryId,
      valLimit: 8
    })
  ).runId
  otherDataset = saveDataset(t.project.writable(), makeDataset(4, 2, [4, 5, 3], 3))
  t.project.close()
})
afterAll(() => t?.cleanup())

const cli = runCli

function names(): { models: string[]; datasets: string[]; runs: number[] } {
  const p = openProject(t.path, { readonly: true })
  try {
    return {
      models: listModels(p.db).map((m) => m.name),
      datasets: listDatasets(p.db).map((d) => d.name),
      runs: listRuns(p.db).map((r) => r.id)
    }
  } finally {
    p.close()
  }
}

describe('lifecycle commands', () => {
  it('model delete lists its dependents and refuses without --with-dependents', async () => {
    const { code, out } = await cli(['model', 'delete', t.path, '--model', String(t.ordinaryId)])
    expect(code).toBe(5)
    expect(out).toContain(`Deleting model ${t.ordinaryId} "ordinary" would also delete:`)
    expect(out).toContain(`  run ${similarityRun} similarity (done,`)
    expect(out).toContain('Nothing was deleted. Run again with --with-dependents')
    expect(names().models).toContain('ordinary')
    expect(names().runs).toContain(similarityRun)
  })

  it('--json gives the refusal and the list as data', async () => {
    const { code, out } = await cli([
      'model',
      'delete',
      t.path,
      '--model',
      String(t.ordinaryId),
      '--json'
    ])
    expect(code).toBe(5)
    const r = JSON.parse(out) as { refused: boolean; dependents: { runs: { id: number }[] } }
    expect(r.refused).toBe(true)
    expect(r.dependents.runs.map((x) => x.id)).toEqual([similarityRun])
  })

  it('model delete --with-dependents removes the model and the runs that used it', async () => {
    const { code, out } = await cli([
      'model',
      'delete',
      t.path,
      '--model',
      String(t.ordinaryId),
      '--with-dependents'
    ])
    expect(code).toBe(0)
    expect(out).toMatch(/^Deleted model \d+ "ordinary" and what depended on it:/)
    expect(names().models).not.toContain('ordinary')
    expect(names().runs).not.toContain(similarityRun)
  })

  it('a model nothing depends on is deleted without the flag', async () => {
    const { code } = await cli(['model', 'delete', t.path, '--model', String(t.collapsedId)])
    expect(code).toBe(0)
    expect(names().models).not.toContain('collapsed')
  })

  it('rename gives a taken name a "(2)" and says so', async () => {
    const { code, out } = await cli([
      'dataset',
      'rename',
      t.path,
      '--dataset',
      String(otherDataset),
      '--name',
      'tiny'
    ])
    expect(code).toBe(0)
    expect(out).toBe(
      `Renamed dataset ${otherDataset} to "tiny (2)"\n  note: A dataset named "tiny" already exists; this one is called "tiny (2)".`
    )
    expect(names().datasets).toEqual(['tiny', 'tiny (2)'])
    const m = await cli([
      'model',
      'rename',
      t.path,
      '--model',
      String(t.sourceId),
      '--name',
      'Reference'
    ])
    expect(m.out).toBe(`Renamed model ${t.sourceId} to "Reference"`)
  })

  it('names the missing flag', async () => {
    await expect(cli(['run', 'delete', t.path])).rejects.toThrow('--run is required')
    await expect(cli(['dataset', 'delete', t.path, '--dataset', '999'])).rejects.toThrow(
      'No dataset with id 999'
    )
  })
})
