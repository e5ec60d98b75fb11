/** Attacks: ε sweeps over the transfer protocol (a job), results, gallery, live preview (SPEC §2.5). */
import { ContractError } from '../../contract/errors'
import type { GalleryItem } from '../../contract/entities'
import { getDatasetSummary } from '../store'
import { dbId, requireJobs, requireProject } from './context'
import { attackSweepResult, galleryOf, requireRun } from './runResults'
import type { Handlers } from './types'

export const attackHandlers: Handlers<'attacks.sweep' | 'attacks.result' | 'attacks.gallery' | 'attacks.preview'> = {
  'attacks.sweep': (args, ctx) => {
    const jobs = requireJobs(ctx)
    if (args.targetIds.includes(args.sourceId)) {
      throw new ContractError('invalid-args', 'The source is always evaluated; do not list it among the targets', 'targetIds')
    }
    const label = `${args.attacks.map((a) => a.toUpperCase()).join(', ')} sweep over ${args.epsilons.length} ε`
    return jobs.enqueue('attack-sweep', args, label)
  },

  'attacks.result': ({ runId }, ctx) => attackSweepResult(requireRun(requireProject(ctx), runId, 'attack-sweep')),

  'attacks.gallery': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    const run = requireRun(project, runId)
    const ds = run.datasetId === null ? undefined : getDatasetSummary(project.db, run.datasetId)
    return galleryOf(project, run, ds?.classNames ?? [])
  },

  'attacks.preview': async (args, ctx) => {
    const jobs = requireJobs(ctx)
    dbId(args.sourceId, 'model')
    try {
      return (await jobs.run('attack-preview', args, `Preview ${args.attack} at ε = ${args.epsilon}`)) as GalleryItem
    } catch (err) {
      const e = err as { code?: string; message?: string; detail?: string }
      if (e && typeof e.code === 'string') throw new ContractError(e.code as never, e.message ?? 'failed', e.detail)
      throw err
    }
  }
}
