/**
 * Exposes the contract's named functions to the renderer, and nothing else: no raw
 * ipcRenderer (Electron's context-isolation guide calls that unsafe). Each function invokes
 * its own channel; events are limited to the contract's event names.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { CHANNELS } from '../contract/requests'
import { EVENT_NAMES, type EventName } from '../contract/events'

const invoke = Object.fromEntries(
  CHANNELS.map((channel) => [channel, (args: unknown) => ipcRenderer.invoke(channel, args)])
)

function on(name: EventName, listener: (payload: unknown) => void): () => void {
  if (!EVENT_NAMES.includes(name)) throw new Error(`Unknown event ${String(name)}`)
  const wrapped = (_e: IpcRendererEvent, payload: unknown): void => listener(payload)
  ipcRenderer.on(`event:${name}`, wrapped)
  return () => ipcRenderer.removeListener(`event:${name}`, wrapped)
}

contextBridge.exposeInMainWorld('api', { invoke, on })
