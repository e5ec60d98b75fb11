/**
 * The ε slider: recomputes one sample's perturbation at any ε (one attack call on one image)
 * and every model's prediction on the clean and the adversarial image. Stores nothing.
 */
import type { GalleryItem, Prediction } from '../../../contract/entities'
import type { AttackName } from '../../../contract/names'
import type { AttackPreviewRequest, AttackSweepRequest } from '../../../contract/requests'
import { tf } from '../../engine/tf'
import { checkAttackConfig, getAttack, runAttack } from '../../engine/attacks'
import { predict, sampleBatch } from '../../engine/audit/sampling'
import { listGalleryItems, getRun, RecordNotFoundError, type ProjectDb } from '../../store'
import { datasetOf } from '../datasets'
import { requireRequestFits } from '../compatibility'
import { requireUsable } from '../modelRoles'
import { loadClassifier } from '../models'
import { storedRequest } from '../runs'
import { galleryItemView } from './gallery'

export interface AttackPreview {
  attack: string
  epsilon: number
  sampleIndex: number
  label: number
  className: string
  shape: [number, number, number]
  /** HWC floats in [0, 1]. */
  original: Float32Array
  adversarial: Float32Array
  clean: Prediction[]
  adversarialPredictions: Prediction[]
}

/** One sample at one ε: the attack on the source, every model's prediction before and after. */
export async function attackPreview(
  project: ProjectDb,
  request: AttackPreviewRequest
): Promise<AttackPreview> {
  const source = requireUsable(project, request.sourceId, 'source')
  const targets = request.targetIds
    .filter((id) => id !== request.sourceId)
    .map((id) => requireUsable(project, id, 'target'))
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  if (request.sampleIndex >= ds.validation.count) {
    throw new RangeError(
      `sampleIndex must be in [0, ${ds.validation.count - 1}], got ${request.sampleIndex}`
    )
  }
  const config = checkAttackConfig(getAttack(request.attack), {
    ...request.settings,
    epsilon: request.epsilon
  })
  const all = [source, ...targets]
  const nets = all.map((m) => loadClassifier(project, m.id))
  const { x, y } = sampleBatch(ds, [request.sampleIndex])
  let adv: tf.Tensor4D | undefined
  try {
    adv = await runAttack(request.attack, nets[0]!, x, y, config)
    const name = (k: number) => ds.classNames[k] ?? String(k)
    const cleanP = nets.map((n) => predict(n, x))
    const advP = nets.map((n) => predict(n, adv!))
    const label = ds.validation.labels[request.sampleIndex]!
    return {
      attack: request.attack,
      epsilon: request.epsilon,
      sampleIndex: request.sampleIndex,
      label,
      className: name(label),
      shape: [ds.height, ds.width, ds.channels],
      original: Float32Array.from(x.dataSync()),
      adversarial: Float32Array.from(adv.dataSync()),
      clean: all.map((m, j) => ({
        modelId: m.id,
        modelName: m.name,
        label: cleanP[j]!.classes[0]!,
        className: name(cleanP[j]!.classes[0]!),
        confidence: cleanP[j]!.confidences[0]!
      })),
      adversarialPredictions: all.map((m, j) => ({
        modelId: m.id,
        modelName: m.name,
        label: advP[j]!.classes[0]!,
        className: name(advP[j]!.classes[0]!),
        confidence: advP[j]!.confidences[0]!,
        fooled: advP[j]!.classes[0] !== cleanP[j]!.classes[0]
      }))
    }
  } finally {
    tf.dispose([x, y])
    adv?.dispose()
    for (const n of nets) n.dispose()
  }
}

/** A preview as the window shows it (a gallery item with no run). */
export function previewItemView(p: AttackPreview): GalleryItem {
  return galleryItemView(
    { ...p, predictions: { clean: p.clean, adversarial: p.adversarialPredictions } },
    { id: `preview-${p.sampleIndex}-${p.attack}-${p.epsilon}`, runId: null }
  )
}

/**
 * The preview request that explores a stored sweep: its dataset, models and the attack's
 * settings, at another ε (default sample: the run's first gallery sample).
 */
export function previewRequestFromRun(
  project: ProjectDb,
  runId: number,
  at: { epsilon: number; attack?: AttackName; sampleIndex?: number }
): AttackPreviewRequest {
  const run = getRun(project.db, runId)
  if (!run) throw new RecordNotFoundError('run', runId)
  if (run.kind !== 'attack-sweep')
    throw new RangeError(`run ${runId} is a ${run.kind} run, not an attack sweep`)
  const sweep = storedRequest(run) as AttackSweepRequest
  const attack = at.attack ?? sweep.attacks?.[0] ?? 'fgsm'
  const first = listGalleryItems(project.db, runId)[0]
  return {
    datasetId: sweep.datasetId,
    sourceId: sweep.sourceId,
    targetIds: sweep.targetIds ?? [],
    attack,
    epsilon: at.epsilon,
    sampleIndex: at.sampleIndex ?? first?.sampleIndex ?? 0,
    ...(sweep.attackSettings?.[attack] ? { settings: sweep.attackSettings[attack] } : {})
  }
}
