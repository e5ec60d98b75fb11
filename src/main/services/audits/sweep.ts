/**
 * The transfer ε sweep (thesis §6.4, Figures 6.5–6.7): the source crafts each attack at each
 * ε, fooling ratios are counted on the source and every target over samples all of them
 * classify correctly. Stored as an 'attack-sweep' run with curves and a gallery.
 */
import type { ModelKind, SweepCurve } from '../../../contract/entities'
import type { StoredRunConfig } from '../../../contract/jobs'
import type { AttackSweepRequest } from '../../../contract/requests'
import { backendInfo } from '../../engine/backend'
import { getAttack } from '../../engine/attacks'
import { DEFAULT_EPSILONS, runTransfer, type TransferProgress } from '../../engine/audit/transfer'
import type { LoadedModel } from '../../engine/models'
import {
  createRun,
  finishRun,
  listDatasets,
  listModels,
  saveGalleryItems,
  updateRunProgress,
  type ProjectDb,
  type StoredModel
} from '../../store'
import { datasetOf } from '../datasets'
import { accuracyCostOf } from '../evaluation/accuracyCost'
import { requireRequestFits } from '../compatibility'
import type { JobHooks } from '../hooks'
import { kindOf, requireUsable } from '../modelRoles'
import { loadClassifier } from '../models'
import { closeFailedRun } from '../runFailure'
import { galleryItemsOf } from './gallery'
import {
  DEFAULT_AUDIT_BATCH,
  DEFAULT_SAMPLE_COUNT,
  epsLabel,
  progressWriter,
  resolvedSettings,
  THESIS_ATTACKS
} from './settings'

export interface AttackSweepOutcome {
  runId: number
  sampleCount: number
  epsilons: number[]
  attacks: string[]
  curves: SweepCurve[]
  models: {
    id: number
    name: string
    role: 'source' | 'target'
    kind: ModelKind
    /** The accuracy-cost flag's sentence when raised (more than 5 points below its reference). */
    accuracyCost: string | null
  }[]
  galleryItems: number
  seconds: number
}

/** Runs the sweep a request asks for and stores it (request and resolved settings) as a run. */
export async function runAttackSweep(
  project: ProjectDb,
  request: AttackSweepRequest,
  hooks: JobHooks = {}
): Promise<AttackSweepOutcome> {
  const started = performance.now()
  const db = project.writable()
  const targetIds = request.targetIds ?? []
  if (targetIds.includes(request.sourceId)) {
    throw new RangeError('The source is always evaluated; do not list it among the targets')
  }
  const source = requireUsable(project, request.sourceId, 'source')
  const targets = targetIds.map((id) => requireUsable(project, id, 'target'))
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  const attacks: string[] = request.attacks ?? THESIS_ATTACKS
  const epsilons = request.epsilons ?? DEFAULT_EPSILONS
  const sampleCount = request.sampleCount ?? DEFAULT_SAMPLE_COUNT
  const seed = request.seed ?? 0
  const batchSize = request.batchSize ?? DEFAULT_AUDIT_BATCH
  const gallerySamples = request.gallerySamples ?? 8
  const settings = request.attackSettings ?? {}
  const attackSettings = resolvedSettings(attacks, epsilons, settings, batchSize)
  const backend = (await backendInfo()).name
  const all = [source, ...targets]
  const config: StoredRunConfig<'attack-sweep'> = {
    request,
    resolved: {
      attacks,
      epsilons,
      sampleCount,
      seed,
      batchSize,
      gallerySamples,
      attackSettings,
      backend
    }
  }
  const runId = createRun(db, {
    kind: 'attack-sweep',
    config,
    seed,
    backend,
    datasetId: request.datasetId,
    modelIds: all.map((m) => m.id)
  })
  const nets: LoadedModel[] = []
  try {
    for (const m of all) nets.push(loadClassifier(project, m.id))
    const cellNames = attacks.flatMap((a) =>
      epsilons.map((e) => `${getAttack(a).name} at ε = ${epsLabel(e)}`)
    )
    const write = progressWriter((p) => updateRunProgress(db, runId, p))
    const onProgress = (p: TransferProgress) => {
      const fraction =
        p.phase === 'sampling'
          ? 0.05 * (p.completed / Math.max(1, p.total))
          : 0.05 + 0.95 * (p.completed / Math.max(1, p.total))
      const stage =
        p.phase === 'sampling'
          ? `Drawing samples correct on every model: ${p.completed}/${p.total}`
          : `${cellNames[(p.completed - 1) % cellNames.length]} (${p.completed}/${p.total})`
      const elapsed = (performance.now() - started) / 1000
      hooks.onProgress?.({
        fraction,
        stage,
        ...(fraction > 0.1 ? { etaSeconds: (elapsed * (1 - fraction)) / fraction } : {})
      })
      write(fraction, stage)
    }
    const result = await runTransfer(
      ds,
      nets[0]!,
      nets.slice(1),
      {
        attacks: attacks.map((id) => ({ id, config: settings[id as keyof typeof settings] })),
        epsilons,
        sampleCount,
        seed,
        batchSize,
        gallerySamples
      },
      { onProgress, signal: hooks.signal }
    )
    const byNet = new Map<string, StoredModel>(nets.map((n, j) => [n.id, all[j]!]))
    const role = (j: number) => (j === 0 ? ('source' as const) : ('target' as const))
    const curves: SweepCurve[] = attacks.flatMap((attack) =>
      all.map((m, j) => ({
        attack,
        modelId: m.id,
        modelName: m.name,
        role: role(j),
        kind: kindOf(m, request.sourceId),
        points: result.cells
          .filter((c) => c.attackId === attack)
          .map((c) => ({
            epsilon: c.epsilon,
            foolingRatio: c.fooling.find((f) => f.modelId === nets[j]!.id)!.ratio
          }))
      }))
    )
    const items = galleryItemsOf(result, byNet, ds.classNames)
    saveGalleryItems(db, runId, items)
    const n = result.selection.indices.length
    const stored = listModels(project.db)
    const datasets = listDatasets(project.db)
    const models = all.map((m, j) => ({
      id: m.id,
      name: m.name,
      role: role(j),
      kind: kindOf(m, request.sourceId),
      accuracyCost: accuracyCostOf(m, stored, datasets)
    }))
    const seconds = (performance.now() - started) / 1000
    finishRun(db, runId, {
      status: 'done',
      results: {
        sampleCount: n,
        requested: sampleCount,
        examined: result.selection.examined,
        epsilons,
        attacks,
        models,
        curves,
        galleryItems: items.length,
        seconds
      }
    })
    hooks.onProgress?.({ fraction: 1, stage: `Sweep done over ${n} samples` })
    return {
      runId,
      sampleCount: n,
      epsilons,
      attacks,
      curves,
      models,
      galleryItems: items.length,
      seconds
    }
  } catch (err) {
    throw closeFailedRun(db, runId, err, hooks.signal)
  } finally {
    for (const n of nets) n.dispose()
  }
}
