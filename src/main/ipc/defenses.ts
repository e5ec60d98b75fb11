/** Defenses: the Table 6.3 comparison (a job) and its result (SPEC §2.6). */
import { requireProject, startJob } from './context'
import { defenseTableResult, requireRun, runDatasetName } from './runResults'
import { datasetName, modelList } from './jobLabels'
import type { Handlers } from './types'

export const defenseHandlers: Handlers<'defenses.table' | 'defenses.result'> = {
  'defenses.table': (args, ctx) => {
    const project = requireProject(ctx)
    const models = modelList(project, [args.sourceId, args.ordinaryId, args.orthogonalId])
    return startJob(
      ctx,
      'defense-table',
      args,
      `Defense table over ${args.sampleCount ?? 1000} images: ${models} (${datasetName(project, args.datasetId)})`
    )
  },

  'defenses.result': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    const run = requireRun(project, runId, 'defense-table')
    return defenseTableResult(run, runDatasetName(project, run))
  }
}
