/** Results: every run, filter, re-run with the exact configuration, exports (SPEC §2.8). */
import { writeFileSync } from 'node:fs'
import { ContractError } from '../../contract/errors'
import { parseArgs, type Channel } from '../../contract/requests'
import type { JobKind } from '../../contract/entities'
import { listRuns, type RunStatus } from '../store'
import { requireJobs, requireProject } from './context'
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

export const resultHandlers: Handlers<
  'results.list' | 'results.get' | 'results.rerun' | 'results.exportCsv' | 'results.exportReport'
> = {
  'results.list': ({ kind, status, text }, ctx) =>
    listRuns(requireProject(ctx).db, { kind, status: status as RunStatus | undefined, search: text }).map(toRunSummary),

  'results.get': ({ runId }, ctx) => toRunSummary(requireRun(requireProject(ctx), runId)),

  'results.rerun': ({ runId }, ctx) => {
    const run = requireRun(requireProject(ctx), runId)
    const how = RERUNNABLE[run.kind]
    // The job records the contract request it ran under `request`; re-running validates it again.
    const request = (run.config as { request?: unknown }).request
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

  'results.exportReport': ({ path }, ctx) => {
    requireProject(ctx)
    ctx.session.requirePicked(path)
    throw new ContractError('not-available-yet', 'The HTML audit report is not available in this build yet')
  }
}
