/**
 * The browser-hosted server under malformed and hostile input (issue 19): raw HTTP requests
 * (bad percent-escapes like GET /%E0%A4%A, NUL bytes, traversal, garbage, oversized headers),
 * WebSocket upgrades with and without the token, and authenticated frames that are not JSON,
 * not requests, binary, invalid UTF-8, over the size limit or broken at the frame level. After
 * every one the server must still serve the page and answer a real request; a crash would
 * surface as an uncaught error in this process.
 */
import { connect } from 'node:net'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import {
  MAX_MESSAGE_BYTES,
  startLoopbackServer,
  type LoopbackServer
} from '../../../src/main/server/server'

let dir: string
let server: LoopbackServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ortholens-fuzz-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Ortholens</title>')
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET')
  server = await startLoopbackServer({ rendererDir: renderer, settingsDir: join(dir, 'settings') })
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * Sends raw bytes, returns what came back once a whole response arrived or the server closed;
 * `giveUpMs` only ends the wait for requests left half-sent on purpose (the server rightly
 * waits for the rest), whose answer is not checked.
 */
function raw(bytes: string | Buffer, giveUpMs = 30_000): Promise<string> {
  return new Promise((done) => {
    const socket = connect(server.port, '127.0.0.1')
    let got = ''
    const finish = (): void => {
      socket.destroy()
      done(got)
    }
    const timer = setTimeout(finish, giveUpMs)
    socket.on('data', (d) => {
      got += d.toString('latin1')
      // One complete response is enough (keep-alive would otherwise hold the socket open).
      if (/\r\n\r\n/.test(got) && /content-length: (\d+)/i.test(got)) {
        const len = Number(/content-length: (\d+)/i.exec(got)![1])
        if (got.length - got.indexOf('\r\n\r\n') - 4 >= len) {
          clearTimeout(timer)
          finish()
        }
      }
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      done(got)
    })
    socket.write(bytes)
  })
}

const HALF_SENT = 'GET / HTTP/1.1\r\nHo'
const status = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)
const get = (path: string): Promise<string> =>
  raw(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)

function origin(): string {
  return `http://127.0.0.1:${server.port}`
}

function openSocket(
  token = server.token,
  headers: Record<string, string> = { Origin: origin() }
): Promise<WebSocket> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${server.port}/ws?token=${encodeURIComponent(token)}`,
      { headers }
    )
    ws.on('open', () => done(ws))
    ws.on('error', fail)
    ws.on('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)))
  })
}

/** The server still serves the page and answers a real request over a fresh socket. */
async function stillServing(): Promise<void> {
  const page = await get('/')
  expect(status(page)).toBe(200)
  expect(page).toContain('<title>Ortholens</title>')
  const ws = await openSocket()
  const reply = await new Promise<unknown>((done) => {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; id?: number }
      if (m.type === 'reply' && m.id === 7) done(m)
    })
    ws.send(JSON.stringify({ id: 7, channel: 'projects.recent', args: {} }))
  })
  expect(reply).toMatchObject({ type: 'reply', id: 7, reply: { ok: true } })
  ws.close()
}

/** Deterministic pseudo-random URL paths: percent-escapes (broken and not), unicode, dots. */
function randomPaths(n: number): string[] {
  let x = 12345
  const r = (): number => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 4294967296
  }
  const atoms = [
    '%',
    '%E0',
    '%A4',
    '%A',
    '%zz',
    '%00',
    '%2e%2e',
    '..',
    '/',
    '%2f',
    '\\',
    'é',
    '%C0%AF',
    '%ff',
    'assets',
    'index.html',
    '?',
    '#',
    ';',
    '%25',
    '~',
    '.',
    '//'
  ]
  return Array.from(
    { length: n },
    () =>
      '/' +
      Array.from(
        { length: 1 + Math.floor(r() * 8) },
        () => atoms[Math.floor(r() * atoms.length)]
      ).join('')
  )
}

describe('HTTP: malformed requests get a 4xx, never a crash, and nothing outside the page is served', () => {
  it('a broken percent-escape (GET /%E0%A4%A) is a 400', async () => {
    expect(status(await get('/%E0%A4%A'))).toBe(400)
    expect(status(await get('/assets/%'))).toBe(400)
    await stillServing()
  })

  it('NUL bytes, traversal in every spelling, and methods other than GET/HEAD', async () => {
    expect(status(await get('/index.html%00.js'))).toBe(400)
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '//etc/passwd'
    ]) {
      const r = await get(p)
      expect([400, 403, 404]).toContain(status(r))
      expect(r).not.toContain('TOP SECRET')
      expect(r).not.toContain('root:')
    }
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH']) {
      expect(
        status(
          await raw(
            `${m} / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`
          )
        )
      ).toBe(405)
    }
    await stillServing()
  })

  it('garbage, oversized headers, odd request targets and half-sent requests', async () => {
    const cases: (string | Buffer)[] = [
      'GARBAGE\r\n\r\n',
      Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 131) & 255)),
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
      'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: rebound.example:80\r\nConnection: close\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nzz\r\n',
      HALF_SENT,
      'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      'GET /ws?token=%E0%A4%A HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: x\r\n\r\n'
    ]
    for (const c of cases) {
      const r = await raw(c, c === HALF_SENT ? 500 : undefined)
      const code = status(r)
      expect(code === 0 || (code >= 400 && code < 500)).toBe(true)
    }
    await stillServing()
  })

  it('300 random paths with broken escapes, unicode and dots: 200 only for the page and its assets', async () => {
    for (const p of randomPaths(300)) {
      const r = await get(encodeURI(p).replace(/%25/g, '%'))
      const code = status(r)
      expect(code === 0 || [200, 400, 403, 404].includes(code)).toBe(true)
      expect(r).not.toContain('TOP SECRET')
    }
    await stillServing()
  })
})

describe('WebSocket: upgrades without the token are refused; bad frames close one connection only', () => {
  it('no token, a wrong token, another origin, another path: 401', async () => {
    await expect(openSocket('')).rejects.toThrow(/401/)
    await expect(openSocket('wrong')).rejects.toThrow(/401/)
    await expect(openSocket(server.token, { Origin: 'http://evil.example' })).rejects.toThrow(/401/)
    await expect(openSocket(server.token, {})).rejects.toThrow(/401/)
    await stillServing()
  })

  it('authenticated junk: not JSON, not a request, unknown channels, bad arguments, deep nesting, binary', async () => {
    const ws = await openSocket()
    const replies: unknown[] = []
    ws.on('message', (d) => replies.push(JSON.parse(String(d))))
    const junk = [
      'not json',
      '',
      'null',
      '[]',
      '42',
      '{"id":"1"}',
      '{"id":1}',
      '{"id":2,"channel":42}',
      '{"id":3,"channel":"no.such.channel","args":{}}',
      '{"id":4,"channel":"projects.open","args":{"path":{"$gt":""}}}',
      '{"id":5,"channel":"projects.recent","args":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}',
      '{"id":1e999,"channel":"projects.recent","args":{}}',
      '{"id":6,"channel":"__proto__","args":{"__proto__":{"polluted":true}}}'
    ]
    const answered = new Promise<void>((done) => {
      ws.on('message', () => {
        if (replies.length >= 6) done()
      })
    })
    for (const j of junk) ws.send(j)
    ws.send(Buffer.from([0, 1, 2, 255]), { binary: true })
    // No timing: wait for the six replies due (the test's own timeout bounds it).
    await answered
    const ids = (replies as { id: number; reply: { ok: boolean } }[]).map((r) => r.id).sort()
    // Every message with a numeric id gets a reply (an error for all but none here); the rest are dropped.
    expect(ids).toEqual([1, 2, 3, 4, 5, 6])
    expect((replies as { reply: { ok: boolean } }[]).every((r) => r.reply.ok === false)).toBe(true)
    expect(
      (replies as { reply: { ok: boolean } }[]).every((r) => typeof r.reply.ok === 'boolean')
    ).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    ws.close()
    await stillServing()
  })

  it(`a frame over ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB (and one of 17 MiB) closes that connection with 1009; the server goes on`, async () => {
    for (const size of [MAX_MESSAGE_BYTES + 1, 17 * 1024 * 1024]) {
      const ws = await openSocket()
      const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)))
      ws.on('error', () => undefined)
      ws.send('x'.repeat(size))
      expect(await closed).toBe(1009)
    }
    await stillServing()
  })

  it('frame-level garbage after the handshake: reserved bits, bad opcodes, invalid UTF-8, a lying length', async () => {
    const frames = [
      Buffer.from([0xf1, 0x80, 0, 0, 0, 0]), // RSV bits set
      Buffer.from([0x83, 0x80, 0, 0, 0, 0]), // reserved opcode 3
      Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]), // invalid UTF-8 text
      Buffer.from([0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // 2^64-1 bytes, unmasked
      Buffer.from([0x09, 0x80, 0, 0, 0, 0]) // a ping split into fragments (control frames may not be)
    ]
    for (const frame of frames) {
      const ws = await openSocket()
      const closed = new Promise<void>((done) => ws.on('close', () => done()))
      ws.on('error', () => undefined)
      // Write below the ws client, straight onto its socket.
      ;(ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(frame)
      await closed
    }
    await stillServing()
  })
})
