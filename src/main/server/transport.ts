/**
 * The loopback wire format: the same contract as Electron IPC, framed as JSON over one
 * WebSocket. Client → server: requests; server → client: replies and events.
 */
import type { Reply } from '../../contract/errors'
import type { EventMap, EventName } from '../../contract/events'

export interface WireRequest {
  id: number
  channel: string
  args: unknown
}

export type WireMessage =
  | { type: 'reply'; id: number; reply: Reply<unknown> }
  | { type: 'event'; name: EventName; payload: EventMap[EventName] }
