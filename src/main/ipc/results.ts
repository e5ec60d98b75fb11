/** Results: every run, filter, re-run with the exact request, exports (SPEC §2.8). */
import { ContractError } from '../../contract/errors'
import type { RunStatus } from '../../contract/entities'
import { listModels, listRuns } from '../store'
import { writeReport } from '../services/report'
import { replayOf, type Replay } from '../services/runs'
import { checkExportFile, writeExportFile } from '../services/exportFiles'
import { requireFits, requireJobs, requireProject } from './context'
import { toRunSummary } from './mappers'
import { requireRun, runCsv } from './runResults'
import type { Handlers } from './types'

export const resultHandlers: Handlers<
  'results.list' | 'results.get' | 'results.rerun' | 'results.exportCsv' | 'results.exportReport'
> = {
  'results.list': ({ kind, status, text }, ctx) =>
    listRuns(requireProject(ctx).db, {
      kind,
      status: status as RunStatus | undefined,
      search: text
    }).map(toRunSummary),

  'results.get': ({ runId }, ctx) => toRunSummary(requireRun(requireProject(ctx), runId)),

  // The same replay as `ortholens rerun`: the stored request, validated again, as a new job.
  'results.rerun': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    requireRun(project, runId)
    let replay: Replay
    try {
      replay = replayOf(project, runId)
    } catch (err) {
      if (err instanceof RangeError)
        throw new ContractError('not-available-yet', err.message, 'runId')
      throw err
    }
    // A model renamed or re-imported since may no longer fit the run's dataset.
    requireFits(ctx, replay.args)
    return requireJobs(ctx).enqueueJob(replay, replay.label)
  },

  'results.exportCsv': ({ runId, path }, ctx) => {
    const target = ctx.session.requirePicked(path)
    checkExportFile(target)
    const project = requireProject(ctx)
    writeExportFile(target, runCsv(requireRun(project, runId), listModels(project.db)))
    return { path: target }
  },

  'results.exportReport': ({ path, runIds }, ctx) => {
    const project = requireProject(ctx)
    const target = ctx.session.requirePicked(path)
    checkExportFile(target)
    try {
      // The service adds the project's latest explanation studies as their own section.
      writeReport(project, target, runIds ? { runIds } : {})
    } catch (err) {
      if (err instanceof RangeError) throw new ContractError('invalid-args', err.message, 'runIds')
      throw err
    }
    return { path: target }
  }
}
