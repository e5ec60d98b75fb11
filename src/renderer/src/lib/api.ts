/**
 * The renderer's only way to the main side (ARCHITECTURE pattern 2, Netron's host): in
 * Electron the preload's named functions (window.api), in a browser tab the loopback
 * WebSocket. Decided here, once; screens and state never know which.
 */
import type { ContractErrorData, Reply } from '../../../contract/errors'
import type { EventMap, EventName } from '../../../contract/events'
import type { Args, Channel, Results } from '../../../contract/requests'

/** What the preload exposes (src/preload/index.ts). */
export interface PreloadApi {
  invoke: { [C in Channel]: (args: Args<C>) => Promise<Reply<Results[C]>> }
  on<E extends EventName>(name: E, listener: (payload: EventMap[E]) => void): () => void
}

declare global {
  interface Window {
    api?: PreloadApi
  }
}

/**
 * A failed request, with the contract's error code and the message meant for people; `where`
 * and `technical` are for the "details" disclosure under the message.
 */
export class ApiError extends Error {
  readonly code: string
  readonly where?: string
  readonly technical?: string
  constructor(data: ContractErrorData) {
    super(data.message)
    this.code = data.code
    this.where = data.where
    this.technical = data.technical
  }
}

type Listener = (payload: unknown) => void

interface Transport {
  request(channel: Channel, args: unknown): Promise<Reply<unknown>>
  on(name: EventName, listener: Listener): () => void
}

function electronTransport(preload: PreloadApi): Transport {
  return {
    request: (channel, args) =>
      (preload.invoke[channel] as (a: unknown) => Promise<Reply<unknown>>)(args),
    on: (name, listener) => preload.on(name, listener as never)
  }
}

function loopbackTransport(): Transport {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? ''
  const listeners = new Map<EventName, Set<Listener>>()
  const pending = new Map<number, (r: Reply<unknown>) => void>()
  let nextId = 1
  let socket: Promise<WebSocket> | null = null

  function connect(): Promise<WebSocket> {
    socket ??= new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`)
      ws.onopen = () => resolve(ws)
      ws.onerror = () =>
        reject(
          new ApiError({
            code: 'unauthorized',
            message: 'Cannot reach Ortholens: reopen the address it printed'
          })
        )
      ws.onclose = () => {
        socket = null
        for (const done of pending.values())
          done({ ok: false, error: { code: 'internal', message: 'Connection to Ortholens lost' } })
        pending.clear()
      }
      ws.onmessage = (e) => {
        const msg = JSON.parse(String(e.data)) as
          | { type: 'reply'; id: number; reply: Reply<unknown> }
          | { type: 'event'; name: EventName; payload: unknown }
        if (msg.type === 'reply') {
          pending.get(msg.id)?.(msg.reply)
          pending.delete(msg.id)
        } else {
          for (const l of listeners.get(msg.name) ?? []) l(msg.payload)
        }
      }
    })
    return socket
  }

  return {
    async request(channel, args) {
      const ws = await connect()
      const id = nextId++
      return new Promise((resolve) => {
        pending.set(id, resolve)
        ws.send(JSON.stringify({ id, channel, args }))
      })
    },
    on(name, listener) {
      if (!listeners.has(name)) listeners.set(name, new Set())
      listeners.get(name)!.add(listener)
      void connect()
      return () => listeners.get(name)?.delete(listener)
    }
  }
}

const transport: Transport = window.api ? electronTransport(window.api) : loopbackTransport()

/** Calls a contract channel; rejects with ApiError. */
export async function call<C extends Channel>(channel: C, args: Args<C>): Promise<Results[C]> {
  const reply = await transport.request(channel, args)
  if (!reply.ok) throw new ApiError(reply.error)
  return reply.value as Results[C]
}

/** Subscribes to a contract event; returns the unsubscribe function. */
export function on<E extends EventName>(
  name: E,
  listener: (payload: EventMap[E]) => void
): () => void {
  return transport.on(name, listener as Listener)
}

/** Words for an error, whatever threw it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** An error as the window shows it: the message, and what the "details" disclosure holds. */
export interface ShownError {
  text: string
  /** The technical part (errno, a parser's text, the file or field at fault); may be absent. */
  technical?: string
}

/** The "details" of an error: the thing at fault and the technical reason, when there are any. */
export function technicalOf(err: unknown): string | undefined {
  const e = (err ?? {}) as Partial<Pick<ContractErrorData, 'where' | 'technical'>>
  const lines = [e.where ? `Where: ${e.where}` : '', e.technical ?? ''].filter((l) => l !== '')
  return lines.length > 0 ? lines.join('\n') : undefined
}

/** What the window shows for `err`: its message and its details. */
export function shownError(err: unknown): ShownError {
  const technical = technicalOf(err)
  return { text: messageOf(err), ...(technical ? { technical } : {}) }
}
