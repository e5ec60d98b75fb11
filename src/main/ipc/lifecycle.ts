/** Renaming and deleting datasets, models and runs (services/lifecycle.ts holds the rules). */
import { ContractError } from '../../contract/errors'
import type { Dependents, EntityKind } from '../../contract/entities'
import {
  deleteEntity,
  idsInRequest,
  planDeletion,
  renameEntity,
  type EntityRef
} from '../services/lifecycle'
import { requireProject, type HandlerContext } from './context'
import type { Handlers } from './types'

/**
 * Blockers the store cannot see: jobs queued or running in this window that name one of the
 * ids (a sweep waiting for its turn would otherwise start on a deleted model).
 */
function queuedJobsOn(ctx: HandlerContext) {
  return (set: { datasetIds: number[]; modelIds: number[] }): string[] =>
    (ctx.session.jobs?.active() ?? [])
      .filter(({ job }) => {
        const named = idsInRequest(job.args)
        return (
          named.models.some((id) => set.modelIds.includes(id)) ||
          named.datasets.some((id) => set.datasetIds.includes(id))
        )
      })
      .map(({ info }) => `"${info.label}" is ${info.status} on it; wait for it or cancel it first.`)
}

function dependents(ctx: HandlerContext, target: EntityRef): Dependents {
  return planDeletion(requireProject(ctx), target, queuedJobsOn(ctx)).dependents
}

function remove(ctx: HandlerContext, kind: EntityKind, id: number, withDependents?: boolean) {
  const project = requireProject(ctx)
  const result = deleteEntity(project, { kind, id }, { withDependents, busy: queuedJobsOn(ctx) })
  if (result.datasets + result.models + result.runs === 0)
    throw new ContractError('not-found', `No ${kind} with id ${id}`)
  return result
}

export const lifecycleHandlers: Handlers<
  | 'datasets.rename'
  | 'datasets.dependents'
  | 'datasets.delete'
  | 'models.rename'
  | 'models.dependents'
  | 'models.delete'
  | 'results.dependents'
  | 'results.delete'
> = {
  'datasets.rename': ({ datasetId, name }, ctx) =>
    renameEntity(requireProject(ctx), { kind: 'dataset', id: datasetId }, name),
  'datasets.dependents': ({ datasetId }, ctx) =>
    dependents(ctx, { kind: 'dataset', id: datasetId }),
  'datasets.delete': ({ datasetId, withDependents }, ctx) =>
    remove(ctx, 'dataset', datasetId, withDependents),

  'models.rename': ({ modelId, name }, ctx) =>
    renameEntity(requireProject(ctx), { kind: 'model', id: modelId }, name),
  'models.dependents': ({ modelId }, ctx) => dependents(ctx, { kind: 'model', id: modelId }),
  'models.delete': ({ modelId, withDependents }, ctx) =>
    remove(ctx, 'model', modelId, withDependents),

  'results.dependents': ({ runId }, ctx) => dependents(ctx, { kind: 'run', id: runId }),
  'results.delete': ({ runId, withDependents }, ctx) => remove(ctx, 'run', runId, withDependents)
}
