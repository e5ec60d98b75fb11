/**
 * Audits in a project: the transfer ε sweep (thesis §6.4, Figures 6.5–6.7), the defense table
 * (§6.4.4, Table 6.3) and the live ε preview, each over the engine's protocol, stored as runs
 * whose config holds everything needed to repeat them (resolved attack settings, seed,
 * backend) plus the contract request under `config.request` so the window can re-run them.
 */
import { tf } from '../engine/tf'
import { backendInfo } from '../engine/backend'
import {
  checkAttackConfig,
  getAttack,
  runAttack,
  type AttackConfig,
  type ResolvedAttackConfig
} from '../engine/attacks'
import { getDefense, listDefenses, tableVariants } from '../engine/defenses'
import { predict, sampleBatch } from '../engine/audit/sampling'
import {
  DEFAULT_EPSILONS,
  runTransfer,
  type TransferProgress,
  type TransferResult
} from '../engine/audit/transfer'
import {
  buildDefenseTable,
  TABLE_EPSILONS,
  toCsv as defenseTableCsv
} from '../engine/audit/defenseTable'
import { amplifiedPerturbation, floatPngDataUrl } from '../engine/audit/reportImages'
import type { Network } from '../engine/models'
import {
  createRun,
  finishRun,
  getRun,
  listGalleryItems,
  listModels,
  saveGalleryItems,
  updateRunProgress,
  type GalleryItem as StoredGalleryItem,
  type ModelSummary,
  type ProjectDb
} from '../store'
import { datasetOf } from './datasets'
import { loadNetwork } from './models'
import type { JobHooks } from './hooks'
import { closeFailedRun } from './runFailure'

/** Statuses whose weights must not be attacked or evaluated (training unfinished, broken). */
const UNUSABLE = new Set(['collapsed', 'failed', 'training'])

export type ModelKind = 'source' | 'ordinary' | 'orthogonal'

/** A model's prediction on one image, as stored in gallery items and shown by the UI. */
export interface Prediction {
  modelId: string
  modelName: string
  label: number
  className: string
  confidence: number
  /** Adversarial only: prediction differs from the clean one. */
  fooled?: boolean
  /** Adversarial only: still fooled once the image is rounded to 8 bits (as a saved PNG). */
  fooledRounded?: boolean
  labelRounded?: number
}

export interface SweepCurve {
  attack: string
  modelId: string
  modelName: string
  role: 'source' | 'target'
  /** Source, ordinary (λ = 0 or another reference) or orthogonal to the source (λ > 0). */
  kind: ModelKind
  points: { epsilon: number; foolingRatio: number }[]
}

export interface AttackSweepRequest {
  datasetId: number
  sourceModelId: number
  targetModelIds: number[]
  /** Attack ids: fgsm, ifgsm, mifgsm, pgd, di2fgsm. */
  attacks: string[]
  /** Fractions of the dynamic range (default 0 … 8 %). */
  epsilons?: number[]
  sampleCount?: number
  seed?: number
  /** Per-attack settings other than ε (steps, stepSize, decay, seed …). */
  attackSettings?: Record<string, Omit<AttackConfig, 'epsilon'>>
  /** Drawn samples whose images and predictions are kept (default 8). */
  galleryCount?: number
  batchSize?: number
}

export interface AttackSweepOutcome {
  runId: number
  sampleCount: number
  epsilons: number[]
  attacks: string[]
  curves: SweepCurve[]
  models: { id: string; name: string; role: 'source' | 'target'; kind: ModelKind }[]
  galleryItems: number
  seconds: number
}

export interface DefenseTableRequest {
  datasetId: number
  sourceModelId: number
  ordinaryModelId: number
  orthogonalModelId: number
  attacks: string[]
  /** Default ε1 = 0.03, ε2 = 0.05 (Table 6.3). */
  epsilons?: number[]
  sampleCount?: number
  seed?: number
  /** Restrict the rows to these defenses (jpeg, tvm, bitdepth, bilateral). */
  defenses?: string[]
  attackSettings?: Record<string, Omit<AttackConfig, 'epsilon'>>
  batchSize?: number
}

export interface DefenseTableOutcome {
  runId: number
  sampleCount: number
  columns: { key: string; label: string }[]
  rows: {
    key: string
    label: string
    values: Record<string, number>
    best: Record<string, boolean>
  }[]
  csv: string
  seconds: number
}

function modelSummary(project: ProjectDb, id: number): ModelSummary {
  const m = listModels(project.db).find((x) => x.id === id)
  if (!m) throw new RangeError(`No model with id ${id} in this project`)
  return m
}

/** Refuses models whose weights cannot be trusted, naming the model and why. */
function requireUsable(project: ProjectDb, id: number, role: string): ModelSummary {
  const m = modelSummary(project, id)
  if (UNUSABLE.has(m.status)) {
    throw new RangeError(
      `Model "${m.name}" (id ${id}) is ${m.status} and cannot be used as the ${role}` +
        (m.status === 'collapsed'
          ? ': its training collapsed, so its predictions mean nothing'
          : '')
    )
  }
  return m
}

function lambdaOf(m: ModelSummary): number {
  const l = (m.trainingConfig as { lambda?: unknown } | undefined)?.lambda
  return typeof l === 'number' ? l : 0
}

/** Orthogonal = trained with λ > 0 against the source; anything else is an ordinary target. */
export function kindOf(m: ModelSummary, sourceId: number): ModelKind {
  if (m.id === sourceId) return 'source'
  return lambdaOf(m) > 0 && m.referenceModelId === sourceId ? 'orthogonal' : 'ordinary'
}

function resolvedSettings(
  attacks: string[],
  epsilons: number[],
  settings: Record<string, Omit<AttackConfig, 'epsilon'>>,
  batchSize: number
): Record<string, { epsilon: number; config: ResolvedAttackConfig }[]> {
  return Object.fromEntries(
    attacks.map((a) => [
      a,
      epsilons.map((epsilon) => ({
        epsilon,
        config: checkAttackConfig(getAttack(a), {
          ...settings[a],
          epsilon,
          batchSize: settings[a]?.batchSize ?? batchSize
        })
      }))
    ])
  )
}

function epsLabel(e: number): string {
  return `${+(e * 100).toFixed(2)} %`
}

/**
 * The transfer ε sweep: `sourceModelId` crafts each attack at each ε, fooling ratios are
 * counted on the source and every target over samples all of them classify correctly.
 * Stores a run (kind 'attack-sweep') with curves and a gallery; returns the curves.
 */
export async function runAttackSweep(
  project: ProjectDb,
  req: AttackSweepRequest,
  hooks: JobHooks = {},
  request?: unknown
): Promise<AttackSweepOutcome> {
  const started = performance.now()
  const db = project.writable()
  if (req.targetModelIds.includes(req.sourceModelId)) {
    throw new RangeError('The source is always evaluated; do not list it among the targets')
  }
  const source = requireUsable(project, req.sourceModelId, 'source')
  const targets = req.targetModelIds.map((id) => requireUsable(project, id, 'target'))
  const ds = datasetOf(project, req.datasetId)
  const epsilons = req.epsilons ?? DEFAULT_EPSILONS
  const sampleCount = req.sampleCount ?? 1000
  const seed = req.seed ?? 0
  const batchSize = req.batchSize ?? 100
  const galleryCount = req.galleryCount ?? 8
  const settings = req.attackSettings ?? {}
  const resolved = resolvedSettings(req.attacks, epsilons, settings, batchSize)
  const backend = (await backendInfo()).name
  const all = [source, ...targets]
  const config = {
    request: request ?? {
      datasetId: String(req.datasetId),
      sourceId: String(req.sourceModelId),
      targetIds: req.targetModelIds.map(String),
      attacks: req.attacks,
      epsilons,
      sampleCount,
      gallerySamples: galleryCount,
      seed
    },
    datasetId: req.datasetId,
    sourceModelId: req.sourceModelId,
    targetModelIds: req.targetModelIds,
    attacks: req.attacks,
    epsilons,
    sampleCount,
    seed,
    batchSize,
    galleryCount,
    attackSettings: resolved,
    backend
  }
  const runId = createRun(db, {
    kind: 'attack-sweep',
    config,
    seed,
    backend,
    datasetId: req.datasetId,
    modelIds: all.map((m) => m.id)
  })
  const nets: Network[] = []
  try {
    for (const m of all) nets.push(loadNetwork(project, m.id))
    const cellNames = req.attacks.flatMap((a) =>
      epsilons.map((e) => `${getAttack(a).name} at ε = ${epsLabel(e)}`)
    )
    let lastWrite = 0
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
      const now = Date.now()
      if (now - lastWrite > 1000) {
        updateRunProgress(db, runId, { fraction, stage })
        lastWrite = now
      }
    }
    const result = await runTransfer(
      ds,
      nets[0]!,
      nets.slice(1),
      {
        attacks: req.attacks.map((id) => ({ id, config: settings[id] })),
        epsilons,
        sampleCount,
        seed,
        batchSize,
        galleryCount
      },
      { onProgress, signal: hooks.signal }
    )
    const idOf = new Map(nets.map((n, j) => [n.id, all[j]!]))
    const curves: SweepCurve[] = req.attacks.flatMap((attack) =>
      all.map((m, j) => ({
        attack,
        modelId: String(m.id),
        modelName: m.name,
        role: j === 0 ? ('source' as const) : ('target' as const),
        kind: kindOf(m, req.sourceModelId),
        points: result.cells
          .filter((c) => c.attackId === attack)
          .map((c) => ({
            epsilon: c.epsilon,
            foolingRatio: c.fooling.find((f) => f.modelId === nets[j]!.id)!.ratio
          }))
      }))
    )
    const items = galleryItems(result, idOf, ds.classNames)
    saveGalleryItems(db, runId, items)
    const n = result.selection.indices.length
    const models = all.map((m, j) => ({
      id: String(m.id),
      name: m.name,
      role: j === 0 ? ('source' as const) : ('target' as const),
      kind: kindOf(m, req.sourceModelId)
    }))
    const seconds = (performance.now() - started) / 1000
    finishRun(db, runId, {
      status: 'done',
      results: {
        sampleCount: n,
        requested: sampleCount,
        examined: result.selection.examined,
        epsilons,
        attacks: req.attacks,
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
      attacks: req.attacks,
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

/** Gallery items for the store: one per (sample, attack, ε > 0), predictions as the UI reads them. */
function galleryItems(
  result: TransferResult,
  models: Map<string, ModelSummary>,
  classNames: string[]
): StoredGalleryItem[] {
  const name = (k: number) => classNames[k] ?? String(k)
  const modelOf = (netId: string) => models.get(netId)!
  return result.gallery.flatMap((g) => {
    const clean: Prediction[] = g.clean.map((p) => ({
      modelId: String(modelOf(p.modelId).id),
      modelName: modelOf(p.modelId).name,
      label: p.predicted,
      className: name(p.predicted),
      confidence: p.confidence
    }))
    return g.adversarial
      .filter((a) => a.epsilon > 0)
      .map((a) => ({
        sampleIndex: g.sampleIndex,
        label: g.label,
        epsilon: a.epsilon,
        attack: a.attackId,
        original: g.original,
        adversarial: a.image,
        shape: result.imageShape,
        predictions: {
          clean,
          adversarial: a.predictions.map((p) => ({
            modelId: String(modelOf(p.modelId).id),
            modelName: modelOf(p.modelId).name,
            label: p.predicted,
            className: name(p.predicted),
            confidence: p.confidence,
            fooled: p.fooled,
            fooledRounded: p.fooledRounded,
            labelRounded: p.predictedRounded
          }))
        }
      }))
  })
}

/**
 * Table 6.3: `sourceModelId` crafts; the ordinary target is shown undefended and behind each
 * input-transformation defense, the orthogonal target undefended. Stores a run (kind
 * 'defense-table') with the table, best-per-column marks and its CSV text.
 */
export async function runDefenseTable(
  project: ProjectDb,
  req: DefenseTableRequest,
  hooks: JobHooks = {},
  request?: unknown
): Promise<DefenseTableOutcome> {
  const started = performance.now()
  const db = project.writable()
  const ids = [req.sourceModelId, req.ordinaryModelId, req.orthogonalModelId]
  if (new Set(ids).size !== 3)
    throw new RangeError('Source, ordinary and orthogonal models must be three different models')
  const source = requireUsable(project, req.sourceModelId, 'source')
  const ordinary = requireUsable(project, req.ordinaryModelId, 'ordinary target')
  const orthogonal = requireUsable(project, req.orthogonalModelId, 'orthogonal target')
  const ds = datasetOf(project, req.datasetId)
  const epsilons = req.epsilons ?? TABLE_EPSILONS
  const sampleCount = req.sampleCount ?? 1000
  const seed = req.seed ?? 0
  const batchSize = req.batchSize ?? 100
  const settings = req.attackSettings ?? {}
  // Matched without case: the contract spells 'bitdepth' where the registry has 'bitDepth'.
  const wanted = req.defenses?.map((d) => {
    const def = listDefenses().find((x) => x.id.toLowerCase() === d.toLowerCase())
    return def ? def.id : getDefense(d).id
  })
  const variants = tableVariants().filter((v) => !wanted || wanted.includes(v.defenseId))
  const resolved = resolvedSettings(req.attacks, epsilons, settings, batchSize)
  const backend = (await backendInfo()).name
  const config = {
    request: request ?? {
      datasetId: String(req.datasetId),
      sourceId: String(req.sourceModelId),
      targetIds: [String(req.ordinaryModelId), String(req.orthogonalModelId)],
      orthogonalId: String(req.orthogonalModelId),
      attacks: req.attacks,
      epsilons,
      ...(wanted ? { defenses: req.defenses } : {}),
      sampleCount,
      seed
    },
    datasetId: req.datasetId,
    sourceModelId: req.sourceModelId,
    ordinaryModelId: req.ordinaryModelId,
    orthogonalModelId: req.orthogonalModelId,
    attacks: req.attacks,
    epsilons,
    sampleCount,
    seed,
    batchSize,
    defenses: variants.map((v) => ({ id: v.defenseId, value: v.value, label: v.label })),
    // How each defense is implemented (rounding, σ, border mode …): needed to reproduce it.
    defenseNotes: Object.fromEntries(
      [...new Set(variants.map((v) => v.defenseId))].map((d) => [d, getDefense(d).notes])
    ),
    attackSettings: resolved,
    backend
  }
  const runId = createRun(db, {
    kind: 'defense-table',
    config,
    seed,
    backend,
    datasetId: req.datasetId,
    modelIds: ids
  })
  const nets: Network[] = []
  try {
    for (const id of ids) nets.push(loadNetwork(project, id))
    let lastWrite = 0
    const table = await buildDefenseTable(
      ds,
      { source: nets[0]!, target: nets[1]!, orthogonal: nets[2]! },
      {
        attacks: req.attacks.map((id) => ({ id, config: settings[id] })),
        epsilons,
        sampleCount,
        seed,
        batchSize,
        variants
      },
      {
        signal: hooks.signal,
        onProgress: (p) => {
          const fraction = p.completed / Math.max(1, p.total)
          const stage = `Defense table: ${p.completed}/${p.total} batches × attacks`
          hooks.onProgress?.({ fraction, stage })
          const now = Date.now()
          if (now - lastWrite > 1000) {
            updateRunProgress(db, runId, { fraction, stage })
            lastWrite = now
          }
        }
      }
    )
    const columns = table.columns.map((c) => ({ key: c.key, label: c.label }))
    const rows = table.rows.map((r) => ({
      key: r.kind === 'defense' ? `${r.defenseId}:${r.value}` : r.kind,
      label: r.label,
      values: Object.fromEntries(columns.map((c, i) => [c.key, r.values[i]!])),
      best: Object.fromEntries(columns.map((c, i) => [c.key, r.best[i]!]))
    }))
    const csv = defenseTableCsv(table)
    const seconds = (performance.now() - started) / 1000
    finishRun(db, runId, {
      status: 'done',
      results: {
        sampleCount: table.sampleCount,
        requested: sampleCount,
        models: [
          { id: String(source.id), name: source.name, role: 'source' },
          { id: String(ordinary.id), name: ordinary.name, role: 'ordinary' },
          { id: String(orthogonal.id), name: orthogonal.name, role: 'orthogonal' }
        ],
        columns,
        rows,
        csv,
        seconds
      }
    })
    return { runId, sampleCount: table.sampleCount, columns, rows, csv, seconds }
  } catch (err) {
    throw closeFailedRun(db, runId, err, hooks.signal)
  } finally {
    for (const n of nets) n.dispose()
  }
}

export interface AttackPreviewRequest {
  datasetId: number
  sourceModelId: number
  targetModelIds: number[]
  attack: string
  epsilon: number
  /** Index into the validation split. */
  sampleIndex: number
  attackSettings?: Omit<AttackConfig, 'epsilon'>
}

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
  /** Perturbation centred on 0.5, stretched to full scale. */
  perturbation: Float32Array
  clean: Prediction[]
  adversarialPredictions: Prediction[]
}

/**
 * The ε slider: recomputes one sample's perturbation at any ε (one attack call on one image)
 * and every model's prediction on the clean and the adversarial image. Stores nothing.
 * With `{ runId, sampleIndex?, epsilon, attack? }` it takes the models, dataset and settings of
 * a stored sweep (default sample: the run's first gallery sample).
 */
export async function attackPreview(
  project: ProjectDb,
  req:
    AttackPreviewRequest | { runId: number; epsilon: number; attack?: string; sampleIndex?: number }
): Promise<AttackPreview> {
  const full = 'runId' in req ? previewFromRun(project, req) : req
  const source = requireUsable(project, full.sourceModelId, 'source')
  const targets = full.targetModelIds
    .filter((id) => id !== full.sourceModelId)
    .map((id) => requireUsable(project, id, 'target'))
  const ds = datasetOf(project, full.datasetId)
  if (
    !Number.isInteger(full.sampleIndex) ||
    full.sampleIndex < 0 ||
    full.sampleIndex >= ds.validation.count
  ) {
    throw new RangeError(
      `sampleIndex must be in [0, ${ds.validation.count - 1}], got ${full.sampleIndex}`
    )
  }
  const config = checkAttackConfig(getAttack(full.attack), {
    ...full.attackSettings,
    epsilon: full.epsilon
  })
  const all = [source, ...targets]
  const nets = all.map((m) => loadNetwork(project, m.id))
  const { x, y } = sampleBatch(ds, [full.sampleIndex])
  let adv: tf.Tensor4D | undefined
  try {
    adv = await runAttack(full.attack, nets[0]!, x, y, config)
    const name = (k: number) => ds.classNames[k] ?? String(k)
    const cleanP = nets.map((n) => predict(n, x))
    const advP = nets.map((n) => predict(n, adv!))
    const original = Float32Array.from(x.dataSync())
    const adversarial = Float32Array.from(adv.dataSync())
    const label = ds.validation.labels[full.sampleIndex]!
    return {
      attack: full.attack,
      epsilon: full.epsilon,
      sampleIndex: full.sampleIndex,
      label,
      className: name(label),
      shape: [ds.height, ds.width, ds.channels],
      original,
      adversarial,
      perturbation: amplifiedPerturbation(original, adversarial),
      clean: all.map((m, j) => ({
        modelId: String(m.id),
        modelName: m.name,
        label: cleanP[j]!.classes[0]!,
        className: name(cleanP[j]!.classes[0]!),
        confidence: cleanP[j]!.confidences[0]!
      })),
      adversarialPredictions: all.map((m, j) => ({
        modelId: String(m.id),
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

function previewFromRun(
  project: ProjectDb,
  req: { runId: number; epsilon: number; attack?: string; sampleIndex?: number }
): AttackPreviewRequest {
  const run = getRun(project.db, req.runId)
  if (!run || run.kind !== 'attack-sweep')
    throw new RangeError(`No attack-sweep run with id ${req.runId}`)
  const c = run.config as {
    datasetId: number
    sourceModelId: number
    targetModelIds: number[]
    attacks: string[]
    attackSettings?: Record<string, { config: AttackConfig }[]>
  }
  const attack = req.attack ?? c.attacks[0]!
  const recorded = c.attackSettings?.[attack]?.[0]?.config
  const { epsilon: _e, stepSize: _s, ...settings } = recorded ?? { epsilon: 0 }
  const first = listGalleryItems(project.db, req.runId)[0]
  return {
    datasetId: c.datasetId,
    sourceModelId: c.sourceModelId,
    targetModelIds: c.targetModelIds,
    attack,
    epsilon: req.epsilon,
    sampleIndex: req.sampleIndex ?? first?.sampleIndex ?? 0,
    attackSettings: settings
  }
}

export interface GalleryEntry extends Omit<StoredGalleryItem, 'predictions'> {
  className: string
  predictions: { clean: Prediction[]; adversarial: Prediction[] }
}

/** A stored sweep's gallery with class names (float images as stored). */
export function galleryOf(project: ProjectDb, runId: number): GalleryEntry[] {
  const run = getRun(project.db, runId)
  if (!run) throw new RangeError(`No run with id ${runId}`)
  const classNames = run.datasetId === null ? [] : datasetOf(project, run.datasetId).classNames
  return listGalleryItems(project.db, runId).map((item) => ({
    ...item,
    className: classNames[item.label] ?? String(item.label),
    predictions: item.predictions as GalleryEntry['predictions']
  }))
}

// ---- Contract adapters for the job runners (string ids → service requests) ----------------

/** Args of the 'attacks.sweep' channel (contract AttackSweepArgs). */
export interface AttackSweepJobArgs {
  datasetId: string
  sourceId: string
  targetIds: string[]
  attacks: string[]
  epsilons: number[]
  sampleCount: number
  gallerySamples?: number
  seed?: number
}

/** The 'attack-sweep' job body: runs the sweep, records `args` as config.request. */
export async function attackSweepJob(
  project: ProjectDb,
  args: AttackSweepJobArgs,
  hooks: JobHooks = {}
) {
  const r = await runAttackSweep(
    project,
    {
      datasetId: Number(args.datasetId),
      sourceModelId: Number(args.sourceId),
      targetModelIds: args.targetIds.map(Number),
      attacks: args.attacks,
      epsilons: args.epsilons,
      sampleCount: args.sampleCount,
      ...(args.gallerySamples !== undefined ? { galleryCount: args.gallerySamples } : {}),
      ...(args.seed !== undefined ? { seed: args.seed } : {})
    },
    hooks,
    args
  )
  return { runId: String(r.runId), sampleCount: r.sampleCount, curves: r.curves }
}

/** Args of the 'defenses.table' channel (contract DefenseTableArgs). */
export interface DefenseTableJobArgs {
  datasetId: string
  sourceId: string
  targetIds: string[]
  orthogonalId: string | null
  attacks: string[]
  epsilons: number[]
  defenses?: string[]
  sampleCount: number
  seed?: number
}

/**
 * The 'defense-table' job body. The ordinary target is the first of `targetIds` that is not
 * the orthogonal one; the orthogonal model is `orthogonalId`, else the second target.
 */
export async function defenseTableJob(
  project: ProjectDb,
  args: DefenseTableJobArgs,
  hooks: JobHooks = {}
) {
  const ordinary = args.targetIds.find((t) => t !== args.orthogonalId)
  const orthogonal = args.orthogonalId ?? args.targetIds.find((t) => t !== ordinary)
  if (ordinary === undefined || orthogonal === undefined) {
    throw new RangeError('The defense table needs an ordinary target and an orthogonal model')
  }
  const r = await runDefenseTable(
    project,
    {
      datasetId: Number(args.datasetId),
      sourceModelId: Number(args.sourceId),
      ordinaryModelId: Number(ordinary),
      orthogonalModelId: Number(orthogonal),
      attacks: args.attacks,
      epsilons: args.epsilons,
      sampleCount: args.sampleCount,
      ...(args.defenses ? { defenses: args.defenses } : {}),
      ...(args.seed !== undefined ? { seed: args.seed } : {})
    },
    hooks,
    args
  )
  return { runId: String(r.runId), columns: r.columns, rows: r.rows }
}

/** The 'attack-preview' job body: one sample at one ε, as the contract's GalleryItem. */
export async function attackPreviewJob(
  project: ProjectDb,
  args: {
    datasetId: string
    sourceId: string
    targetIds: string[]
    attack: string
    epsilon: number
    sampleIndex: number
  }
) {
  const p = await attackPreview(project, {
    datasetId: Number(args.datasetId),
    sourceModelId: Number(args.sourceId),
    targetModelIds: args.targetIds.map(Number),
    attack: args.attack,
    epsilon: args.epsilon,
    sampleIndex: args.sampleIndex
  })
  return {
    id: `preview-${p.sampleIndex}-${p.attack}-${p.epsilon}`,
    runId: '',
    attack: p.attack,
    epsilon: p.epsilon,
    sampleIndex: p.sampleIndex,
    trueLabel: p.label,
    trueClassName: p.className,
    original: floatPngDataUrl(p.original, p.shape),
    adversarial: floatPngDataUrl(p.adversarial, p.shape),
    perturbation: floatPngDataUrl(p.perturbation, p.shape),
    predictionsClean: p.clean,
    predictionsAdversarial: p.adversarialPredictions
  }
}
