/**
 * Table 6.3 (thesis §6.4.4): the source crafts; the ordinary target is shown undefended and
 * behind each input-transformation defense, the orthogonal target undefended. Stored as a
 * 'defense-table' run with the table, best-per-column marks and its CSV text.
 */
import type { StoredRunConfig } from '../../../contract/jobs'
import type { DefenseTableRequest } from '../../../contract/requests'
import { backendInfo } from '../../engine/backend'
import { getDefense, tableVariants } from '../../engine/defenses'
import {
  buildDefenseTable,
  TABLE_EPSILONS,
  toCsv as defenseTableCsv
} from '../../engine/audit/defenseTable'
import type { LoadedModel } from '../../engine/models'
import {
  createRun,
  finishRun,
  listDatasets,
  listModels,
  updateRunProgress,
  type ProjectDb
} from '../../store'
import { accuracyCostOf } from '../evaluation/accuracyCost'
import { datasetOf } from '../datasets'
import { requireRequestFits } from '../compatibility'
import type { JobHooks } from '../hooks'
import { requireUsable } from '../modelRoles'
import { loadClassifier } from '../models'
import { closeFailedRun } from '../runFailure'
import {
  DEFAULT_AUDIT_BATCH,
  DEFAULT_SAMPLE_COUNT,
  progressWriter,
  resolvedSettings,
  THESIS_ATTACKS
} from './settings'

export interface DefenseTableOutcome {
  runId: number
  sampleCount: number
  /** Its models; `accuracyCost` is the accuracy-cost flag's sentence when raised (issue 14). */
  models: DefenseTableModel[]
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

export interface DefenseTableModel {
  id: number
  name: string
  role: 'source' | 'ordinary' | 'orthogonal'
  accuracyCost: string | null
}

/** Builds the table a request asks for and stores it (request and resolved settings) as a run. */
export async function runDefenseTable(
  project: ProjectDb,
  request: DefenseTableRequest,
  hooks: JobHooks = {}
): Promise<DefenseTableOutcome> {
  const started = performance.now()
  const db = project.writable()
  const ids = [request.sourceId, request.ordinaryId, request.orthogonalId]
  if (new Set(ids).size !== 3)
    throw new RangeError('Source, ordinary and orthogonal models must be three different models')
  const source = requireUsable(project, request.sourceId, 'source')
  const ordinary = requireUsable(project, request.ordinaryId, 'ordinary target')
  const orthogonal = requireUsable(project, request.orthogonalId, 'orthogonal target')
  requireRequestFits(project, request)
  const ds = datasetOf(project, request.datasetId)
  const attacks: string[] = request.attacks ?? THESIS_ATTACKS
  const epsilons = request.epsilons ?? TABLE_EPSILONS
  const sampleCount = request.sampleCount ?? DEFAULT_SAMPLE_COUNT
  const seed = request.seed ?? 0
  const batchSize = request.batchSize ?? DEFAULT_AUDIT_BATCH
  const settings = request.attackSettings ?? {}
  const adaptive = request.adaptive
  const wanted: string[] | undefined = request.defenses
  const variants = tableVariants().filter((v) => !wanted || wanted.includes(v.defenseId))
  const backend = (await backendInfo()).name
  const config: StoredRunConfig<'defense-table'> = {
    request,
    resolved: {
      attacks,
      epsilons,
      sampleCount,
      seed,
      batchSize,
      defenses: variants.map((v) => ({ id: v.defenseId, value: v.value, label: v.label })),
      // How each defense is implemented (rounding, σ, border mode …): needed to reproduce it.
      defenseNotes: Object.fromEntries(
        [...new Set(variants.map((v) => v.defenseId))].map((d) => [d, getDefense(d).notes])
      ),
      attackSettings: resolvedSettings(attacks, epsilons, settings, batchSize),
      ...(adaptive
        ? { adaptive: resolvedSettings([adaptive], epsilons, settings, batchSize)[adaptive] }
        : {}),
      backend
    }
  }
  const runId = createRun(db, {
    kind: 'defense-table',
    config,
    seed,
    backend,
    datasetId: request.datasetId,
    modelIds: ids
  })
  const nets: LoadedModel[] = []
  try {
    for (const id of ids) nets.push(loadClassifier(project, id))
    const write = progressWriter((p) => updateRunProgress(db, runId, p))
    const table = await buildDefenseTable(
      ds,
      { source: nets[0]!, target: nets[1]!, orthogonal: nets[2]! },
      {
        attacks: attacks.map((id) => ({ id, config: settings[id as keyof typeof settings] })),
        epsilons,
        sampleCount,
        seed,
        batchSize,
        variants,
        ...(adaptive ? { adaptive: { id: adaptive, config: settings[adaptive] } } : {})
      },
      {
        signal: hooks.signal,
        onProgress: (p) => {
          const fraction = p.completed / Math.max(1, p.total)
          const stage = `Defense table: ${p.completed}/${p.total} batches × attacks`
          hooks.onProgress?.({ fraction, stage })
          write(fraction, stage)
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
    const stored = listModels(project.db)
    const datasets = listDatasets(project.db)
    const models: DefenseTableModel[] = [
      [source, 'source'] as const,
      [ordinary, 'ordinary'] as const,
      [orthogonal, 'orthogonal'] as const
    ].map(([m, role]) => ({
      id: m.id,
      name: m.name,
      role,
      accuracyCost: accuracyCostOf(m, stored, datasets)
    }))
    finishRun(db, runId, {
      status: 'done',
      results: {
        sampleCount: table.sampleCount,
        requested: sampleCount,
        models,
        columns,
        rows,
        csv,
        seconds
      }
    })
    return { runId, sampleCount: table.sampleCount, models, columns, rows, csv, seconds }
  } catch (err) {
    throw closeFailedRun(db, runId, err, hooks.signal)
  } finally {
    for (const n of nets) n.dispose()
  }
}
