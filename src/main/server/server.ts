/**
 * The browser-hosted mode: an HTTP server on 127.0.0.1 (random port) serving the built
 * renderer, and a WebSocket carrying the IPC contract to the very same handlers as Electron.
 * A per-run token (in the page URL's fragment, sent by the page on connect) and an Origin
 * check keep other local programs and web pages out.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { Duplex } from 'node:stream'
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import type { EventMap, EventName } from '../../contract/events'
import type { PickPurpose } from '../../contract/names'
import { Session, type HandlerContext, type Host } from '../ipc/context'
import { dispatch } from '../ipc/registry'
import type { WorkerEntry } from '../jobs/queue'
import { RENDERER_CSP } from './csp'
import type { WireMessage, WireRequest } from './transport'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

/**
 * The largest WebSocket message accepted. Requests carry arguments (ids, paths, settings),
 * never images: a few kB. A larger frame closes that connection (code 1009), nothing else.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024

/** A path the browser user typed, as the pick: links resolved, so a pick names a real place. */
export function resolvePick(typed: string): string {
  const abs = resolve(typed)
  try {
    return realpathSync(abs)
  } catch {
    // Not there yet (a new project's file): its folder's real path.
    try {
      return join(realpathSync(dirname(abs)), basename(abs))
    } catch {
      return abs
    }
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res
    .writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff'
    })
    .end(text)
}

/** Answers 400 and closes a raw socket (upgrade requests that cannot be parsed). */
function refuseSocket(socket: Duplex, status: '400 Bad Request' | '401 Unauthorized'): void {
  if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`)
  socket.destroy()
}

export interface LoopbackOptions {
  /** The built renderer (index.html + assets). */
  rendererDir: string
  /** Where the recent-projects list lives. */
  settingsDir: string
  /**
   * Where a bare project or export name is saved and where the folder picker starts
   * (default ~/Documents/Ortholens; the server's command line reads ORTHOLENS_DOCUMENTS_DIR).
   */
  documentsDir?: string
  port?: number
  token?: string
  workerEntry?: WorkerEntry
}

export interface LoopbackServer {
  /** Open this in a browser: the token rides in the fragment, never sent in HTTP requests. */
  url: string
  port: number
  token: string
  session: Session
  close(): Promise<void>
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Starts the loopback server; resolves once it listens. */
export async function startLoopbackServer(opts: LoopbackOptions): Promise<LoopbackServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url')
  const root = resolve(opts.rendererDir)
  const sockets = new Set<WebSocket>()

  const host: Host = {
    emit<E extends EventName>(name: E, payload: EventMap[E]) {
      const text = JSON.stringify({ type: 'event', name, payload } satisfies WireMessage)
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text)
    },
    // No native dialog in a browser tab: the path the user typed is the pick, with its links
    // resolved, so that what is allowed afterwards is the real place, not a link's name.
    async pickPath(_purpose: PickPurpose, typedPath?: string) {
      return typeof typedPath === 'string' && typedPath !== '' && !typedPath.includes('\0')
        ? [resolvePick(typedPath)]
        : null
    },
    nativeDialogs: false,
    settingsDir: opts.settingsDir,
    ...(opts.documentsDir ? { documentsDir: opts.documentsDir } : {}),
    workerEntry: opts.workerEntry
  }
  const session = new Session(host)
  const ctx: HandlerContext = { host, session }

  /** Static files of the renderer; any request the URL parser or decoder rejects is a 400. */
  async function serveFile(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let rel: string
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      rel =
        url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '')
    } catch {
      plain(res, 400, 'bad request')
      return
    }
    if (rel.includes('\0')) {
      plain(res, 400, 'bad request')
      return
    }
    const file = normalize(join(root, rel))
    if (file !== root && !file.startsWith(root + sep)) {
      plain(res, 403, 'forbidden')
      return
    }
    let body: Buffer
    try {
      body = await readFile(file)
    } catch {
      plain(res, 404, 'not found')
      return
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': RENDERER_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store'
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  /**
   * Only requests addressed to the loopback name: a page elsewhere whose DNS name is rebound
   * to 127.0.0.1 sends its own Host header and is turned away before anything is served.
   */
  const hostOk = (host: string | undefined): boolean => {
    const port = (http.address() as { port: number } | null)?.port
    return ['127.0.0.1', 'localhost', '[::1]'].some(
      (name) => host === name || host === `${name}:${port}`
    )
  }

  const http = createServer((req, res) => {
    res.on('error', () => res.destroy())
    if (!hostOk(req.headers.host)) {
      plain(res, 421, 'this server answers only to 127.0.0.1')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'method not allowed')
      return
    }
    serveFile(req, res).catch(() => plain(res, 500, 'internal error'))
  })
  // A request Node cannot parse (bad headers, oversized, garbage): 400 and close, never a throw.
  http.on('clientError', (_err, socket) => refuseSocket(socket, '400 Bad Request'))
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  wss.on('error', () => undefined)

  function onMessage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (isBinary) return
    let msg: WireRequest
    try {
      msg = JSON.parse(String(data)) as WireRequest
    } catch {
      return
    }
    if (
      msg === null ||
      typeof msg !== 'object' ||
      typeof msg.id !== 'number' ||
      !Number.isFinite(msg.id)
    )
      return
    const id = msg.id
    dispatch(msg.channel, msg.args, ctx)
      .then((reply) => {
        if (ws.readyState === ws.OPEN)
          ws.send(JSON.stringify({ type: 'reply', id, reply } satisfies WireMessage))
      })
      .catch(() => {
        const reply = {
          ok: false as const,
          error: { code: 'internal' as const, message: 'The request failed unexpectedly' }
        }
        if (ws.readyState === ws.OPEN)
          ws.send(JSON.stringify({ type: 'reply', id, reply } satisfies WireMessage))
      })
  }

  http.on('upgrade', (req, socket, head) => {
    // A reset while upgrading must not become an uncaught 'error' event.
    socket.on('error', () => socket.destroy())
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1')
    } catch {
      refuseSocket(socket, '400 Bad Request')
      return
    }
    const port = (http.address() as { port: number }).port
    const originOk =
      req.headers.origin === `http://127.0.0.1:${port}` ||
      req.headers.origin === `http://localhost:${port}`
    const given = url.searchParams.get('token') ?? ''
    if (
      url.pathname !== '/ws' ||
      !originOk ||
      !hostOk(req.headers.host) ||
      !sameToken(given, token)
    ) {
      refuseSocket(socket, '401 Unauthorized')
      return
    }
    try {
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws)
        // An oversized or malformed frame closes this connection (ws sends 1009/1002), not the server.
        ws.on('error', () => ws.terminate())
        ws.on('close', () => sockets.delete(ws))
        ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary))
      })
    } catch {
      refuseSocket(socket, '400 Bad Request')
    }
  })

  await new Promise<void>((res, rej) => {
    http.once('error', rej)
    http.listen(opts.port ?? 0, '127.0.0.1', () => res())
  })
  const port = (http.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    session,
    async close() {
      for (const ws of sockets) ws.terminate()
      wss.close()
      await session.detach()
      await new Promise<void>((res) => http.close(() => res()))
    }
  }
}
