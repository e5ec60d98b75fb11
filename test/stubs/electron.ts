/**
 * Stand-in for the `electron` module under vitest (vitest.config.ts aliases it): a real
 * require('electron') outside Electron tries to download the binary. Engine, store and jobs
 * must never need it (the lint rules hold that); the shell's tests (test/main/shell.test.ts)
 * drive this recording fake: what src/main/index.ts registers, which windows it opens with
 * which flags, which dialogs it shows, and answers they get from `fake`.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

type Listener = (...args: unknown[]) => unknown

/** An event emitter with `on`/`once` and an `emit` returning whether preventDefault was called. */
class Emitter {
  readonly listeners = new Map<string, Listener[]>()
  on(name: string, fn: Listener): this {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn])
    return this
  }
  once(name: string, fn: Listener): this {
    return this.on(name, fn)
  }
  /** Calls the listeners with a fresh event; true when one of them prevented the default. */
  emit(name: string, ...args: unknown[]): boolean {
    let prevented = false
    const event = { preventDefault: () => void (prevented = true), sender: undefined as unknown }
    for (const fn of this.listeners.get(name) ?? []) fn(event, ...args)
    return prevented
  }
}

class FakeWebContents extends Emitter {
  readonly mainFrame = { name: 'main frame' }
  readonly sent: { channel: string; payload: unknown }[] = []
  windowOpenHandler: ((details: { url: string }) => unknown) | undefined
  destroyed = false
  send(channel: string, payload: unknown): void {
    if (this.destroyed) throw new Error('send to a destroyed webContents')
    this.sent.push({ channel, payload })
  }
  setWindowOpenHandler(fn: (details: { url: string }) => unknown): void {
    this.windowOpenHandler = fn
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
}

class FakeBrowserWindow extends Emitter {
  readonly webContents = new FakeWebContents()
  loaded: string | undefined
  destroyed = false
  constructor(readonly options: Record<string, unknown>) {
    super()
    fake.windows.push(this)
  }
  loadURL(url: string): Promise<void> {
    this.loaded = url
    return Promise.resolve()
  }
  loadFile(file: string): Promise<void> {
    this.loaded = file
    return Promise.resolve()
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  /** As Electron: 'close' (preventable), then 'closed', then the app's 'window-all-closed'. */
  close(): void {
    if (this.emit('close')) return
    this.destroyed = true
    this.webContents.destroyed = true
    this.emit('closed')
    app.emit('window-all-closed')
  }
}

interface DialogCall {
  kind: 'save' | 'open' | 'message'
  parent: unknown
  options: Record<string, unknown>
}

/** What the fake records, and the answers its dialogs give. */
export const fake = {
  userData: mkdtempSync(join(tmpdir(), 'ortholens-fake-electron-')),
  /** The user's documents folder, as app.getPath('documents') gives it. */
  documents: mkdtempSync(join(tmpdir(), 'ortholens-fake-documents-')),
  windows: [] as FakeBrowserWindow[],
  handlers: new Map<string, Listener>(),
  dialogs: [] as DialogCall[],
  /** Next answers of showSaveDialog / showOpenDialog / showMessageBox. */
  saveAnswer: { canceled: true, filePath: '' } as { canceled: boolean; filePath?: string },
  openAnswer: { canceled: true, filePaths: [] as string[] },
  messageAnswer: { response: 0 },
  menu: undefined as unknown,
  headersListener: undefined as ((details: unknown, cb: (r: unknown) => void) => void) | undefined,
  permissionHandler: undefined as
    ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void) | undefined,
  quitCalls: 0,
  /** What the preload exposed to the page, by name. */
  exposed: new Map<string, unknown>(),
  invoked: [] as { channel: string; args: unknown }[],
  /** Resolves app.whenReady(). */
  ready: (): void => undefined
}

const readyPromise = new Promise<void>((resolve) => (fake.ready = resolve))

class FakeApp extends Emitter {
  whenReady(): Promise<void> {
    return readyPromise
  }
  getPath(name: string): string {
    if (name === 'documents') return fake.documents
    if (name !== 'userData') throw new Error(`fake electron: getPath('${name}') is not faked`)
    return fake.userData
  }
  quit(): void {
    fake.quitCalls++
  }
}

export const app = new FakeApp()

export const ipcMain = {
  handle(channel: string, fn: Listener): void {
    // Electron refuses a second handler for a channel; so does the fake.
    if (fake.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`)
    fake.handlers.set(channel, fn)
  }
}

export const dialog = {
  async showSaveDialog(parent: unknown, options: Record<string, unknown>) {
    fake.dialogs.push({ kind: 'save', parent, options })
    return fake.saveAnswer
  },
  async showOpenDialog(parent: unknown, options: Record<string, unknown>) {
    fake.dialogs.push({ kind: 'open', parent, options })
    return fake.openAnswer
  },
  async showMessageBox(parent: unknown, options: Record<string, unknown>) {
    fake.dialogs.push({ kind: 'message', parent, options })
    return fake.messageAnswer
  }
}

export const Menu = {
  buildFromTemplate: (template: unknown) => ({ template }),
  setApplicationMenu: (menu: unknown) => void (fake.menu = menu)
}

export const session = {
  defaultSession: {
    webRequest: {
      onHeadersReceived: (fn: typeof fake.headersListener) => void (fake.headersListener = fn)
    },
    setPermissionRequestHandler: (fn: typeof fake.permissionHandler) =>
      void (fake.permissionHandler = fn)
  }
}

/** The preload's side: what it exposes and what it sends. */
export const contextBridge = {
  exposeInMainWorld: (name: string, api: unknown) => void fake.exposed.set(name, api)
}

class FakeIpcRenderer extends Emitter {
  invoke(channel: string, args: unknown): Promise<unknown> {
    fake.invoked.push({ channel, args })
    return Promise.resolve({ ok: true, value: null })
  }
  removeListener(name: string, fn: Listener): this {
    this.listeners.set(
      name,
      (this.listeners.get(name) ?? []).filter((f) => f !== fn)
    )
    return this
  }
}
export const ipcRenderer = new FakeIpcRenderer()
export type IpcRendererEvent = unknown

export const BrowserWindow = FakeBrowserWindow
export type OpenDialogOptions = Record<string, unknown>
export type { FakeBrowserWindow, FakeWebContents }

export default { app, ipcMain, dialog, Menu, session, BrowserWindow, contextBridge, ipcRenderer }
