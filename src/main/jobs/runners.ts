/**
 * Job bodies, one per JobKind: each opens the project file in this worker (its own SQLite
 * connection; WAL lets it write while the main side reads) and calls the kind's service entry
 * point (services/jobServices.ts), the one the command line calls too. Arguments were
 * validated by the IPC layer before queueing and reach the service as they were sent.
 */
import type { JobKind } from '../../contract/jobs'
import { openProject, type ProjectDb } from '../store'
import { JOB_SERVICES, type JobService } from '../services/jobServices'
import type { JobRunner, JobRunners } from './messages'
import { initBackend } from '../engine/backend'

const projects = new Map<string, ProjectDb>()

/**
 * One read-write connection per project file per worker, kept open between jobs so the
 * services' dataset cache stays warm. Exported for the tests, which run job bodies in their
 * own thread and need the connection a job wrote through.
 */
export function workerProject(path: string): ProjectDb {
  let p = projects.get(path)
  if (!p || p.closed) {
    p = openProject(path)
    projects.set(path, p)
  }
  return p
}

/**
 * Marks runs of this thread whose job ended without recording its end (a full disk refused
 * the last write) as interrupted, with their models, as the next open would: only this
 * thread can tell them from runs still going (store/owner.ts), and the worker lives as long
 * as the project is open. Called after a failed job and before each job, so a run stuck by a
 * full disk is cleared once space is freed, without restarting the app. A write refused
 * again (the disk still full) leaves them for the next try.
 */
function reconcileQuietly(p: ProjectDb): void {
  try {
    p.reconcileInterrupted()
  } catch {
    // Still no space (or a lock): the next job, or the next open, tries again.
  }
}

/** Closes this worker's connections (the queue is shutting the worker down). */
export function closeProjects(): void {
  for (const p of projects.values()) if (!p.closed) p.close()
  projects.clear()
}

/**
 * Every body runs after the compute backend is initialised: services that never ask for the
 * backend's name (the ε preview, explanations) would otherwise meet tf's "backend has not yet
 * been initialized" on a fresh worker.
 */
function runner<K extends JobKind>(kind: K): JobRunner<K> {
  return async (path, args, hooks) => {
    await initBackend()
    const service: JobService<K> = JOB_SERVICES[kind]
    const p = workerProject(path)
    reconcileQuietly(p)
    try {
      return await service(p, args, {
        signal: hooks.signal,
        onProgress: (progress) => hooks.onProgress(progress)
      })
    } catch (err) {
      reconcileQuietly(p)
      throw err
    }
  }
}

/** Every kind has its body: the mapped type makes a missing kind a compile error. */
export const jobRunners: { [K in JobKind]: JobRunner<K> } & JobRunners = {
  'import-dataset': runner('import-dataset'),
  train: runner('train'),
  similarity: runner('similarity'),
  'attack-sweep': runner('attack-sweep'),
  'attack-preview': runner('attack-preview'),
  'defense-table': runner('defense-table'),
  explain: runner('explain'),
  'explain-adversarial': runner('explain-adversarial'),
  sanity: runner('sanity'),
  'saliency-pgd': runner('saliency-pgd'),
  'model-import': runner('model-import'),
  'model-export': runner('model-export'),
  'model-inspect': runner('model-inspect'),
  'robustness-evaluation': runner('robustness-evaluation')
}
