/**
 * Vanilla vs saliency-enhanced PGD at the same ε, steps and seed (thesis Figure 5.13):
 * perturbation norms, fooling rate and fooling confidence on the source, and transfer to the
 * targets. Stored as a 'saliency-pgd' run.
 */
import type { StoredRunConfig } from '../../../contract/jobs'
import { epsilonPercent } from '../../../contract/words'
import type { SaliencyPgdRequest } from '../../../contract/requests'
import { backendInfo } from '../../engine/backend'
import { toFloatBatch } from '../../engine/data/batches'
import type { LoadedModel } from '../../engine/models'
import { pgdReport, saliencyPgd, weightedPgd, type PgdReport } from '../../engine/saliency'
import type { Tensor3D, Tensor4D } from '../../engine/tf'
import type { ProjectDb } from '../../store'
import { datasetOf } from '../datasets'
import { requireRequestFits } from '../compatibility'
import type { JobHooks } from '../hooks'
import {
  asRun,
  checkCancel,
  correctOnes,
  DEFAULT_EXPLAIN_SEED,
  mean,
  pickSamples,
  withModels
} from './common'
import { wilsonInterval } from '../../engine/audit/stats'

/** L∞ radius of Figure 5.13, in [0, 1] units. */
export const DEFAULT_PGD_EPSILON = 12 / 255
export const DEFAULT_PGD_STEPS = 10

export interface PgdSummary {
  meanL2: number
  meanLinf: number
  maxLinf: number
  foolingRate: number
  /** Images the fooling rate rests on. */
  images: number
  /** Its Wilson 95 % interval over them. */
  foolingCi95: [number, number] | null
  /** Mean over all images of the highest probability of a wrong class. */
  meanFoolingConfidence: number
  /** The same, over the fooled images only (NaN when none). */
  meanFooledConfidence: number
}

export interface ModelPgdOutcome {
  modelId: number
  modelName: string
  /**
   * Share of the attacked (clean) images this model already gets wrong: 0 for the source by
   * construction; for a target its fooling rates include these, so read them against it.
   */
  cleanErrorRate: number
  vanilla: PgdSummary
  enhanced: PgdSummary
}

export interface SaliencyPgdStudyResult {
  epsilon: number
  steps: number
  method: string
  /** Validation images attacked (correct on the source). */
  sampleIndices: number[]
  drawn: number
  source: ModelPgdOutcome
  targets: ModelPgdOutcome[]
}

function summarise(rs: PgdReport[]): PgdSummary {
  const l2 = rs.flatMap((r) => r.l2)
  const linf = rs.flatMap((r) => r.linf)
  const conf = rs.flatMap((r) => r.foolingConfidence)
  const fooled = rs.flatMap((r) => r.fooled)
  return {
    meanL2: mean(l2),
    meanLinf: mean(linf),
    maxLinf: linf.length ? Math.max(...linf) : NaN,
    foolingRate: fooled.length ? fooled.filter(Boolean).length / fooled.length : NaN,
    images: fooled.length,
    foolingCi95: fooled.length
      ? wilsonInterval(fooled.filter(Boolean).length, fooled.length)
      : null,
    meanFoolingConfidence: mean(conf),
    meanFooledConfidence: mean(conf.filter((_, i) => fooled[i]))
  }
}

/**
 * Vanilla vs saliency-enhanced PGD at the same ε, steps and seed (Figure 5.13): perturbation
 * norms, fooling rate and fooling confidence on the source, and transfer to the targets.
 * Stored as a 'saliency-pgd' run.
 */
export async function saliencyPgdStudy(
  project: ProjectDb,
  request: SaliencyPgdRequest,
  hooks: JobHooks = {}
): Promise<SaliencyPgdStudyResult & { runId: number }> {
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  const seed = request.seed ?? DEFAULT_EXPLAIN_SEED
  const epsilon = request.epsilon ?? DEFAULT_PGD_EPSILON
  const steps = request.steps ?? DEFAULT_PGD_STEPS
  const batch = request.batchSize ?? 25
  const fixedSizeHead = request.fixedSizeHead ?? 'adaptive-pool'
  const saliency = request.saliency ?? 'cameras'
  const targets = request.targetIds ?? []
  const drawn = pickSamples(
    ds,
    undefined,
    Math.min(request.count ?? 100, ds.validation.count),
    seed
  )
  const config: StoredRunConfig<'saliency-pgd'> = {
    request,
    resolved: {
      epsilon,
      steps,
      seed,
      count: drawn.length,
      saliency,
      fixedSizeHead,
      batchSize: batch
    }
  }
  return asRun(
    project,
    {
      kind: 'saliency-pgd',
      config,
      seed,
      backend: (await backendInfo()).name,
      datasetId: request.datasetId,
      modelIds: [request.sourceId, ...targets]
    },
    (_runId, progress) =>
      withModels(project, [request.sourceId, ...targets], async ([source, ...others]) => {
        const indices = await correctOnes(source!, ds, drawn, batch)
        const reports = [source!, ...others].map(() => ({
          vanilla: [] as PgdReport[],
          enhanced: [] as PgdReport[],
          cleanErrors: 0
        }))
        let method: string = saliency
        for (let s = 0; s < indices.length; s += batch) {
          checkCancel(hooks)
          progress(
            s / Math.max(1, indices.length),
            `PGD and saliency-enhanced PGD at ε = ${epsilonPercent(epsilon)} of the pixel range: image ${s + 1}/${indices.length}`
          )
          const part = indices.slice(s, s + batch)
          const labels = part.map((i) => ds.validation.labels[i]!)
          const x = toFloatBatch(ds.validation, part, ds)
          const common = { epsilon, steps, seed: seed + s, labels }
          const vanilla = weightedPgd(source!, x, common)
          let enhanced: Tensor4D | undefined
          let map: Tensor3D | undefined
          try {
            const r = saliencyPgd(source!, x, { ...common, saliency, fixedSizeHead })
            enhanced = r.adversarial
            map = r.saliency
            method = r.method
            for (const [k, net] of [source!, ...others].entries()) {
              const clean = await pgdReport(net, x, x, labels)
              reports[k]!.cleanErrors += clean.fooled.filter(Boolean).length
              reports[k]!.vanilla.push(await pgdReport(net, x, vanilla, labels))
              reports[k]!.enhanced.push(await pgdReport(net, x, enhanced, labels))
            }
          } finally {
            x.dispose()
            vanilla.dispose()
            enhanced?.dispose()
            map?.dispose()
          }
        }
        const outcome = (k: number, net: LoadedModel, id: number): ModelPgdOutcome => ({
          modelId: id,
          modelName: net.name,
          cleanErrorRate: indices.length ? reports[k]!.cleanErrors / indices.length : NaN,
          vanilla: summarise(reports[k]!.vanilla),
          enhanced: summarise(reports[k]!.enhanced)
        })
        const value: SaliencyPgdStudyResult = {
          epsilon,
          steps,
          method,
          sampleIndices: indices,
          drawn: drawn.length,
          source: outcome(0, source!, request.sourceId),
          targets: others.map((net, k) => outcome(k + 1, net, targets[k]!))
        }
        return { stored: value, value }
      }),
    hooks
  )
}
