/**
 * Electron lifecycle and the window only (thin: the handlers are the same plain functions
 * the loopback host serves). Secure defaults: contextIsolation, sandbox, no nodeIntegration,
 * a strict CSP, no remote content, navigation and new windows blocked.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session as electronSession, type OpenDialogOptions } from 'electron'
import { join } from 'node:path'
import { CHANNELS } from '../contract/requests'
import type { EventMap, EventName } from '../contract/events'
import type { PickPurpose } from '../contract/names'
import { Session, type HandlerContext, type Host } from './ipc/context'
import { dispatch } from './ipc/registry'
import { RENDERER_CSP } from './server/csp'

let win: BrowserWindow | null = null

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
    if (win && !win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(`event:${name}`, payload)
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
      const r = await dialog.showSaveDialog(win, { defaultPath: defaultName, filters })
      return r.canceled || !r.filePath ? null : [r.filePath]
    }
    const r = await dialog.showOpenDialog(win, { properties: how, filters })
    return r.canceled ? null : r.filePaths
  },
  nativeDialogs: true,
  settingsDir: app.getPath('userData'),
  // The bundled worker sits next to this file (electron.vite.config.ts builds it as a second entry).
  workerEntry: { url: new URL('./worker.js', import.meta.url) }
}
const session = new Session(host)
const ctx: HandlerContext = { host, session }

for (const channel of CHANNELS) {
  ipcMain.handle(channel, (event, args) => {
    // Only our own window's main frame may call.
    if (!win || event.sender !== win.webContents || event.senderFrame !== win.webContents.mainFrame) {
      return { ok: false, error: { code: 'unauthorized', message: 'Unknown sender' } }
    }
    return dispatch(channel, args, ctx)
  })
}

function createWindow(): void {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1280,
    minHeight: 800,
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
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  win.webContents.on('will-navigate', (e) => e.preventDefault())
  win.webContents.on('will-attach-webview', (e) => e.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'))
  win.on('closed', () => (win = null))
}

/** The native menu: file actions are renderer screens; the menu opens them. */
function buildMenu(): void {
  const go = (screen: string) => () => win?.webContents.send('event:log', { level: 'info', message: `menu:${screen}`, at: new Date().toISOString() })
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
      { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { role: 'togglefullscreen' }] }
    ])
  )
}

void app.whenReady().then(() => {
  // Strict CSP on every response, and no permission is ever granted (no camera, no geolocation…).
  electronSession.defaultSession.webRequest.onHeadersReceived((details, cb) =>
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } })
  )
  electronSession.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))
  buildMenu()
  createWindow()
})

app.on('window-all-closed', () => {
  void session.detach().finally(() => app.quit())
})
