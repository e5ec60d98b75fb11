/**
 * An adversarial image next to its original, with the model's maps of both, both explaining
 * the TRUE class (where did the evidence go). Stored as an 'explain-adversarial' run.
 */
import type { StoredRunConfig } from '../../../contract/jobs'
import type { ExplainAdversarialRequest } from '../../../contract/requests'
import { backendInfo } from '../../engine/backend'
import { toFloatBatch } from '../../engine/data/batches'
import {
  explainAdversarial,
  saliencyPgd,
  weightedPgd,
  type ArrayData,
  type ModelExplanation
} from '../../engine/saliency'
import type { Tensor4D } from '../../engine/tf'
import type { ProjectDb } from '../../store'
import { datasetOf } from '../datasets'
import { requireRequestFits } from '../compatibility'
import type { JobHooks } from '../hooks'
import { asRun, checkMethods, DEFAULT_EXPLAIN_SEED, pickSamples, withModels } from './common'
import { DEFAULT_PGD_EPSILON, DEFAULT_PGD_STEPS } from './saliencyPgd'
import { storeExplanation, type Explanation } from './stored'

export interface AdversarialExplanation {
  /** Explanations of the original images (first) and the adversarial ones, same layout. */
  original: Explanation
  adversarial: Explanation
}

/**
 * An adversarial image next to its original, with the model's maps of both, both explaining
 * the TRUE class (where did the evidence go). Stored as an 'explain-adversarial' run.
 */
export async function explainAdversarialSample(
  project: ProjectDb,
  request: ExplainAdversarialRequest,
  hooks: JobHooks = {}
): Promise<AdversarialExplanation & { runId: number }> {
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  const seed = request.seed ?? DEFAULT_EXPLAIN_SEED
  const methods = checkMethods(request.methods)
  const indices = pickSamples(ds, [request.sampleIndex], 1, seed)
  const epsilon = request.epsilon ?? DEFAULT_PGD_EPSILON
  const steps = request.steps ?? DEFAULT_PGD_STEPS
  const fixedSizeHead = request.fixedSizeHead ?? 'adaptive-pool'
  const attack = request.attack ?? 'pgd'
  const config: StoredRunConfig<'explain-adversarial'> = {
    request,
    resolved: { seed, methods, epsilon, steps, attack, fixedSizeHead }
  }
  return asRun(
    project,
    {
      kind: 'explain-adversarial',
      config,
      seed,
      backend: (await backendInfo()).name,
      datasetId: request.datasetId,
      modelIds: [request.modelId]
    },
    (_runId, progress) =>
      withModels(project, [request.modelId], async ([net]) => {
        progress(0, `Attacking and explaining "${net!.name}"`)
        const labels = indices.map((i) => ds.validation.labels[i]!)
        const x = toFloatBatch(ds.validation, indices, ds)
        let adv: Tensor4D | undefined
        try {
          const common = { epsilon, steps, seed, labels }
          if (attack === 'pgd') adv = weightedPgd(net!, x, common)
          else {
            const r = saliencyPgd(net!, x, { ...common, fixedSizeHead })
            r.saliency.dispose()
            adv = r.adversarial
          }
          const r = await explainAdversarial(net!, x, adv, {
            methods,
            classIndex: labels,
            fixedSizeHead
          })
          const make = (images: ArrayData, m: ModelExplanation): Explanation => ({
            sampleIndices: indices,
            labels,
            classNames: ds.classNames,
            methods,
            images,
            models: [{ ...m, modelId: request.modelId }]
          })
          const value = {
            original: make(r.images, r.original),
            adversarial: make(r.adversarialImages, r.adversarial)
          }
          const shape: [number, number, number] = [ds.height, ds.width, ds.channels]
          return {
            stored: {
              original: storeExplanation(value.original, request.datasetId, shape),
              adversarial: storeExplanation(value.adversarial, request.datasetId, shape)
            },
            value
          }
        } finally {
          x.dispose()
          adv?.dispose()
        }
      }),
    hooks
  )
}
