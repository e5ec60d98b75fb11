/**
 * Where files go when nobody says (issue 16): a bare project or export name lands in the
 * documents folder, made on first use; the browser host's folder picker lists only the
 * user's own places; and export refusals are worded for people, the errno kept for Details.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { isBareName, listFolder, resolveTypedPath } from '../../../src/main/ipc/folders'
import { dispatch } from '../../../src/main/ipc/registry'
import {
  exportWriteError,
  prepareExportFolder,
  writeExportFile
} from '../../../src/main/services/exportFiles'

const root = realpathSync(mkdtempSync(join(tmpdir(), 'ortholens-folders-')))
const documents = join(root, 'Documents', 'Ortholens')
const host: Host = {
  emit: () => undefined,
  pickPath: async (_purpose, typed) => (typed ? [typed] : null),
  nativeDialogs: false,
  settingsDir: join(root, 'settings'),
  documentsDir: documents
}
const ctx: HandlerContext = { host, session: new Session(host) }
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('a bare name goes to the documents folder', () => {
  it('reads bare names, home and relative paths as an analyst means them', () => {
    expect(isBareName('audit')).toBe(true)
    expect(isBareName('audit.ortholens')).toBe(true)
    expect(isBareName('work/audit')).toBe(false)
    expect(isBareName('~')).toBe(false)
    expect(existsSync(documents)).toBe(false)
    expect(resolveTypedPath('project-new', ' audit ', documents)).toBe(join(documents, 'audit'))
    // The documents folder is made when a bare name first needs it.
    expect(existsSync(documents)).toBe(true)
    expect(resolveTypedPath('export-file', 'sheet.png', documents)).toBe(
      join(documents, 'sheet.png')
    )
    // Importing reads existing files: a bare name there is not moved into documents.
    expect(resolveTypedPath('import-folder', 'cats', documents)).toBe(join(homedir(), 'cats'))
    expect(resolveTypedPath('project-open', '~/x.ortholens', documents)).toBe(
      join(homedir(), 'x.ortholens')
    )
    expect(resolveTypedPath('project-new', '/srv/a.ortholens', documents)).toBe('/srv/a.ortholens')
  })

  it('creates a project typed as a bare name inside the documents folder', async () => {
    const picked = await dispatch(
      'system.pickPath',
      { purpose: 'project-new', typedPath: 'bare-audit' },
      ctx
    )
    expect(picked).toEqual({ ok: true, value: [join(documents, 'bare-audit')] })
    const made = await dispatch('projects.create', { path: join(documents, 'bare-audit') }, ctx)
    expect(made.ok).toBe(true)
    expect(existsSync(join(documents, 'bare-audit.ortholens'))).toBe(true)
    await dispatch('projects.close', {}, ctx)
  })
})

describe('the browser host’s folder picker', () => {
  it('lists sub-folders and files of the documents folder, hidden ones left out', async () => {
    mkdirSync(join(documents, 'exports'), { recursive: true })
    mkdirSync(join(documents, '.cache'), { recursive: true })
    writeFileSync(join(documents, 'notes.txt'), 'hello')
    const reply = await dispatch('system.listFolder', {}, ctx)
    expect(reply.ok).toBe(true)
    const listing = (reply as { ok: true; value: ReturnType<typeof listFolder> }).value
    expect(listing.path).toBe(documents)
    expect(listing.parent).toBeNull()
    expect(listing.folders).toEqual(['exports'])
    expect(listing.files).toContainEqual({ name: 'notes.txt', sizeBytes: 5 })
    expect(listing.roots[0]).toEqual({ label: 'Documents (Ortholens)', path: documents })
    const inner = listFolder(ctx, join(documents, 'exports'))
    expect(inner.parent).toBe(documents)
  })

  it('refuses folders outside the user’s places, and missing ones, in plain words', async () => {
    const outside = await dispatch('system.listFolder', { path: '/proc' }, ctx)
    expect(outside).toMatchObject({ ok: false, error: { code: 'forbidden-path', where: '/proc' } })
    const missing = await dispatch('system.listFolder', { path: join(documents, 'nope') }, ctx)
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } })
    const message = (missing as { error: { message: string; technical?: string } }).error
    expect(message.message).toContain('There is no folder')
    expect(message.message).not.toMatch(/ENOENT/)
    expect(message.technical).toMatch(/ENOENT/)
  })
})

describe('export refusals in plain words', () => {
  it('a missing folder, a folder given as a file, a file given as a folder', () => {
    const missing = join(root, 'no-such-folder', 'sheet.png')
    expect(() => writeExportFile(missing, 'x')).toThrow(
      expect.objectContaining({
        code: 'not-found',
        where: missing,
        message: expect.stringContaining('does not exist')
      })
    )
    try {
      writeExportFile(missing, 'x')
    } catch (err) {
      expect((err as Error).message).not.toMatch(/ENOENT|errno/)
    }
    expect(() => writeExportFile(documents, 'x')).toThrow(
      expect.objectContaining({
        code: 'invalid-args',
        message: expect.stringContaining('is a folder')
      })
    )
    expect(() => prepareExportFolder(join(documents, 'notes.txt'))).toThrow(
      expect.objectContaining({ message: expect.stringContaining('is a file') })
    )
    expect(() => prepareExportFolder(join(root, 'a', 'b'))).toThrow(
      expect.objectContaining({ code: 'not-found' })
    )
    expect(prepareExportFolder(join(documents, 'gallery'))).toBe(join(documents, 'gallery'))
    expect(existsSync(join(documents, 'gallery'))).toBe(true)
  })

  it('no permission and a full disk keep the system’s code for Details only', () => {
    const denied = exportWriteError(
      '/srv/x.csv',
      Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' })
    )
    expect(denied).toMatchObject({ code: 'forbidden-path', where: '/srv/x.csv' })
    expect(denied.message).toContain('not allowed to write')
    expect(denied.message).not.toContain('EACCES')
    expect(denied.technical).toContain('EACCES')
    expect(exportWriteError('/srv/x.csv', { code: 'ENOSPC' })).toMatchObject({ code: 'disk-full' })
  })
})
