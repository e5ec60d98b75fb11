/** Defenses: the Table 6.3 comparison (a job) and its result (SPEC §2.6). */
import { requireProject, startJob } from './context'
import { defenseTableResult, requireRun } from './runResults'
import type { Handlers } from './types'

export const defenseHandlers: Handlers<'defenses.table' | 'defenses.result'> = {
  'defenses.table': (args, ctx) =>
    startJob(ctx, 'defense-table', args, `Defense table over ${args.sampleCount ?? 1000} samples`),

  'defenses.result': ({ runId }, ctx) =>
    defenseTableResult(requireRun(requireProject(ctx), runId, 'defense-table'))
}
