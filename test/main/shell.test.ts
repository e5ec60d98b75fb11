/**
 * The desktop shell (src/main/index.ts) against a recording fake of `electron`
 * (test/stubs/electron.ts): the window's security flags, blocked navigation and pop-ups, the
 * CSP and permission handlers, one IPC handler per contract channel answering only the
 * window's own main frame, file dialogs routed by purpose, events sent to the window, the
 * menu, and the question before quitting while jobs run.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHANNELS } from '../../src/contract/requests'
import { PICK_PURPOSES } from '../../src/contract/names'
import { RENDERER_CSP } from '../../src/main/server/csp'
import type { JobQueue } from '../../src/main/jobs/queue'
import { openProject } from '../../src/main/store'
import { fake, type FakeBrowserWindow } from '../stubs/electron'

const shell = await import('../../src/main/index')
fake.ready()
await new Promise((r) => setTimeout(r, 0))
const win = fake.windows[0] as FakeBrowserWindow

/** Calls a channel's handler as the window's main frame would (or as `from` says). */
function call(
  channel: string,
  args: unknown,
  from: { sender?: unknown; senderFrame?: unknown } = {}
): Promise<unknown> {
  const handler = fake.handlers.get(channel)
  if (!handler) throw new Error(`no handler for ${channel}`)
  const event = { sender: win.webContents, senderFrame: win.webContents.mainFrame, ...from }
  return Promise.resolve(handler(event, args))
}
const settle = () => new Promise((r) => setTimeout(r, 10))

describe('the desktop shell', () => {
  it('registers one handler for each of the contract’s channels, and no other', () => {
    expect(new Set(CHANNELS).size).toBe(CHANNELS.length)
    expect([...fake.handlers.keys()].sort()).toEqual([...CHANNELS].sort())
  })

  it('opens one window with context isolation, the sandbox and no Node in the page', () => {
    expect(fake.windows).toHaveLength(1)
    const prefs = win.options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true
    })
    expect(prefs.nodeIntegrationInWorker).toBeFalsy()
    expect(prefs.webviewTag).toBeFalsy()
    expect(String(prefs.preload)).toMatch(/[/\\]preload[/\\]index\.cjs$/)
    expect(win.loaded).toMatch(/[/\\]renderer[/\\]index\.html$/)
  })

  it('blocks navigation, new windows and webviews', () => {
    expect(win.webContents.emit('will-navigate', 'https://example.com/')).toBe(true)
    expect(win.webContents.emit('will-attach-webview')).toBe(true)
    expect(win.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({
      action: 'deny'
    })
  })

  it('sets the strict CSP on every response and grants no permission', () => {
    let answer: unknown
    fake.headersListener!({ responseHeaders: { 'X-Test': ['1'] } }, (r) => (answer = r))
    expect(answer).toEqual({
      responseHeaders: { 'X-Test': ['1'], 'Content-Security-Policy': [RENDERER_CSP] }
    })
    const granted: boolean[] = []
    for (const p of ['media', 'geolocation', 'notifications'])
      fake.permissionHandler!(win.webContents, p, (ok) => granted.push(ok))
    expect(granted).toEqual([false, false, false])
  })

  it('answers only its own window’s main frame, through the contract’s validation', async () => {
    await expect(call('projects.current', {}, { sender: { other: true } })).resolves.toMatchObject({
      ok: false,
      error: { code: 'unauthorized' }
    })
    await expect(
      call('projects.current', {}, { senderFrame: { name: 'an iframe' } })
    ).resolves.toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    await expect(call('projects.current', {})).resolves.toEqual({ ok: true, value: null })
    await expect(call('projects.open', { path: 3 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-args', where: 'path' }
    })
  })

  it('routes each kind of path request to the matching native dialog', async () => {
    const expected: Record<
      string,
      {
        kind: 'save' | 'open'
        properties?: string[]
        project?: boolean
        filters?: { name: string; extensions: string[] }[]
      }
    > = {
      'project-new': { kind: 'save', project: true },
      'project-save-as': { kind: 'save', project: true },
      'export-file': { kind: 'save' },
      'project-open': { kind: 'open', properties: ['openFile'], project: true },
      'import-folder': { kind: 'open', properties: ['openDirectory'] },
      'import-files': { kind: 'open', properties: ['openFile', 'multiSelections'] },
      // The file picker of "Import a model…" shows ONNX files and TF.js model.json.
      'model-import': {
        kind: 'open',
        properties: ['openFile'],
        filters: [{ name: 'Models (ONNX, TF.js model.json)', extensions: ['onnx', 'json'] }]
      },
      'export-folder': { kind: 'open', properties: ['openDirectory', 'createDirectory'] }
    }
    expect(Object.keys(expected).sort()).toEqual([...PICK_PURPOSES].sort())
    for (const purpose of PICK_PURPOSES) {
      const want = expected[purpose]!
      const path = join(fake.userData, `${purpose}.x`)
      fake.saveAnswer = { canceled: false, filePath: path }
      fake.openAnswer = { canceled: false, filePaths: [path] }
      await expect(call('system.pickPath', { purpose, defaultName: 'audit' })).resolves.toEqual({
        ok: true,
        value: [path]
      })
      const shown = fake.dialogs.at(-1)!
      expect(shown.kind, purpose).toBe(want.kind)
      expect(shown.parent).toBe(win)
      // Every dialog opens in the user's Documents/Ortholens (made on first use), and a save
      // dialog proposes the name there: never the app's working folder.
      const documents = join(fake.documents, 'Ortholens')
      expect(existsSync(documents), purpose).toBe(true)
      if (want.properties) {
        expect(shown.options.properties, purpose).toEqual(want.properties)
        expect(shown.options.defaultPath, purpose).toBe(documents)
      } else expect(shown.options.defaultPath, purpose).toBe(join(documents, 'audit'))
      expect(shown.options.filters, purpose).toEqual(
        want.project
          ? [{ name: 'Ortholens project', extensions: ['ortholens'] }]
          : (want.filters ?? [])
      )
    }
    fake.openAnswer = { canceled: true, filePaths: [] }
    await expect(call('system.pickPath', { purpose: 'project-open' })).resolves.toEqual({
      ok: true,
      value: null
    })
  })

  it('works on the paths the dialogs gave, and sends events to the window', async () => {
    const file = join(fake.userData, 'shell')
    // Not picked yet: refused.
    await expect(call('projects.create', { path: file })).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden-path' }
    })
    fake.saveAnswer = { canceled: false, filePath: file }
    await call('system.pickPath', { purpose: 'project-new' })
    await expect(call('projects.create', { path: file })).resolves.toMatchObject({
      ok: true,
      value: { name: 'shell' }
    })
    expect(existsSync(`${file}.ortholens`)).toBe(true)
    expect(win.webContents.sent.filter((m) => m.channel === 'event:project.changed')).toHaveLength(
      1
    )
    await expect(call('projects.close', {})).resolves.toEqual({ ok: true, value: null })
  })

  it('opens the Projects screen from the File menu', () => {
    const template = (
      fake.menu as {
        template: { label?: string; submenu?: { label?: string; click?: () => void }[] }[]
      }
    ).template
    const item = template
      .find((m) => m.label === 'File')!
      .submenu!.find((i) => i.label === 'New / Open / Recent…')!
    item.click!()
    expect(win.webContents.sent.at(-1)).toMatchObject({
      channel: 'event:log',
      payload: { level: 'info', message: 'menu:projects' }
    })
  })

  it('asks before closing while a job runs; "Keep working" keeps the window, "Stop and quit" stops the jobs and quits', async () => {
    let closed = 0
    const jobs = {
      list: () => [
        {
          id: 'j1',
          kind: 'train',
          label: 'Train "Reference" (ordinary)',
          status: 'running',
          fraction: 0.42,
          stage: '',
          etaSeconds: null,
          queuedAt: ''
        }
      ],
      close: async () => void closed++
    }
    shell.session.jobs = jobs as unknown as JobQueue
    fake.messageAnswer = { response: 0 }
    win.close()
    await settle()
    expect(win.isDestroyed()).toBe(false)
    const asked = fake.dialogs.at(-1)!
    expect(asked.kind).toBe('message')
    expect(asked.options).toMatchObject({
      message: 'A job is still running',
      buttons: ['Keep working', 'Stop and quit'],
      cancelId: 0
    })
    expect(String(asked.options.detail)).toBe(
      'Train "Reference" (ordinary): 42 % done\n\nQuitting stops it. A training keeps its best checkpoint as a usable model.'
    )
    expect(closed).toBe(0)
    expect(fake.quitCalls).toBe(0)

    fake.messageAnswer = { response: 1 }
    win.close()
    await settle()
    expect(win.isDestroyed()).toBe(true)
    // window-all-closed: the session closes its queue (which lets a training end as
    // cancelled), then the app quits.
    expect(closed).toBe(1)
    expect(fake.quitCalls).toBe(1)
    // Nothing is sent to the closed window (the fake throws on a send to a destroyed one).
    const sent = win.webContents.sent.length
    await shell.session.attach(openProject(join(fake.userData, 'shell.ortholens')))
    await shell.session.detach()
    expect(win.webContents.sent).toHaveLength(sent)
  })
})
