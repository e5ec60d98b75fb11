/**
 * Grad-CAM / CAMERAS maps of several models for the same validation images (Figure 6.3: the
 * reference, the ordinary retrained and the orthogonal model side by side).
 */
import type { StoredRunConfig } from '../../../contract/jobs'
import type { ExplainRequest } from '../../../contract/requests'
import { backendInfo } from '../../engine/backend'
import { toFloatBatch } from '../../engine/data/batches'
import { explainModels, type ArrayData } from '../../engine/saliency'
import { SaliencyError } from '../../engine/saliency/errors'
import type { ProjectDb } from '../../store'
import { datasetOf } from '../datasets'
import { requireRequestFits } from '../compatibility'
import type { JobHooks } from '../hooks'
import {
  asRun,
  checkCancel,
  checkMethods,
  DEFAULT_EXPLAIN_SEED,
  pickSamples,
  withModels
} from './common'
import { storeExplanation, type Explanation } from './stored'

/** Images drawn when a request names none. */
const DEFAULT_COUNT = 4

/** Explains the chosen validation images with each model; stored as an 'explain' run. */
export async function explainSamples(
  project: ProjectDb,
  request: ExplainRequest,
  hooks: JobHooks = {}
): Promise<Explanation & { runId: number }> {
  if (request.modelIds.length === 0) throw new RangeError('explain needs at least one model')
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  const seed = request.seed ?? DEFAULT_EXPLAIN_SEED
  const methods = checkMethods(request.methods)
  const indices = pickSamples(ds, request.sampleIndices, request.count ?? DEFAULT_COUNT, seed)
  const fixedSizeHead = request.fixedSizeHead ?? 'adaptive-pool'
  const config: StoredRunConfig<'explain'> = {
    request,
    resolved: { sampleIndices: indices, seed, methods, fixedSizeHead }
  }
  const { stage, classIndex } = request
  return asRun(
    project,
    {
      kind: 'explain',
      config,
      seed,
      backend: (await backendInfo()).name,
      datasetId: request.datasetId,
      modelIds: request.modelIds
    },
    (_runId, progress) =>
      withModels(project, request.modelIds, async (nets) => {
        const x = toFloatBatch(ds.validation, indices, ds)
        try {
          const models: Explanation['models'] = []
          let images: ArrayData | undefined
          for (const [k, net] of nets.entries()) {
            checkCancel(hooks)
            progress(k / nets.length, `Explaining "${net.name}" (${k + 1}/${nets.length})`)
            if (stage !== undefined && !net.featureStages().includes(stage)) {
              throw new SaliencyError(`Stage "${stage}" is not a feature stage of "${net.name}"`)
            }
            const r = await explainModels([net], x, {
              methods,
              classIndex: classIndex !== undefined ? indices.map(() => classIndex) : undefined,
              stages: stage ? { [net.id]: stage } : undefined,
              fixedSizeHead
            })
            images = r.images
            models.push({ ...r.models[0]!, modelId: request.modelIds[k]! })
          }
          const value: Explanation = {
            sampleIndices: indices,
            labels: indices.map((i) => ds.validation.labels[i]!),
            classNames: ds.classNames,
            methods,
            images: images!,
            models
          }
          return {
            stored: storeExplanation(value, request.datasetId, [ds.height, ds.width, ds.channels]),
            value
          }
        } finally {
          x.dispose()
        }
      }),
    hooks
  )
}
