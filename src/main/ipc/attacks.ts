/** Attacks: ε sweeps over the transfer protocol (a job), results, gallery, live preview (SPEC §2.5). */
import { galleryView } from '../services/audits/gallery'
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

  'attacks.result': ({ runId }, ctx) =>
    attackSweepResult(requireRun(requireProject(ctx), runId, 'attack-sweep')),

  'attacks.gallery': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    return galleryView(project, requireRun(project, runId).id)
  },

  'attacks.preview': (args, ctx) =>
    runAndWait(ctx, 'attack-preview', args, `Preview ${attackLabel(args.attack)} at ε = ${epsilonPercent(args.epsilon)}`)
}
