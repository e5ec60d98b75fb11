/** Models: list, history, training and similarity (jobs), TF.js import/export (SPEC §2.3–2.4). */
import { ContractError } from '../../contract/errors'
import { listModelHistory, listModels } from '../store'
import { dbId, requireJobs, requireProject } from './context'
import { toModelSummary } from './mappers'
import type { Handlers } from './types'

export const modelHandlers: Handlers<
  'models.list' | 'models.history' | 'models.train' | 'models.similarity' | 'models.import' | 'models.export'
> = {
  'models.list': (_args, ctx) => listModels(requireProject(ctx).db).map(toModelSummary),

  'models.history': ({ modelId }, ctx) =>
    listModelHistory(requireProject(ctx).db, dbId(modelId, 'model')).map((h) => ({
      epoch: h.epoch,
      loss: h.trainLoss,
      accuracy: h.trainAccuracy,
      valAccuracy: h.valAccuracy,
      delta: h.delta
    })),

  'models.train': (args, ctx) => {
    const jobs = requireJobs(ctx)
    if (args.lambda > 0 && !args.referenceId) {
      throw new ContractError('invalid-args', 'Orthogonal training (λ > 0) needs a reference model', 'referenceId')
    }
    const kind = args.lambda > 0 ? `orthogonal, λ = ${args.lambda}` : 'ordinary'
    return jobs.enqueue('train', args, `Train "${args.name}" (${kind})`)
  },

  'models.similarity': (args, ctx) => requireJobs(ctx).enqueue('similarity', args, 'Similarity δ report'),

  'models.import': (args, ctx) => {
    requireProject(ctx)
    ctx.session.requirePicked(args.path)
    throw new ContractError('not-available-yet', 'Importing TensorFlow.js models is not available in this build yet')
  },

  'models.export': (args, ctx) => {
    requireProject(ctx)
    ctx.session.requirePicked(args.path)
    throw new ContractError('not-available-yet', 'Exporting TensorFlow.js models is not available in this build yet')
  }
}
