/** The robustness evaluation (SPEC §2.10): a job, and its stored result with the verdicts. */
import { ContractError } from '../../contract/errors'
import { evaluationView } from '../services/evaluation/view'
import { requireProject, startJob } from './context'
import { requireRun } from './runResults'
import { datasetName, modelList } from './jobLabels'
import type { Handlers } from './types'

export const evaluationHandlers: Handlers<'evaluation.run' | 'evaluation.result'> = {
  'evaluation.run': (args, ctx) => {
    const project = requireProject(ctx)
    const label = `Robustness evaluation of ${modelList(project, args.modelIds)} over ${args.sampleCount ?? 1000} images of ${datasetName(project, args.datasetId)}`
    return startJob(ctx, 'robustness-evaluation', args, label)
  },

  'evaluation.result': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    const run = requireRun(project, runId, 'robustness-evaluation')
    if (run.status === 'running') throw new ContractError('busy', `Run ${runId} is still running`)
    if (run.status !== 'done')
      throw new ContractError('not-found', `Run ${runId} has no results (${run.status})`)
    return evaluationView(project, run)
  }
}
