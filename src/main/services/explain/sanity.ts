/**
 * The sanity study (thesis §5.7): how well Grad-CAM and CAMERAS rank the pixels a model relies
 * on, scored from the probability-vs-pixels-removed curve (in [0, 1], lower is saner), per
 * image and on average. Stored as a 'sanity' run.
 */
import type { StoredRunConfig } from '../../../contract/jobs'
import type { SaliencyMethodName } from '../../../contract/names'
import type { SanityRequest } from '../../../contract/requests'
import { backendInfo } from '../../engine/backend'
import { toFloatBatch } from '../../engine/data/batches'
import { cameras, gradCam, sanityScores } from '../../engine/saliency'
import { SaliencyError } from '../../engine/saliency/errors'
import { tf, type Tensor3D, type Tensor4D } from '../../engine/tf'
import type { ProjectDb } from '../../store'
import { datasetOf } from '../datasets'
import { requireRequestFits } from '../compatibility'
import type { JobHooks } from '../hooks'
import {
  asRun,
  checkCancel,
  checkMethods,
  DEFAULT_EXPLAIN_SEED,
  mean,
  meanCurves,
  METHOD_LABEL,
  pickSamples,
  std,
  withModels
} from './common'

export interface MethodSanity {
  /** Mean ± sample std of the per-image scores, in [0, 1]; lower is saner. */
  mean: number
  std: number
  median: number
  scores: number[]
  /** Mean probability-vs-pixels curve over the images. */
  meanCurve: number[]
  /** Set when the method could not run on this model (then there are no scores). */
  error?: string
  variant?: 'adaptive-pool'
}

export interface SanityStudyResult {
  modelId: number
  modelName: string
  datasetId: number
  sampleIndices: number[]
  fractions: number[]
  methods: Partial<Record<SaliencyMethodName, MethodSanity>>
  meanIdealCurve: number[]
  meanWorstCurve: number[]
  /** How many images each method scored strictly better (lower) than the other; ties apart. */
  wins?: { gradcam: number; cameras: number; ties: number }
}

/** Sanity scores of Grad-CAM vs CAMERAS on `count` validation images (run kind 'sanity'). */
export async function sanityStudy(
  project: ProjectDb,
  request: SanityRequest,
  hooks: JobHooks = {}
): Promise<SanityStudyResult & { runId: number }> {
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  const seed = request.seed ?? DEFAULT_EXPLAIN_SEED
  const methods = checkMethods(request.methods)
  const indices = pickSamples(
    ds,
    undefined,
    Math.min(request.count ?? 100, ds.validation.count),
    seed
  )
  const fixedSizeHead = request.fixedSizeHead ?? 'adaptive-pool'
  const batch = request.batchSize ?? 16
  const config: StoredRunConfig<'sanity'> = {
    request,
    resolved: { count: indices.length, seed, methods, fixedSizeHead, batchSize: batch }
  }
  return asRun(
    project,
    {
      kind: 'sanity',
      config,
      seed,
      backend: (await backendInfo()).name,
      datasetId: request.datasetId,
      modelIds: [request.modelId]
    },
    (_runId, progress) =>
      withModels(project, [request.modelId], async ([net]) => {
        const scores: Record<string, number[]> = {}
        const curves: Record<string, number[][]> = {}
        const errors: Record<string, string> = {}
        const ideal: number[][] = []
        const worst: number[][] = []
        let fractions: number[] = []
        for (let start = 0; start < indices.length; start += batch) {
          const part = indices.slice(start, start + batch)
          const x = toFloatBatch(ds.validation, part, ds)
          const maps: Partial<Record<SaliencyMethodName, Tensor3D>> = {}
          try {
            for (const method of methods) {
              if (errors[method]) continue
              try {
                maps[method] =
                  method === 'gradcam' ? gradCam(net!, x) : cameras(net!, x, { fixedSizeHead })
              } catch (err) {
                if (!(err instanceof SaliencyError)) throw err
                errors[method] = err.message
              }
            }
            const ran = methods.filter((m) => maps[m])
            const arrays = await Promise.all(
              ran.map(async (m) => (await maps[m]!.data()) as Float32Array)
            )
            const size = ds.height * ds.width
            for (let i = 0; i < part.length; i++) {
              checkCancel(hooks)
              progress(
                (start + i) / indices.length,
                `Sanity of ${ran.map((m) => METHOD_LABEL[m]).join(' and ')} on "${net!.name}": image ${start + i + 1}/${indices.length}`
              )
              if (ran.length === 0) continue
              const image = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as Tensor4D
              try {
                const results = await sanityScores(
                  net!,
                  image,
                  arrays.map((a) => a.subarray(i * size, (i + 1) * size)),
                  { idealPatch: request.idealPatch }
                )
                results.forEach((r, k) => {
                  const m = ran[k]!
                  ;(scores[m] ??= []).push(r.score)
                  ;(curves[m] ??= []).push(r.curve)
                })
                ideal.push(results[0]!.idealCurve)
                worst.push(results[0]!.worstCurve)
                fractions = results[0]!.fractions
              } finally {
                image.dispose()
              }
            }
          } finally {
            x.dispose()
            Object.values(maps).forEach((t) => t?.dispose())
          }
        }
        const perMethod: SanityStudyResult['methods'] = {}
        for (const m of methods) {
          const sc = scores[m] ?? []
          const sorted = [...sc].sort((a, b) => a - b)
          perMethod[m] = {
            mean: mean(sc),
            std: std(sc),
            median: sorted.length
              ? (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2
              : NaN,
            scores: sc,
            meanCurve: meanCurves(curves[m] ?? []),
            ...(errors[m] ? { error: errors[m] } : {}),
            ...(m === 'cameras' && !net!.acceptsAnyInputSize() && !errors[m]
              ? { variant: 'adaptive-pool' as const }
              : {})
          }
        }
        let wins: SanityStudyResult['wins']
        const g = scores.gradcam
        const cm = scores.cameras
        if (g && cm && g.length === cm.length) {
          wins = { gradcam: 0, cameras: 0, ties: 0 }
          g.forEach((v, i) => {
            if (v < cm[i]!) wins!.gradcam++
            else if (cm[i]! < v) wins!.cameras++
            else wins!.ties++
          })
        }
        const value: SanityStudyResult = {
          modelId: request.modelId,
          modelName: net!.name,
          datasetId: request.datasetId,
          sampleIndices: indices,
          fractions,
          methods: perMethod,
          meanIdealCurve: meanCurves(ideal),
          meanWorstCurve: meanCurves(worst),
          ...(wins ? { wins } : {})
        }
        return { stored: value, value }
      }),
    hooks
  )
}
