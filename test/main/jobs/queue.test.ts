import { afterEach, describe, expect, it } from 'vitest'
import { JobQueue, defaultWorkerEntry, type Emit } from '../../../src/main/jobs/queue'
import type { EventMap, EventName } from '../../../src/contract/events'

const fixture = { url: new URL('./fixtures/countingWorker.ts', import.meta.url) }
/** A train request whose epochs the fixture counts. */
const count = (epochs: number) => ({
  name: 'count',
  datasetId: 1,
  architecture: 'cnn' as const,
  epochs
})
const explain = { datasetId: 1, modelIds: [1] }

function recorder(): { emit: Emit; events: { name: EventName; payload: EventMap[EventName] }[] } {
  const events: { name: EventName; payload: EventMap[EventName] }[] = []
  const emit: Emit = (name, payload) => void events.push({ name, payload })
  return { emit, events }
}

let queue: JobQueue | undefined
afterEach(async () => {
  await queue?.close()
  queue = undefined
})

describe('JobQueue over worker_threads', () => {
  it('runs a job in a worker, reports progress with curve points, and resolves its result', async () => {
    const r = recorder()
    queue = new JobQueue({ projectPath: '/p/a.ortholens', emit: r.emit, worker: fixture })
    const result = await queue.run('train', count(5), 'count')
    expect(result).toEqual({
      modelId: 5,
      runId: 0,
      name: 'count',
      warnings: [],
      status: 'ready',
      valAccuracy: 0,
      message: '/p/a.ortholens'
    })
    const points = r.events
      .filter((e) => e.name === 'job.progress')
      .map((e) => (e.payload as EventMap['job.progress']).point?.loss)
    expect(points.filter((x) => x !== undefined)).toEqual([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    const finished = r.events.find((e) => e.name === 'job.finished')!
      .payload as EventMap['job.finished']
    expect(finished.job.status).toBe('finished')
    expect(finished.job.fraction).toBe(1)
  })

  it('cancels a running job through the AbortSignal and a queued one without starting it', async () => {
    const r = recorder()
    queue = new JobQueue({ projectPath: '/p', emit: r.emit, worker: fixture })
    const first = queue.enqueue('train', count(1000), 'long')
    const second = queue.enqueue('train', count(3), 'queued')
    expect(queue.list().map((j) => j.status)).toEqual(
      ['queued', 'queued'].map((s, i) => (i === 0 ? 'running' : s))
    )
    await new Promise<void>((res) => {
      const check = (): void => {
        const j = queue!.list().find((x) => x.id === first.id)
        if (j && j.fraction > 0) res()
        else setTimeout(check, 20)
      }
      check()
    })
    expect(queue.cancel(second.id)).toBe(true)
    expect(queue.cancel(first.id)).toBe(true)
    await new Promise<void>((res) => {
      const check = (): void =>
        queue!.list().every((j) => j.status === 'cancelled') ? res() : void setTimeout(check, 20)
      check()
    })
    const cancelled = r.events
      .filter((e) => e.name === 'job.cancelled')
      .map((e) => (e.payload as EventMap['job.cancelled']).job.id)
    expect(cancelled.sort()).toEqual([first.id, second.id].sort())
    // The queued job never started: no progress event with status running for it.
    expect(
      r.events.some(
        (e) =>
          e.name === 'job.progress' &&
          (e.payload as EventMap['job.progress']).job.id === second.id &&
          (e.payload as EventMap['job.progress']).job.status === 'running'
      )
    ).toBe(false)
    expect(queue.cancel(first.id)).toBe(false)
  })

  it('closing lets the running job end as cancelled before its worker stops', async () => {
    const r = recorder()
    queue = new JobQueue({ projectPath: '/p', emit: r.emit, worker: fixture })
    const job = queue.enqueue('train', count(100000), 'long')
    await new Promise<void>((res) => {
      const check = (): void =>
        (queue!.list()[0]?.fraction ?? 0) > 0 ? res() : void setTimeout(check, 20)
      check()
    })
    await queue.close()
    // The worker's last message (after its 200 ms of final writes) arrived before it was stopped.
    const ended = r.events.filter((e) => e.name === 'job.cancelled' || e.name === 'job.failed')
    expect(ended.map((e) => [e.name, (e.payload as EventMap['job.cancelled']).job.id])).toEqual([
      ['job.cancelled', job.id]
    ])
    expect(queue.list()[0]!.status).toBe('cancelled')
  })

  it('reports a job failure with its contract error code and keeps serving', async () => {
    const r = recorder()
    queue = new JobQueue({ projectPath: '/p', emit: r.emit, worker: fixture })
    await expect(
      queue.run('import-dataset', { source: { kind: 'builtin' } }, 'bad')
    ).rejects.toEqual({
      code: 'import-failed',
      message: 'bad.png: not a PNG or JPEG file'
    })
    const preview = {
      datasetId: 1,
      sourceId: 1,
      targetIds: [],
      attack: 'pgd' as const,
      epsilon: 0.25,
      sampleIndex: 7
    }
    await expect(queue.run('attack-preview', preview, 'echo')).resolves.toMatchObject({
      attack: 'pgd',
      epsilon: 0.25,
      sampleIndex: 7
    })
  })

  it('fails the running job when its worker dies, then starts a fresh worker', async () => {
    const r = recorder()
    queue = new JobQueue({ projectPath: '/p', emit: r.emit, worker: fixture })
    await expect(
      queue.run('similarity', { datasetId: 1, modelA: 1, modelB: 2 }, 'crash')
    ).rejects.toMatchObject({
      code: 'internal',
      message: /worker stopped: exit code 3/
    })
    await expect(queue.run('train', count(1), 'after')).resolves.toMatchObject({
      modelId: 1,
      message: '/p'
    })
  })

  it('replaces a worker whose wasm heap ran out, after failing that job with the message', async () => {
    queue = new JobQueue({ projectPath: '/p', emit: recorder().emit, worker: fixture })
    const before = await queue.run('explain', explain, 'id')
    await expect(queue.run('sanity', { datasetId: 1, modelId: 1 }, 'oom')).rejects.toMatchObject({
      message: /wasm heap\) is full/
    })
    const after = await queue.run('explain', explain, 'id')
    // The fixture answers its worker's thread id.
    expect(after.runId).not.toBe(before.runId)
  })

  it('answers not-available-yet for a kind the worker has no body for', async () => {
    queue = new JobQueue({ projectPath: '/p', emit: recorder().emit, worker: fixture })
    const table = { datasetId: 1, sourceId: 1, ordinaryId: 2, orthogonalId: 3 }
    await expect(queue.run('defense-table', table, 'x')).rejects.toMatchObject({
      code: 'not-available-yet'
    })
  })

  it('points at the TypeScript worker under tests', () => {
    const entry = defaultWorkerEntry()
    expect(entry.url.pathname.endsWith('/src/main/jobs/worker.ts')).toBe(true)
  })
})
