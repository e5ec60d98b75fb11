/** Results: every run, filter, re-run with the exact configuration, exports (SPEC §2.8). */
import { writeFileSync } from 'node:fs'
import { ContractError } from '../../contract/errors'
import { parseArgs, type Channel } from '../../contract/requests'
import type { JobKind } from '../../contract/entities'
import { listModels, listRuns, type ProjectDb, type RunRecord, type RunStatus } from '../store'
import { dbId, requireJobs, requireProject } from './context'
import { writeReport } from '../services/report'
import { toRunSummary } from './mappers'
import { requireRun, runCsv } from './runResults'
import type { Handlers } from './types'

/** Run kinds that can be re-run, with the channel whose args their stored request must satisfy. */
const RERUNNABLE: Record<string, { kind: JobKind; channel: Channel }> = {
  train: { kind: 'train', channel: 'models.train' },
  'attack-sweep': { kind: 'attack-sweep', channel: 'attacks.sweep' },
  'defense-table': { kind: 'defense-table', channel: 'defenses.table' },
  similarity: { kind: 'similarity', channel: 'models.similarity' }
}

/**
 * Training and similarity runs store their resolved service configuration, not the contract
 * request; every field of the request is in it, so the request is rebuilt from it. Everything
 * else the run used (batch size, learning rate, seed …) is carried over, so the re-run is exact.
 */
function requestFromConfig(project: ProjectDb, run: RunRecord): unknown {
  const c = run.config as Record<string, unknown>
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))
  if (run.kind === 'train' && c.arch !== undefined) {
    const modelId = (run.results as { modelId?: unknown } | undefined)?.modelId
    const name = listModels(project.db).find((m) => m.id === Number(modelId))?.name
    return {
      name: name ? `${name} (re-run)` : `Re-run of run ${run.id}`,
      datasetId: str(c.datasetId),
      architecture: c.arch,
      referenceId: str(c.referenceModelId),
      lambda: c.lambda,
      penaltyForm: c.penalty,
      epochs: c.epochs,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      validateEvery: c.evalEvery,
      ...(typeof c.trainSamples === 'number' && c.trainSamples > 0 ? { trainLimit: c.trainSamples } : {}),
      ...(typeof c.valSamples === 'number' && c.valSamples > 0 ? { valLimit: c.valSamples } : {}),
      seed: c.seed
    }
  }
  if (run.kind === 'similarity' && c.modelA !== undefined) {
    return { a: str(c.modelA), b: str(c.modelB), datasetId: str(c.datasetId), ...(c.samples ? { limit: c.samples } : {}) }
  }
  return undefined
}

export const resultHandlers: Handlers<
  'results.list' | 'results.get' | 'results.rerun' | 'results.exportCsv' | 'results.exportReport'
> = {
  'results.list': ({ kind, status, text }, ctx) =>
    listRuns(requireProject(ctx).db, { kind, status: status as RunStatus | undefined, search: text }).map(toRunSummary),

  'results.get': ({ runId }, ctx) => toRunSummary(requireRun(requireProject(ctx), runId)),

  'results.rerun': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    const run = requireRun(project, runId)
    const how = RERUNNABLE[run.kind]
    // The job records the contract request it ran under `request`; re-running validates it again.
    const request = (run.config as { request?: unknown }).request ?? requestFromConfig(project, run)
    if (!how || request === undefined) {
      throw new ContractError('not-available-yet', `Runs of kind "${run.kind}" cannot be re-run from the window yet`)
    }
    const args = parseArgs(how.channel, request)
    return requireJobs(ctx).enqueue(how.kind, args, `Re-run ${run.kind} #${run.id}`)
  },

  'results.exportCsv': ({ runId, path }, ctx) => {
    const target = ctx.session.requirePicked(path)
    writeFileSync(target, runCsv(requireRun(requireProject(ctx), runId)))
    return { path: target }
  },

  'results.exportReport': ({ path, runIds }, ctx) => {
    const project = requireProject(ctx)
    const target = ctx.session.requirePicked(path)
    const runs = runIds?.map((r) => dbId(r, 'run'))
    try {
      // The service adds the project's latest explanation studies as their own section.
      writeReport(project, target, runs ? { runIds: runs } : {})
    } catch (err) {
      if (err instanceof RangeError) throw new ContractError('invalid-args', err.message, 'runIds')
      throw err
    }
    return { path: target }
  }
}
