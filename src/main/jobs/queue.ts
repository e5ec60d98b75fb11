/**
 * One job queue per open project. Jobs run in worker_threads so the Electron main thread
 * (and the loopback server's event loop) stays free to answer the window: SPEC §3
 * "Responsive". SQLite WAL lets the worker write while the main side reads.
 *
 * Two lanes, each one worker, serial inside: `batch` (training, sweeps, tables, imports) and
 * `interactive` (the ε-slider preview, reading a model file for the import form), so neither is
 * stuck behind a 10-minute training.
 */
import { Worker } from 'node:worker_threads'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import type { ContractErrorData } from '../../contract/errors'
import type { JobInfo } from '../../contract/entities'
import type { EventMap, EventName } from '../../contract/events'
import type { JobArgs, JobKind, JobOf, JobResults } from '../../contract/jobs'
import { markThreadEnded } from '../store/owner'
import type { FromWorker, ToWorker } from './messages'

/** Where the worker code lives; a `.ts` entry is loaded through tsx (dev, tests). */
export interface WorkerEntry {
  url: URL
}

/**
 * The worker entry next to this module: under tsx/vitest this file is TypeScript, so the
 * worker is too and needs tsx's loader; the built app passes its bundled worker.js instead
 * (see src/main/index.ts), because chunking may move this code away from worker.js.
 */
export function defaultWorkerEntry(): WorkerEntry {
  const here = import.meta.url
  return { url: new URL(here.endsWith('.ts') ? './worker.ts' : './worker.js', here) }
}

/**
 * Starts a worker. For a TypeScript entry, `execArgv: ['--import', 'tsx']` is not enough on
 * Node 20 (the worker's own entry is resolved before the hooks apply: ERR_UNKNOWN_FILE_EXTENSION),
 * so a two-line bootstrap registers tsx's ESM hooks inside the worker and then imports the entry.
 */
export function spawnWorker(entry: WorkerEntry): Worker {
  if (!entry.url.pathname.endsWith('.ts')) return new Worker(entry.url)
  const require = createRequire(import.meta.url)
  const api = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.url.href)}) })`
  return new Worker(code, { eval: true })
}

export type Emit = <E extends EventName>(name: E, payload: EventMap[E]) => void

type Lane = 'batch' | 'interactive'

/** Short jobs a person waits for (the ε slider, reading a model file for the import form). */
const INTERACTIVE_KINDS: ReadonlySet<string> = new Set(['attack-preview', 'model-inspect'])

interface JobRecord {
  info: JobInfo
  job: JobOf
  lane: Lane
  startedAt?: number
  resolve: (value: unknown) => void
  reject: (error: ContractErrorData) => void
  /** Settles when the job has ended, however it ended. */
  ended: Promise<unknown>
}

interface LaneState {
  worker?: Worker
  ready?: Promise<void>
  current?: JobRecord
  waiting: JobRecord[]
}

const KEEP_FINISHED = 50
/**
 * How long a closing project waits for its running job to wind down after the cancel: one
 * training step or one attack batch, and the final writes.
 */
const CLOSE_GRACE_MS = 30_000

export interface JobQueueOptions {
  projectPath: string
  emit: Emit
  worker?: WorkerEntry
  /**
   * Marks the runs of a worker that ended without closing them (crashed, or stopped after the
   * close grace) as interrupted, and their models 'cancelled' (with a checkpoint) or 'failed':
   * the window's connection's ProjectDb.reconcileInterrupted. Called after every worker exit,
   * before the job it was running is reported failed, so the window's refresh sees the result.
   */
  reconcile?: () => readonly number[]
}

export class JobQueue {
  private readonly lanes: Record<Lane, LaneState> = {
    batch: { waiting: [] },
    interactive: { waiting: [] }
  }
  private readonly jobs = new Map<string, JobRecord>()
  private readonly entry: WorkerEntry
  private closed = false

  constructor(private readonly opts: JobQueueOptions) {
    this.entry = opts.worker ?? defaultWorkerEntry()
  }

  get projectPath(): string {
    return this.opts.projectPath
  }

  /** Queues a job and returns at once; progress and the outcome arrive as events. */
  enqueue<K extends JobKind>(kind: K, args: JobArgs<K>, label: string): JobInfo {
    return this.submit({ kind, args } as JobOf, label).info
  }

  /** Queues a job given as one value (e.g. a re-run's replay). */
  enqueueJob(job: JobOf, label: string): JobInfo {
    return this.submit(job, label).info
  }

  /** Queues a job and waits for its result (rejects with the contract error data). */
  run<K extends JobKind>(kind: K, args: JobArgs<K>, label: string): Promise<JobResults[K]> {
    return this.submit({ kind, args } as JobOf, label).done as Promise<JobResults[K]>
  }

  private submit(job: JobOf, label: string): { info: JobInfo; done: Promise<unknown> } {
    if (this.closed) throw new Error('the project was closed')
    const kind = job.kind
    const info: JobInfo = {
      id: randomUUID(),
      kind,
      label,
      status: 'queued',
      fraction: 0,
      stage: 'Waiting for the previous job',
      etaSeconds: null,
      queuedAt: new Date().toISOString()
    }
    let resolve!: (v: unknown) => void
    let reject!: (e: ContractErrorData) => void
    const done = new Promise<unknown>((res, rej) => {
      resolve = res
      reject = rej
    })
    // A caller that only listens to events must not see an unhandled rejection.
    done.catch(() => undefined)
    const lane: Lane = INTERACTIVE_KINDS.has(kind) ? 'interactive' : 'batch'
    const record: JobRecord = {
      info,
      job,
      lane,
      resolve,
      reject,
      ended: done.catch(() => undefined)
    }
    this.jobs.set(info.id, record)
    this.lanes[lane].waiting.push(record)
    this.opts.emit('job.progress', { job: { ...info } })
    this.pump(lane)
    return { info: { ...info }, done }
  }

  /** Cancels a queued or running job. Returns false for an unknown or finished one. */
  cancel(jobId: string): boolean {
    const record = this.jobs.get(jobId)
    if (!record || !['queued', 'running'].includes(record.info.status)) return false
    const lane = this.lanes[record.lane]
    if (record.info.status === 'queued') {
      lane.waiting = lane.waiting.filter((r) => r !== record)
      this.settle(record, 'cancelled')
      return true
    }
    record.info.stage = 'Cancelling…'
    this.post(lane, { type: 'cancel', jobId })
    return true
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((r) => ({ ...r.info }))
  }

  /** Queued and running jobs with their arguments (a delete must not pull a model from one). */
  active(): { info: JobInfo; job: JobOf }[] {
    return [...this.jobs.values()]
      .filter((r) => r.info.status === 'queued' || r.info.status === 'running')
      .map((r) => ({ info: { ...r.info }, job: r.job }))
  }

  /**
   * Cancels everything and stops the workers (the project is closing). A running job is given
   * up to `graceMs` to end as a cancelled job does (a training keeps its best checkpoint and
   * closes its run) before its worker is told to stop. A worker stopped mid-job cannot close its
   * run; its exit reconciles it (`reconcile`): the run 'interrupted', the model 'cancelled'
   * with its best checkpoint, else 'failed'.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closed = true
    const running = [...this.jobs.values()].filter((r) => r.info.status === 'running')
    for (const record of [...this.jobs.values()]) this.cancel(record.info.id)
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      Promise.all(running.map((r) => r.ended)),
      new Promise<void>((res) => (timer = setTimeout(res, graceMs)))
    ])
    clearTimeout(timer)
    await Promise.all(
      Object.values(this.lanes).map(async (lane) => {
        const w = lane.worker
        lane.worker = undefined
        if (!w) return
        const exited = new Promise<void>((res) => w.once('exit', () => res()))
        w.postMessage({ type: 'shutdown' } satisfies ToWorker)
        const timer = setTimeout(() => void w.terminate(), 2000)
        await exited
        clearTimeout(timer)
      })
    )
  }

  private post(lane: LaneState, m: ToWorker): void {
    lane.worker?.postMessage(m)
  }

  private ensureWorker(laneName: Lane): LaneState {
    const lane = this.lanes[laneName]
    if (lane.worker) return lane
    const worker = spawnWorker(this.entry)
    lane.worker = worker
    lane.ready = new Promise<void>((res) => {
      const onReady = (m: FromWorker): void => {
        if (m.type === 'ready') {
          worker.off('message', onReady)
          res()
        }
      }
      worker.on('message', onReady)
    })
    worker.on('message', (m: FromWorker) => this.onMessage(laneName, m))
    const lost = (why: string): void => {
      if (lane.worker !== worker) return
      lane.worker = undefined
      const current = lane.current
      if (current) {
        lane.current = undefined
        this.settle(current, 'failed', undefined, {
          code: 'internal',
          message: `The job worker stopped: ${why}`
        })
      }
      this.pump(laneName)
    }
    // Read now: a Worker forgets its thread id once it has exited.
    const thread = worker.threadId
    // 'exit' always follows 'error'; the job is reported once the thread is gone, so that its
    // runs can be reconciled first.
    let crash: string | undefined
    worker.on('error', (err) => (crash ??= err.message))
    worker.on('exit', (code) => {
      this.workerEnded(thread)
      lost(crash ?? `exit code ${code}`)
    })
    return lane
  }

  /**
   * A worker thread is gone, whether it shut down, crashed or was stopped mid-job: its runs
   * left 'running' can no longer end by themselves (store/owner.ts cannot tell another live
   * thread's run from a dead one's without being told), so they are reconciled now rather
   * than at the next start of the app.
   */
  private workerEnded(thread: number): void {
    markThreadEnded(thread)
    if (!this.opts.reconcile) return
    try {
      const runs = this.opts.reconcile()
      if (runs.length > 0)
        this.opts.emit('log', {
          level: 'warn',
          message: `A job worker stopped before its run${runs.length > 1 ? 's' : ''} ${runs.join(', ')} ended: marked interrupted`,
          at: new Date().toISOString()
        })
    } catch (err) {
      this.opts.emit('log', {
        level: 'error',
        message: `Could not reconcile the runs of a stopped job worker: ${(err as Error).message}`,
        at: new Date().toISOString()
      })
    }
  }

  private pump(laneName: Lane): void {
    const lane = this.lanes[laneName]
    if (lane.current || this.closed) return
    const next = lane.waiting.shift()
    if (!next) return
    lane.current = next
    next.info.status = 'running'
    next.info.stage = 'Starting'
    next.startedAt = Date.now()
    this.opts.emit('job.progress', { job: { ...next.info } })
    const state = this.ensureWorker(laneName)
    const worker = state.worker
    void state.ready?.then(() => {
      if (lane.current !== next || state.worker !== worker) return
      this.post(lane, {
        type: 'start',
        jobId: next.info.id,
        projectPath: this.opts.projectPath,
        ...next.job
      })
    })
  }

  private onMessage(laneName: Lane, m: FromWorker): void {
    const lane = this.lanes[laneName]
    switch (m.type) {
      case 'ready':
        return
      case 'log':
        this.opts.emit('log', { level: m.level, message: m.message, at: new Date().toISOString() })
        return
      case 'progress': {
        const record = this.jobs.get(m.jobId)
        if (!record || record.info.status !== 'running') return
        record.info.fraction = Math.min(1, Math.max(0, m.fraction))
        if (record.info.stage !== 'Cancelling…') record.info.stage = m.stage
        record.info.etaSeconds = m.etaSeconds ?? estimateEta(record)
        this.opts.emit('job.progress', {
          job: { ...record.info },
          metrics: m.metrics,
          point: m.point
        })
        return
      }
      case 'finished':
      case 'failed':
      case 'cancelled': {
        const record = this.jobs.get(m.jobId)
        if (!record) return
        if (lane.current === record) lane.current = undefined
        if (m.type === 'finished') this.settle(record, 'finished', m.result)
        else if (m.type === 'failed') this.settle(record, 'failed', undefined, m.error)
        else this.settle(record, 'cancelled')
        if (m.type === 'failed' && m.retire && lane.worker) {
          // Detached first, so its exit is not taken for a crash of the next job.
          const spent = lane.worker
          lane.worker = undefined
          void spent.terminate()
        }
        this.pump(laneName)
        return
      }
      default:
        throw new Error(
          `job queue: unknown worker message ${JSON.stringify((m as { type?: unknown }).type)}`
        )
    }
  }

  private settle(
    record: JobRecord,
    status: 'finished' | 'failed' | 'cancelled',
    result?: unknown,
    error?: ContractErrorData
  ): void {
    record.info.status = status
    record.info.etaSeconds = null
    if (status === 'finished') {
      record.info.fraction = 1
      record.info.stage = 'Done'
      this.opts.emit('job.finished', { job: { ...record.info }, result })
      record.resolve(result)
    } else if (status === 'failed') {
      record.info.stage = 'Failed'
      const e = error ?? { code: 'internal' as const, message: 'unknown failure' }
      this.opts.emit('job.failed', { job: { ...record.info }, error: e })
      record.reject(e)
    } else {
      record.info.stage = 'Cancelled'
      this.opts.emit('job.cancelled', { job: { ...record.info } })
      record.reject({ code: 'cancelled', message: 'Cancelled' })
    }
    this.forgetOld()
  }

  private forgetOld(): void {
    const done = [...this.jobs.values()].filter(
      (r) => !['queued', 'running'].includes(r.info.status)
    )
    for (const r of done.slice(0, Math.max(0, done.length - KEEP_FINISHED)))
      this.jobs.delete(r.info.id)
  }
}

/** ETA from the pace so far, once there is enough of it to mean something. */
function estimateEta(record: JobRecord): number | null {
  const f = record.info.fraction
  if (!record.startedAt || f < 0.02 || f >= 1) return null
  const elapsed = (Date.now() - record.startedAt) / 1000
  return Math.round((elapsed * (1 - f)) / f)
}
