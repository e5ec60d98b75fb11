/** Models: list, history, training and similarity (jobs), TF.js import/export (SPEC §2.3–2.4). */
import { basename, dirname } from 'node:path'
import { ContractError, type ContractErrorData } from '../../contract/errors'
import type { JobKind } from '../../contract/entities'
import { listModelHistory, listModels } from '../store'
import { dbId, requireJobs, requireProject, type HandlerContext } from './context'
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

  'models.import': async (args, ctx) => {
    const project = requireProject(ctx)
    const path = ctx.session.requirePicked(args.path)
    const name = args.name ?? (basename(path) === 'model.json' ? basename(dirname(path)) : basename(path))
    const r = (await runJob(ctx, 'model-import', { path, name, datasetId: args.datasetId }, `Import model ${name}`)) as {
      modelId: string
    }
    const m = listModels(project.db).find((x) => String(x.id) === r.modelId)
    if (!m) throw new ContractError('internal', `The imported model ${r.modelId} is not in the project`)
    return toModelSummary(m)
  },

  'models.export': async (args, ctx) => {
    requireProject(ctx)
    const path = ctx.session.requirePicked(args.path)
    dbId(args.modelId, 'model')
    const r = (await runJob(ctx, 'model-export', { modelId: args.modelId, path }, `Export model #${args.modelId}`)) as {
      files: string[]
    }
    return { files: r.files }
  }
}

/** Runs a job and waits for it, turning its failure back into a ContractError for the caller. */
async function runJob(ctx: HandlerContext, kind: JobKind, args: unknown, label: string): Promise<unknown> {
  try {
    return await requireJobs(ctx).run(kind, args, label)
  } catch (err) {
    const e = err as Partial<ContractErrorData>
    if (e && typeof e.code === 'string') throw new ContractError(e.code, e.message ?? 'failed', e.detail)
    throw err
  }
}
