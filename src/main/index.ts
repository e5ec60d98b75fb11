/**
 * Electron lifecycle and the window only (thin: the handlers are the same plain functions
 * the loopback host serves). Secure defaults: contextIsolation, sandbox, no nodeIntegration,
 * a strict CSP, no remote content, navigation and new windows blocked.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  session as electronSession,
  type OpenDialogOptions
} from 'electron'
import { join } from 'node:path'
import { CHANNELS } from '../contract/requests'
import type { EventMap, EventName } from '../contract/events'
import type { PickPurpose } from '../contract/names'
import { Session, type HandlerContext, type Host } from './ipc/context'
import { ensureFolder } from './ipc/folders'
import { dispatch } from './ipc/registry'
import { RENDERER_CSP } from './server/csp'

let win: BrowserWindow | null = null
/** A bare project name and the dialogs' first folder: the user's Documents/Ortholens. */
const documentsDir = join(app.getPath('documents'), 'Ortholens')

const dialogOptions: Record<PickPurpose, OpenDialogOptions['properties'] | 'save'> = {
  'project-new': 'save',
  'project-save-as': 'save',
  'export-file': 'save',
  'project-open': ['openFile'],
  'import-folder': ['openDirectory'],
  'import-files': ['openFile', 'multiSelections'],
  'model-import': ['openFile'],
  'export-folder': ['openDirectory', 'createDirectory']
}

const host: Host = {
  emit<E extends EventName>(name: E, payload: EventMap[E]) {
    // Nothing is sent to a destroyed window.
    if (win && !win.isDestroyed() && !win.webContents.isDestroyed())
      win.webContents.send(`event:${name}`, payload)
  },
  async pickPath(purpose: PickPurpose, _typed?: string, defaultName?: string) {
    if (!win) return null
    const how = dialogOptions[purpose]
    const filters = purpose.startsWith('project')
      ? [{ name: 'Ortholens project', extensions: ['ortholens'] }]
      : purpose === 'model-import'
        ? [{ name: 'Models (ONNX, TF.js model.json)', extensions: ['onnx', 'json'] }]
        : []
    if (how === 'save') {
      // Dialogs open in Documents/Ortholens (created on first use), not the app's folder.
      const r = await dialog.showSaveDialog(win, {
        defaultPath: join(ensureFolder(documentsDir), defaultName ?? ''),
        filters
      })
      return r.canceled || !r.filePath ? null : [r.filePath]
    }
    const r = await dialog.showOpenDialog(win, {
      properties: how,
      filters,
      defaultPath: ensureFolder(documentsDir)
    })
    return r.canceled ? null : r.filePaths
  },
  nativeDialogs: true,
  settingsDir: app.getPath('userData'),
  documentsDir,
  // The bundled worker sits next to this file (electron.vite.config.ts builds it as a second entry).
  workerEntry: { url: new URL('./worker.js', import.meta.url) }
}
const session = new Session(host)
const ctx: HandlerContext = { host, session }
/** Set once the analyst agreed to stop the running jobs: the next close goes through. */
let quitting = false

/** For the shell's tests (test/main/shell.test.ts): the session the window's handlers serve. */
export { session }

for (const channel of CHANNELS) {
  ipcMain.handle(channel, (event, args) => {
    // Only our own window's main frame may call.
    if (
      !win ||
      event.sender !== win.webContents ||
      event.senderFrame !== win.webContents.mainFrame
    ) {
      return { ok: false, error: { code: 'unauthorized', message: 'Unknown sender' } }
    }
    return dispatch(channel, args, ctx)
  })
}

function createWindow(): void {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    // Usable from 1,024 px wide (issue 16): no screen needs more.
    minWidth: 1024,
    minHeight: 640,
    title: 'Ortholens',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  win.on('close', (e) => confirmCloseDuringJobs(e))
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  win.webContents.on('will-navigate', (e) => e.preventDefault())
  win.webContents.on('will-attach-webview', (e) => e.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'))
  win.on('closed', () => (win = null))
}

/**
 * Closing the window (or quitting) while jobs run asks first: quitting stops them (a training
 * keeps its best checkpoint, then its run is closed; see JobQueue.close). The renderer cannot
 * ask itself: in Electron a beforeunload handler silently keeps the window open.
 */
function confirmCloseDuringJobs(e: { preventDefault(): void }): void {
  const active = (session.jobs?.list() ?? []).filter(
    (j) => j.status === 'running' || j.status === 'queued'
  )
  if (quitting || active.length === 0 || !win) return
  e.preventDefault()
  const training = active.some((j) => j.kind === 'train')
  void dialog
    .showMessageBox(win, {
      type: 'warning',
      buttons: ['Keep working', 'Stop and quit'],
      defaultId: 0,
      cancelId: 0,
      message:
        active.length === 1 ? 'A job is still running' : `${active.length} jobs are still running`,
      detail:
        active
          .map(
            (j) =>
              `${j.label}: ${j.status === 'queued' ? 'waiting' : `${Math.round(j.fraction * 100)} % done`}`
          )
          .join('\n') +
        `\n\nQuitting stops ${active.length === 1 ? 'it' : 'them'}.` +
        (training ? ' A training keeps its best checkpoint as a usable model.' : '')
    })
    .then(({ response }) => {
      if (response !== 1) return
      quitting = true
      win?.close()
    })
}

/** The native menu: file actions are renderer screens; the menu opens them. */
function buildMenu(): void {
  const go = (screen: string) => () =>
    win?.webContents.send('event:log', {
      level: 'info',
      message: `menu:${screen}`,
      at: new Date().toISOString()
    })
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      {
        label: 'File',
        submenu: [
          { label: 'New / Open / Recent…', accelerator: 'CmdOrCtrl+O', click: go('projects') },
          { type: 'separator' },
          { role: 'quit' }
        ]
      },
      { role: 'editMenu' },
      {
        label: 'View',
        submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { role: 'togglefullscreen' }]
      }
    ])
  )
}

void app.whenReady().then(() => {
  // Strict CSP on every response, and no permission is ever granted (no camera, no geolocation…).
  electronSession.defaultSession.webRequest.onHeadersReceived((details, cb) =>
    cb({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] }
    })
  )
  electronSession.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))
  buildMenu()
  createWindow()
})

app.on('window-all-closed', () => {
  void session.detach().finally(() => app.quit())
})
