/**
 * Issue 19: a refused model import writes nothing. The hostile TF.js Layers models of the
 * campaign (test/helpers/hostile/modelFamilies.ts: weight paths escaping the folder, lying
 * shapes, huge layers, broken model.json, NaN weights), one of every kind, go through the
 * import service, the command line and the window's request (the real job worker); each is
 * refused with a message naming its file and the project file stays byte for byte as it was
 * (the file and its -wal hashed before and after). The valid control is imported by each path.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ContractErrorData } from '../../../src/contract/errors'
import { main } from '../../../src/main/cli/index'
import { initBackend } from '../../../src/main/engine/backend'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import { importModel } from '../../../src/main/services/modelImport'
import { createProject, listModels, listRuns, openProject } from '../../../src/main/store'
import { modelFamilies } from '../../helpers/hostile/modelFamilies'
import type { HostileCase } from '../../helpers/hostile/types'
import { LEAK } from '../../helpers/hostile/types'

const root = mkdtempSync(join(tmpdir(), 'ortholens-layers-refusals-'))
const outside = join(root, 'outside')
const serviceProject = join(root, 'service.ortholens')
const cliProject = join(root, 'cli.ortholens')
const ipcProject = join(root, 'ipc.ortholens')

/** One case of every kind each model family makes (the first seed that makes it). */
function oneOfEachKind(): HostileCase[] {
  const cases: HostileCase[] = []
  for (const family of modelFamilies) {
    const seen = new Set<string>()
    for (let seed = 1000; seed < 1200; seed++) {
      const dir = join(root, 'cases', `${family.name}-${seed}`)
      mkdirSync(dir, { recursive: true })
      const c = family.make(dir, seed, { outside, template: '' })
      if (seen.has(c.note)) continue
      seen.add(c.note)
      cases.push(c)
    }
  }
  return cases
}

/** The project file and its -wal: any write, checkpointed or not, changes one of them. */
function fileState(path: string): string {
  const h = createHash('sha256').update(readFileSync(path))
  if (existsSync(`${path}-wal`)) h.update(readFileSync(`${path}-wal`))
  return h.digest('hex')
}

function expectClearRefusal(c: HostileCase, message: string): void {
  expect(
    [c.path, ...c.culprits].some((f) => message.includes(f)),
    `${c.id}: ${message}`
  ).toBe(true)
  expect(LEAK.exec(message.replace(/\/[^\s:'"(),]+/g, '<path>')), `${c.id}: ${message}`).toBeNull()
}

let cases: HostileCase[]
const refused = (): HostileCase[] => cases.filter((c) => c.expect === 'refuse')
const control = (): HostileCase => cases.find((c) => c.expect === 'accept')!

beforeAll(async () => {
  await initBackend('cpu')
  mkdirSync(outside, { recursive: true })
  cases = oneOfEachKind()
  for (const p of [serviceProject, cliProject]) createProject(p, { name: 'layers' }).close()
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('hostile TF.js Layers models, refused without a write', () => {
  it('covers every kind of the campaign, with a valid control', () => {
    expect(refused().length).toBeGreaterThanOrEqual(25)
    expect(control()).toBeDefined()
  })

  it('through the import service', async () => {
    const project = openProject(serviceProject)
    try {
      for (const c of refused()) {
        const before = fileState(serviceProject)
        const err = await importModel(project, { path: c.path }).catch((e: unknown) => e)
        expect(err, c.id).toBeInstanceOf(Error)
        expectClearRefusal(c, (err as Error).message)
        expect(fileState(serviceProject), `${c.id} (${c.note}) wrote to the project`).toBe(before)
      }
      expect(listModels(project.db)).toHaveLength(0)
      expect(listRuns(project.db)).toHaveLength(0)
      const ok = await importModel(project, { path: control().path })
      expect(ok.numClasses).toBe(3)
      expect(listModels(project.db)).toHaveLength(1)
    } finally {
      project.close()
    }
  })

  it('through the command line', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    try {
      for (const c of refused()) {
        const before = fileState(cliProject)
        const err = await main([
          'model',
          'import',
          cliProject,
          '--path',
          c.path,
          '--quiet',
          '--backend',
          'cpu'
        ]).catch((e: unknown) => e)
        expect(err, c.id).toBeInstanceOf(Error)
        expectClearRefusal(c, (err as Error).message)
        expect(fileState(cliProject), `${c.id} (${c.note}) wrote to the project`).toBe(before)
      }
      expect(
        await main([
          'model',
          'import',
          cliProject,
          '--path',
          control().path,
          '--quiet',
          '--backend',
          'cpu'
        ])
      ).toBe(0)
    } finally {
      log.mockRestore()
    }
    const p = openProject(cliProject, { readonly: true })
    expect(listModels(p.db).map((m) => m.status)).toEqual(['ready'])
    p.close()
  })
})

describe('through the window’s request and the job worker', () => {
  const host: Host = {
    emit: () => undefined,
    pickPath: async (_purpose, typed) => (typed ? [typed] : null),
    nativeDialogs: false,
    settingsDir: join(root, 'settings')
  }
  const ctx: HandlerContext = { host, session: new Session(host) }
  afterAll(() => ctx.session.detach())

  it('answers import-failed naming the file, and the project is unchanged', async () => {
    ctx.session.allow([root])
    expect((await dispatch('projects.create', { path: ipcProject }, ctx)).ok).toBe(true)
    // One escaping path, one lying shape, one huge layer, one broken model.json.
    const picks = [
      'dotdot-dev-zero',
      'link-out',
      'bigger',
      'filters-1e6',
      'truncated',
      'nan-weights'
    ]
    for (const note of picks) {
      const c = refused().find((x) => x.note === note)!
      const before = fileState(ipcProject)
      const r = await dispatch('models.import', { path: c.path }, ctx)
      expect(r.ok, c.id).toBe(false)
      const error = (r as { error: ContractErrorData }).error
      expect(error.code, `${c.id}: ${error.message}`).toBe('import-failed')
      expectClearRefusal(c, error.message)
      expect(fileState(ipcProject), `${c.id} (${c.note}) wrote to the project`).toBe(before)
    }
    expect(ctx.session.project && listRuns(ctx.session.project.db)).toEqual([])
  })
})
