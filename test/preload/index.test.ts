/**
 * The preload exposes the contract's named functions and event subscription, nothing else:
 * one function per channel, events limited to the contract's names, no raw ipcRenderer.
 */
import { describe, expect, it } from 'vitest'
import { CHANNELS } from '../../src/contract/requests'
import { EVENT_NAMES } from '../../src/contract/events'
import { fake, ipcRenderer } from '../stubs/electron'

await import('../../src/preload/index')
const api = fake.exposed.get('api') as {
  invoke: Record<string, (args: unknown) => Promise<unknown>>
  on: (name: string, fn: (payload: unknown) => void) => () => void
}

describe('the preload', () => {
  it('exposes only `api`, with invoke and on', () => {
    expect([...fake.exposed.keys()]).toEqual(['api'])
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on'])
  })

  it('has one function per contract channel, each invoking its own channel', async () => {
    expect(Object.keys(api.invoke).sort()).toEqual([...CHANNELS].sort())
    await api.invoke['models.list']!({})
    await api.invoke['datasets.delete']!({ datasetId: 3, withDependents: true })
    expect(fake.invoked).toEqual([
      { channel: 'models.list', args: {} },
      { channel: 'datasets.delete', args: { datasetId: 3, withDependents: true } }
    ])
  })

  it('subscribes to the contract’s events only, and unsubscribes', () => {
    const got: unknown[] = []
    const off = api.on('job.progress', (p) => got.push(p))
    ipcRenderer.emit('event:job.progress', { fraction: 0.5 })
    off()
    ipcRenderer.emit('event:job.progress', { fraction: 0.6 })
    expect(got).toEqual([{ fraction: 0.5 }])
    expect(EVENT_NAMES).toContain('job.progress')
    expect(() => api.on('fs.read', () => undefined)).toThrow(/Unknown event/)
  })
})
