/**
 * Explanations (SPEC §2.7): side-by-side maps (Figure 6.3), an adversarial image next to its
 * original, the Grad-CAM vs CAMERAS sanity study and saliency-enhanced vs vanilla PGD. Each
 * study is a job (the worker computes and stores a run); the views read the run back.
 */
import { ContractError } from '../../contract/errors'
import { requireProject, startJob } from './context'
import {
  adversarialView,
  explainGridView,
  explanationPng,
  saliencyPgdView,
  sanityView
} from './explainViews'
import { requireRun } from './runResults'
import { checkExportFile, writeExportFile } from '../services/exportFiles'
import { getDatasetSummary } from '../store'
import { datasetName, modelList } from './jobLabels'
import type { Handlers } from './types'
import { attackLabel, epsilonPercent } from '../../contract/words'

export const explainHandlers: Handlers<
  | 'explain.samples'
  | 'explain.adversarial'
  | 'explain.sanity'
  | 'explain.saliencyPgd'
  | 'explain.samplesResult'
  | 'explain.adversarialResult'
  | 'explain.sanityResult'
  | 'explain.saliencyPgdResult'
  | 'explain.exportPng'
> = {
  'explain.samples': (args, ctx) =>
    startJob(
      ctx,
      'explain',
      args,
      `Explain ${args.sampleIndices?.length ?? args.count ?? 4} image(s) of ${datasetName(requireProject(ctx), args.datasetId)} for ${modelList(requireProject(ctx), args.modelIds)}`
    ),

  'explain.adversarial': (args, ctx) =>
    startJob(
      ctx,
      'explain-adversarial',
      args,
      `Explain image #${args.sampleIndex} of ${datasetName(requireProject(ctx), args.datasetId)} on ${modelList(requireProject(ctx), [args.modelId])} under ${attackLabel(args.attack ?? 'pgd')}, ε = ${epsilonPercent(args.epsilon ?? 12 / 255)}`
    ),

  'explain.sanity': (args, ctx) =>
    startJob(
      ctx,
      'sanity',
      args,
      `Sanity scores of Grad-CAM and CAMERAS over ${args.count ?? 100} image(s) of ${datasetName(requireProject(ctx), args.datasetId)} on ${modelList(requireProject(ctx), [args.modelId])}`
    ),

  'explain.saliencyPgd': (args, ctx) =>
    startJob(
      ctx,
      'saliency-pgd',
      args,
      `PGD vs saliency-enhanced PGD at ε = ${epsilonPercent(args.epsilon ?? 12 / 255)} over ${args.count ?? 100} image(s) of ${datasetName(requireProject(ctx), args.datasetId)}, crafted on ${modelList(requireProject(ctx), [args.sourceId])}`
    ),

  'explain.samplesResult': ({ runId }, ctx) =>
    explainGridView(requireRun(requireProject(ctx), runId)),
  'explain.adversarialResult': ({ runId }, ctx) =>
    adversarialView(requireRun(requireProject(ctx), runId)),
  'explain.sanityResult': ({ runId }, ctx) => sanityView(requireRun(requireProject(ctx), runId)),
  'explain.saliencyPgdResult': ({ runId }, ctx) =>
    saliencyPgdView(requireRun(requireProject(ctx), runId)),

  'explain.exportPng': ({ runId, path, scale }, ctx) => {
    const target = ctx.session.requirePicked(path)
    const project = requireProject(ctx)
    const run = requireRun(project, runId)
    if (run.kind !== 'explain' && run.kind !== 'explain-adversarial') {
      throw new ContractError(
        'invalid-args',
        `Run ${runId} is a ${run.kind} run: only explanation maps export as PNG`,
        'runId'
      )
    }
    checkExportFile(target)
    const datasetName =
      run.datasetId !== null ? (getDatasetSummary(project.db, run.datasetId)?.name ?? null) : null
    const picture = explanationPng(run, datasetName, scale)
    writeExportFile(target, picture.png)
    return { path: target, files: [target], width: picture.width, height: picture.height }
  }
}
