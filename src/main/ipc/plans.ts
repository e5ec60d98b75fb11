/**
 * Experiment plans (SPEC §2.12): start one (a job), resume one that was cancelled or cut (a
 * job on the same run), and read a plan's results — also while it runs, from the progress its
 * run keeps.
 */
import { ContractError } from '../../contract/errors'
import { lambdaText } from '../services/plans/spec'
import { planResult } from '../services/plans/table'
import { requireUsable } from '../services/modelRoles'
import { getRun, listModels } from '../store'
import { requireProject, startJob } from './context'
import { requireRun } from './runResults'
import type { Handlers } from './types'

export const planHandlers: Handlers<'plans.run' | 'plans.resume' | 'plans.result'> = {
  'plans.run': (args, ctx) => {
    const project = requireProject(ctx)
    if (args.referenceId !== undefined) {
      // Refused before anything is queued, with the reason (a collapsed model, say).
      try {
        requireUsable(project, args.referenceId, 'reference')
      } catch (err) {
        if (err instanceof RangeError)
          throw new ContractError('invalid-args', err.message, 'referenceId')
        throw err
      }
    }
    const models = args.architectures.length * args.lambdas.length * args.seeds
    const label = `Plan "${args.name ?? 'Plan'}": λ ${args.lambdas.map(lambdaText).join(', ')} × ${args.seeds} seed(s), ${models} models`
    return startJob(ctx, 'plan', args, label)
  },

  'plans.resume': ({ planRunId }, ctx) => {
    const project = requireProject(ctx)
    const run = requireRun(project, planRunId, 'plan')
    if (run.status === 'done')
      throw new ContractError(
        'invalid-args',
        `Plan run ${planRunId} is already complete`,
        'planRunId'
      )
    if (run.status === 'running' && !project.reconcileInterrupted().includes(planRunId))
      throw new ContractError('busy', `Plan run ${planRunId} is still running`)
    return startJob(ctx, 'plan-resume', { planRunId }, `Resume plan run #${planRunId}`)
  },

  'plans.result': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    const run = getRun(project.db, runId)
    if (!run || run.kind !== 'plan')
      throw new ContractError('not-found', `No plan run with id ${runId}`)
    try {
      return planResult(run, listModels(project.db))
    } catch (err) {
      if (err instanceof RangeError) throw new ContractError('invalid-args', err.message, 'runId')
      throw err
    }
  }
}
