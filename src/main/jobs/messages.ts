/**
 * Messages between the job queue (main side) and a job worker (worker_threads). Both ends
 * switch on `type` and throw on an unknown one (Netron's worker.js), so a protocol drift
 * fails loudly instead of hanging a job.
 */
import type { ContractErrorData } from '../../contract/errors'
import type { HistoryPoint } from '../../contract/entities'
import type { JobArgs, JobKind, JobOf, JobResults } from '../../contract/jobs'

export type ToWorker =
  | ({ type: 'start'; jobId: string; projectPath: string } & JobOf)
  | { type: 'cancel'; jobId: string }
  | { type: 'shutdown' }

export type FromWorker =
  | { type: 'ready' }
  | {
      type: 'progress'
      jobId: string
      fraction: number
      stage: string
      etaSeconds?: number
      metrics?: Record<string, number>
      point?: HistoryPoint
    }
  | { type: 'finished'; jobId: string; result: JobResults[JobKind] }
  /** retire: the worker's engine is unusable (its wasm heap ran out); end it, start afresh. */
  | { type: 'failed'; jobId: string; error: ContractErrorData; retire?: boolean }
  | { type: 'cancelled'; jobId: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }

/** What a job body reports (the services' hook shape). */
export interface ProgressReport {
  fraction: number
  stage: string
  etaSeconds?: number
  metrics?: Record<string, number>
  point?: HistoryPoint
}

/** Hooks every job body receives: report progress, and stop when `signal` aborts. */
export interface WorkerHooks {
  onProgress(p: ProgressReport): void
  signal: AbortSignal
  log(level: 'info' | 'warn' | 'error', message: string): void
}

/** A job body of kind K: runs in the worker with the project's path, returns plain JSON. */
export type JobRunner<K extends JobKind> = (
  projectPath: string,
  args: JobArgs<K>,
  hooks: WorkerHooks
) => Promise<JobResults[K]>
/** The bodies a worker runs; test workers carry only the kinds they test. */
export type JobRunners = { [K in JobKind]?: JobRunner<K> }
