/**
 * Reading a run's stored request back, and replaying it: the window's Re-run and
 * `ortholens rerun` both come here, so a run re-runs the same way wherever it started.
 */
import { isRerunnable, JOB_CHANNELS, type JobOf, type RerunnableKind } from '../../contract/jobs'
import { parseArgs, type TrainRequest } from '../../contract/requests'
import {
  getRun,
  listModels,
  RecordNotFoundError,
  type ProjectDb,
  type RunRecord,
  type StoredRun
} from '../store'
import { legacyRequest } from './legacyRuns'

/**
 * The request a run stored (`config.request`, contract/jobs.ts StoredRunConfig), or for a run
 * recorded before requests were stored verbatim, the request rebuilt from its flat config.
 * Not validated: parse it with the job's channel before running it.
 */
export function storedRequest(run: Pick<StoredRun, 'kind' | 'config' | 'id'>): unknown {
  const config = run.config as { request?: unknown; resolved?: unknown }
  if (config.request !== undefined && config.resolved !== undefined) return config.request
  return legacyRequest(run.kind, config as Record<string, unknown>)
}

/** A run to replay: the job (kind and request, validated again) and a label for the queue. */
export type Replay = JobOf<RerunnableKind> & { label: string }

/**
 * The job that replays run `runId` exactly: its stored request, validated against today's
 * contract (a value now out of range is named). A training's new model is named
 * "<name> (re-run)" so it can be told from the original; nothing that changes the numbers is
 * touched, so the same seeds give the same weights.
 */
export function replayOf(project: ProjectDb, runId: number): Replay {
  const run = getRun(project.db, runId)
  if (!run) throw new RecordNotFoundError('run', runId)
  if (!isRerunnable(run.kind)) throw new RangeError(`Runs of kind "${run.kind}" cannot be re-run`)
  const raw = storedRequest(run)
  if (raw === undefined)
    throw new RangeError(`Run ${runId} (${run.kind}) does not record a request to re-run`)
  const label = `Re-run ${run.kind} #${run.id}`
  const kind = run.kind
  if (kind === 'train') {
    const request = parseArgs(JOB_CHANNELS.train, raw)
    return { kind, args: { ...request, name: rerunName(project, run, request) }, label }
  }
  return { kind, args: parseArgs(JOB_CHANNELS[kind], raw), label } as Replay
}

const RERUN_SUFFIX = ' (re-run)'

/** "<name> (re-run)", once; a legacy run's request had no name, so its model's is taken. */
function rerunName(project: ProjectDb, run: RunRecord, request: TrainRequest): string {
  let name = request.name
  if ((run.config as { request?: unknown }).request === undefined) {
    const modelId = (run.results as { modelId?: unknown } | undefined)?.modelId
    name = listModels(project.db).find((m) => m.id === Number(modelId))?.name ?? `Run ${run.id}`
  }
  if (name.endsWith(RERUN_SUFFIX)) return name
  // The contract caps names at 200 characters.
  return name.slice(0, 200 - RERUN_SUFFIX.length) + RERUN_SUFFIX
}
