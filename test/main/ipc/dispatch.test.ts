import { mkdtempSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { dispatch } from '../../../src/main/ipc/registry'
import type { EventName } from '../../../src/contract/events'

function context(): { ctx: HandlerContext; events: EventName[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ortholens-ipc-'))
  const events: EventName[] = []
  const host: Host = {
    emit: (name) => void events.push(name),
    pickPath: async (_purpose, typed) => (typed ? [typed] : null),
    nativeDialogs: false,
    settingsDir: join(dir, 'settings')
  }
  return { ctx: { host, session: new Session(host) }, events, dir }
}

let current: HandlerContext | undefined
afterEach(async () => {
  await current?.session.detach()
})

describe('IPC dispatch', () => {
  it('refuses unknown channels and invalid payloads with contract error codes', async () => {
    const { ctx } = context()
    await expect(dispatch('fs.readFile', {}, ctx)).resolves.toMatchObject({
      ok: false,
      error: { code: 'unknown-channel' }
    })
    await expect(dispatch('__proto__', {}, ctx)).resolves.toMatchObject({
      ok: false,
      error: { code: 'unknown-channel' }
    })
    await expect(dispatch('projects.open', { path: 3 }, ctx)).resolves.toEqual({
      ok: false,
      error: { code: 'invalid-args', message: 'path: expected a string, got number', where: 'path' }
    })
  })

  it('needs a project before project-scoped requests', async () => {
    const { ctx } = context()
    await expect(dispatch('datasets.list', {}, ctx)).resolves.toMatchObject({
      ok: false,
      error: { code: 'no-project' }
    })
  })

  it('touches only paths the user picked', async () => {
    const { ctx, dir } = context()
    const file = join(dir, 'x.ortholens')
    await expect(dispatch('projects.create', { path: file }, ctx)).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden-path' }
    })
    expect(existsSync(file)).toBe(false)
  })

  it('creates a project from a picked path, lists it as recent, and reports it current', async () => {
    const { ctx, dir, events } = context()
    current = ctx
    const file = join(dir, 'audit')
    await expect(
      dispatch('system.pickPath', { purpose: 'project-new', typedPath: file }, ctx)
    ).resolves.toEqual({ ok: true, value: [file] })
    const created = await dispatch('projects.create', { path: file }, ctx)
    expect(created).toMatchObject({ ok: true, value: { path: `${file}.ortholens`, name: 'audit' } })
    expect(existsSync(`${file}.ortholens`)).toBe(true)
    expect(events).toContain('project.changed')
    await expect(dispatch('datasets.list', {}, ctx)).resolves.toEqual({ ok: true, value: [] })
    const recent = await dispatch('projects.recent', {}, ctx)
    expect(recent).toMatchObject({
      ok: true,
      value: [{ path: `${file}.ortholens`, name: 'audit', exists: true }]
    })
    await expect(dispatch('projects.create', { path: file }, ctx)).resolves.toMatchObject({
      ok: false,
      error: { code: 'project-file' }
    })
    await expect(dispatch('results.get', { runId: 999 }, ctx)).resolves.toMatchObject({
      ok: false,
      error: { code: 'not-found' }
    })
  })
})
