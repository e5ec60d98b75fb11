/**
 * The worker side of the job protocol, independent of which job bodies it runs: the product
 * worker (worker.ts) passes the real runners; tests pass their own to prove the protocol.
 */
import { parentPort } from 'node:worker_threads'
import { ContractError } from '../../contract/errors'
import type { JobKind, JobOf, JobResults } from '../../contract/jobs'
import type {
  FromWorker,
  WorkerHooks,
  JobRunner,
  JobRunners,
  ProgressReport,
  ToWorker
} from './messages'
import { HEAP_EXHAUSTED } from '../engine/wasmHeap'
import { logIfInternal, toErrorData } from './errorData'

/** Progress messages are throttled to this interval unless they carry a curve point. */
const PROGRESS_INTERVAL_MS = 80

/** Re-exported: the IPC registry and the tests take the mapping from here. */
export { toErrorData } from './errorData'

/** Runs a start message's job with the body of its kind (`kind` and `args` travel together). */
function runJob<K extends JobKind>(
  runners: JobRunners,
  m: { projectPath: string } & JobOf<K>,
  hooks: WorkerHooks
): Promise<JobResults[K]> {
  const runner: JobRunner<K> | undefined = runners[m.kind]
  if (!runner)
    throw new ContractError('not-available-yet', `This build cannot run "${m.kind}" jobs yet`)
  return runner(m.projectPath, m.args, hooks)
}

/** Starts answering the queue on `parentPort`. */
export function runWorkerLoop(runners: JobRunners, onShutdown?: () => void): void {
  const port = parentPort
  if (!port) throw new Error('runWorkerLoop must run inside a worker_threads Worker')
  const controllers = new Map<string, AbortController>()
  const send = (m: FromWorker): void => port.postMessage(m)

  async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
    const controller = new AbortController()
    controllers.set(m.jobId, controller)
    let last = 0
    const onProgress = (p: ProgressReport): void => {
      const now = Date.now()
      if (!p.point && p.fraction < 1 && now - last < PROGRESS_INTERVAL_MS) return
      last = now
      send({ type: 'progress', jobId: m.jobId, ...p })
    }
    try {
      const result = await runJob(runners, m, {
        onProgress,
        signal: controller.signal,
        log: (level, message) => send({ type: 'log', level, message })
      })
      if (controller.signal.aborted) send({ type: 'cancelled', jobId: m.jobId })
      else send({ type: 'finished', jobId: m.jobId, result })
    } catch (err) {
      // The step that ran out of memory left its tensors on the engine's tape: this thread's
      // heap stays full, so the queue is asked to end it and start a fresh one.
      const retire = err instanceof Error && err.message.includes(HEAP_EXHAUSTED)
      if (controller.signal.aborted) send({ type: 'cancelled', jobId: m.jobId })
      else {
        const error = toErrorData(err)
        logIfInternal(err, error, `the ${m.kind} job`)
        send({ type: 'failed', jobId: m.jobId, error, ...(retire ? { retire } : {}) })
      }
    } finally {
      controllers.delete(m.jobId)
    }
  }

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'start':
        void start(m)
        return
      case 'cancel':
        controllers.get(m.jobId)?.abort()
        return
      case 'shutdown':
        for (const c of controllers.values()) c.abort()
        onShutdown?.()
        port.close()
        return
      default:
        throw new Error(
          `job worker: unknown message type ${JSON.stringify((m as { type?: unknown }).type)}`
        )
    }
  })
  send({ type: 'ready' })
}
