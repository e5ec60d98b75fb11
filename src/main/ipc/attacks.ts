/** Attacks: ε sweeps over the transfer protocol (a job), results, gallery, live preview (SPEC §2.5). */
import { galleryView } from '../services/audits/gallery'
import { requireProject, runAndWait, startJob } from './context'
import { attackSweepResult, requireRun } from './runResults'
import type { Handlers } from './types'

export const attackHandlers: Handlers<
  'attacks.sweep' | 'attacks.result' | 'attacks.gallery' | 'attacks.preview'
> = {
  'attacks.sweep': (args, ctx) => {
    const attacks = args.attacks
      ? args.attacks.map((a) => a.toUpperCase()).join(', ')
      : 'The thesis’ attacks'
    const label = `${attacks} sweep over ${args.epsilons?.length ?? 'the default'} ε`
    return startJob(ctx, 'attack-sweep', args, label)
  },

  'attacks.result': ({ runId }, ctx) =>
    attackSweepResult(requireRun(requireProject(ctx), runId, 'attack-sweep')),

  'attacks.gallery': ({ runId }, ctx) => {
    const project = requireProject(ctx)
    return galleryView(project, requireRun(project, runId).id)
  },

  'attacks.preview': (args, ctx) =>
    runAndWait(ctx, 'attack-preview', args, `Preview ${args.attack} at ε = ${args.epsilon}`)
}
