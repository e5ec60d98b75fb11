/**
 * The browser-hosted mode: an HTTP server on 127.0.0.1 (random port) serving the built
 * renderer, and a WebSocket carrying the IPC contract to the very same handlers as Electron.
 * A per-run token (in the page URL's fragment, sent by the page on connect) and an Origin
 * check keep other local programs and web pages out.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
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

export interface LoopbackOptions {
  /** The built renderer (index.html + assets). */
  rendererDir: string
  /** Where the recent-projects list lives. */
  settingsDir: string
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
    // No native dialog in a browser tab: the path the user typed is the pick.
    async pickPath(_purpose: PickPurpose, typedPath?: string) {
      return typedPath ? [typedPath] : null
    },
    nativeDialogs: false,
    settingsDir: opts.settingsDir,
    workerEntry: opts.workerEntry
  }
  const session = new Session(host)
  const ctx: HandlerContext = { host, session }

  async function serveFile(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '')
    const file = normalize(join(root, rel))
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end()
      return
    }
    try {
      const body = await readFile(file)
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': RENDERER_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store'
      })
      res.end(body)
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
    }
  }

  const http = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end()
      return
    }
    void serveFile(req, res)
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const port = (http.address() as { port: number }).port
    const originOk = req.headers.origin === `http://127.0.0.1:${port}` || req.headers.origin === `http://localhost:${port}`
    const given = url.searchParams.get('token') ?? ''
    if (url.pathname !== '/ws' || !originOk || !sameToken(given, token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      ws.on('message', (data) => {
        let msg: WireRequest
        try {
          msg = JSON.parse(String(data)) as WireRequest
        } catch {
          return
        }
        if (typeof msg?.id !== 'number') return
        void dispatch(msg.channel, msg.args, ctx).then((reply) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'reply', id: msg.id, reply } satisfies WireMessage))
        })
      })
    })
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
