/** Models: list, history, training and similarity (jobs), TF.js import/export (SPEC §2.3–2.4). */
import { ContractError } from '../../contract/errors'
import { listDatasets, listModelHistory, listModels, type ProjectDb } from '../store'
import { importedModelName } from '../services/modelFiles'
import { requireJobs, requireProject, runAndWait } from './context'
import { toModelSummary } from './mappers'
import type { Handlers } from './types'

/** Every model as the window shows it, with the validation images its accuracy rests on. */
function modelSummaries(project: ProjectDb) {
  const validation = new Map(listDatasets(project.db).map((d) => [d.id, d.validationCount]))
  return listModels(project.db).map((m) =>
    toModelSummary(m, m.datasetId !== null ? validation.get(m.datasetId) : undefined)
  )
}

export const modelHandlers: Handlers<
  | 'models.list'
  | 'models.history'
  | 'models.train'
  | 'models.similarity'
  | 'models.import'
  | 'models.export'
> = {
  'models.list': (_args, ctx) => modelSummaries(requireProject(ctx)),

  'models.history': ({ modelId }, ctx) =>
    listModelHistory(requireProject(ctx).db, modelId).map((h) => ({
      epoch: h.epoch,
      loss: h.trainLoss,
      accuracy: h.trainAccuracy,
      valAccuracy: h.valAccuracy,
      delta: h.delta
    })),

  // The contract has checked the request (a reference when λ > 0); the job stores it as sent.
  'models.train': (args, ctx) => {
    const lambda = args.lambda ?? 0
    const kind = lambda > 0 ? `orthogonal, λ = ${lambda}` : 'ordinary'
    return requireJobs(ctx).enqueue('train', args, `Train "${args.name}" (${kind})`)
  },

  'models.similarity': (args, ctx) =>
    requireJobs(ctx).enqueue('similarity', args, 'Similarity δ report'),

  'models.import': async (args, ctx) => {
    const project = requireProject(ctx)
    const path = ctx.session.requirePicked(args.path)
    // The request goes on as sent but for the path, made absolute; the service names the model.
    const r = await runAndWait(
      ctx,
      'model-import',
      { ...args, path },
      `Import model ${args.name ?? importedModelName(path)}`
    )
    const m = listModels(project.db).find((x) => x.id === r.modelId)
    if (!m)
      throw new ContractError('internal', `The imported model ${r.modelId} is not in the project`)
    return modelSummaries(project).find((x) => x.id === m.id)!
  },

  'models.export': async (args, ctx) => {
    requireProject(ctx)
    const path = ctx.session.requirePicked(args.path)
    const r = await runAndWait(
      ctx,
      'model-export',
      { ...args, path },
      `Export model #${args.modelId}`
    )
    return { files: r.files }
  }
}
