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
import { createRun, finishRun, updateRunProgress, type ProjectDb } from '../../store'
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
        variants
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
    finishRun(db, runId, {
      status: 'done',
      results: {
        sampleCount: table.sampleCount,
        requested: sampleCount,
        models: [
          { id: source.id, name: source.name, role: 'source' },
          { id: ordinary.id, name: ordinary.name, role: 'ordinary' },
          { id: orthogonal.id, name: orthogonal.name, role: 'orthogonal' }
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
