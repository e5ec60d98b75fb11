/**
 * Models: list, history, training and similarity (jobs); import of ONNX and TF.js Layers files
 * with an accuracy check, reading a file for the import form, export to ONNX or TF.js (SPEC
 * §2.3–2.4, §2.11).
 */
import { ContractError } from '../../contract/errors'
import { listDatasets, listModelHistory, listModels, type ProjectDb } from '../store'
import { importedModelName } from '../services/modelFileRead'
import { requireUsable } from '../services/modelRoles'
import { requireProject, runAndWait, startJob } from './context'
import { toModelSummary } from './mappers'
import { datasetName, modelList } from './jobLabels'
import { architectureLabel } from '../../contract/words'
import type { Handlers } from './types'

/** Every model as the window lists it, with the datasets it fits. */
function modelSummaries(project: ProjectDb) {
  const datasets = listDatasets(project.db)
  const models = listModels(project.db)
  return models.map((m) => toModelSummary(m, datasets, models))
}

export const modelHandlers: Handlers<
  | 'models.list'
  | 'models.history'
  | 'models.train'
  | 'models.similarity'
  | 'models.import'
  | 'models.export'
  | 'models.inspect'
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
    if (args.referenceId !== undefined) {
      // A collapsed (or unfinished) reference is refused before anything is queued.
      try {
        requireUsable(requireProject(ctx), args.referenceId, 'reference')
      } catch (err) {
        if (err instanceof RangeError)
          throw new ContractError('invalid-args', err.message, 'referenceId')
        throw err
      }
    }
    const lambda = args.lambda ?? 0
    const project = requireProject(ctx)
    const kind =
      lambda > 0
        ? `orthogonal to ${modelList(project, [args.referenceId!])}, λ = ${lambda}`
        : 'ordinary'
    return startJob(
      ctx,
      'train',
      args,
      `Train “${args.name}” (${architectureLabel(args.architecture)}, ${kind}) on ${datasetName(project, args.datasetId)}`
    )
  },

  'models.similarity': (args, ctx) => {
    const project = requireProject(ctx)
    return startJob(
      ctx,
      'similarity',
      args,
      `Similarity δ of ${modelList(project, [args.modelA, args.modelB])} (${datasetName(project, args.datasetId)})`
    )
  },

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
    const model = modelSummaries(project).find((x) => x.id === r.modelId)
    if (!model)
      throw new ContractError('internal', `The imported model ${r.modelId} is not in the project`)
    return { model, warnings: r.warnings, evaluation: r.evaluation }
  },

  'models.inspect': (args, ctx) => {
    requireProject(ctx)
    const path = ctx.session.requirePicked(args.path)
    return runAndWait(ctx, 'model-inspect', { path }, `Read ${importedModelName(path)}`)
  },

  'models.export': async (args, ctx) => {
    requireProject(ctx)
    const path = ctx.session.requirePicked(args.path)
    const r = await runAndWait(
      ctx,
      'model-export',
      { ...args, path },
      `Export model #${args.modelId}${args.format === 'onnx' ? ' to ONNX' : ''}`
    )
    return { files: r.files }
  }
}
