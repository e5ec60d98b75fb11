/** Attacks: ε sweeps over the transfer protocol (a job), results, gallery, live preview (SPEC §2.5). */
import { galleryView } from '../services/audits/gallery'
import { kindOf, orthogonalTo } from '../services/modelRoles'
import { listModels } from '../store'
import { requireProject, runAndWait, startJob } from './context'
import { attackSweepResult, requireRun } from './runResults'
import { attackList, datasetName, epsilonList, modelList } from './jobLabels'
import type { Handlers } from './types'
import { attackLabel, epsilonPercent } from '../../contract/words'

export const attackHandlers: Handlers<
  'attacks.sweep' | 'attacks.result' | 'attacks.gallery' | 'attacks.preview'
> = {
  'attacks.sweep': (args, ctx) => {
    const project = requireProject(ctx)
    const label =
      `Attack sweep: ${attackList(args.attacks)} at ${epsilonList(args.epsilons)}, crafted on ` +
      `${modelList(project, [args.sourceId])}, tested on ${modelList(project, args.targetIds ?? [])} (${datasetName(project, args.datasetId)})`
    return startJob(ctx, 'attack-sweep', args, label)
  },

  // Roles from each model's lineage as it stands (sweeps stored before that labelled an
  // orthogonal target 'ordinary' when the source was not its reference).
  'attacks.result': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    const result = attackSweepResult(requireRun(project, runId, 'attack-sweep'))
    const models = new Map(listModels(project.db).map((m) => [m.id, m]))
    const source = result.curves.find((c) => c.role === 'source')?.modelId ?? -1
    return {
      ...result,
      curves: result.curves.map((c) => {
        const m = models.get(c.modelId)
        return m
          ? {
              ...c,
              kind: kindOf(m, source),
              orthogonalTo: c.role === 'source' ? null : orthogonalTo(m)
            }
          : c
      })
    }
  },

  'attacks.gallery': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    return galleryView(project, requireRun(project, runId).id)
  },

  'attacks.preview': (args, ctx) =>
    runAndWait(
      ctx,
      'attack-preview',
      args,
      `Preview ${attackLabel(args.attack)} at ε = ${epsilonPercent(args.epsilon)}`
    )
}
