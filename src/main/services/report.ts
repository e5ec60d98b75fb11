/**
 * The audit report of a project (SPEC §2.8): collects its models, similarity runs, attack
 * sweeps, defense tables and a gallery from the store into the pure report generator
 * (engine/audit/report), and writes the HTML plus CSVs of every table and a gallery PNG.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  defenseCsv,
  modelsCsv,
  renderReport,
  similarityCsv,
  sweepCsv,
  toCsv,
  type ReportData,
  type ReportDefenseTable,
  type ReportGalleryItem,
  type ReportModel,
  type ReportSection,
  type ReportSimilarity,
  type ReportSweep
} from '../engine/audit/report'
import type { Prediction, SweepCurve } from '../../contract/entities'
import type { AttackSweepRequest, SimilarityRequest } from '../../contract/requests'
import { amplifiedPerturbation } from '../engine/render/perturbation'
import { floatPngDataUrl } from '../engine/render/png'
import type { PlanResult } from '../../contract/plans'
import { accuracyImagesOf } from './intervals'
import { planCsvFiles, planSections, reportedPlans } from './plans/reportSection'
import {
  getProjectMeta,
  getRun,
  listDatasets,
  listModels,
  listRuns,
  type ProjectDb,
  type RunRecord,
  type StoredDataset,
  type StoredModel,
  RecordNotFoundError
} from '../store'
import { defenseTableNote } from './audits/defenseNote'
import type { DefenseTableModel } from './audits/defenseTable'
import { accuracyCostOf } from './evaluation/accuracyCost'
import { EVALUATION_CSV_HEADERS, evaluationCsvRows } from './evaluation/csv'
import { evaluationReportSection } from './evaluation/reportSection'
import { evaluationView, storedEvaluation } from './evaluation/view'
import { galleryOf } from './audits/gallery'
import { defenseStars } from './audits/defenseStars'
import { defenseColumnLabel, defenseRowLabel } from '../../contract/words'
import { gallerySheet, sheetContext } from './audits/galleryExport'
import { writeExportFile } from './exportFiles'
import { modelNames, withCurrentModelNames } from './lifecycle'
import { latestExplanationsSection } from './explain/reportSection'
import { kindOf, storedModel, trainingOf } from './modelRoles'
import { storedRequest } from './runs'

export interface ReportOptions {
  /** Runs to include; default: every finished sweep, defense table and similarity run. */
  runIds?: number[]
  /** Gallery: samples per sweep (default 4) … */
  gallerySamples?: number
  /** … each shown at the recorded ε nearest to this (default 0.03, Table 6.3's ε1). */
  galleryEpsilon?: number
  /** Further sections (e.g. Explanations), placed before the settings. */
  sections?: ReportSection[]
  title?: string
}

/**
 * A model's role: orthogonal when trained with λ > 0 against a reference; reference when
 * another model of the project was trained against it; otherwise an ordinary model.
 */
function modelRow(
  m: StoredModel,
  referencedIds: Set<number>,
  models: readonly StoredModel[],
  datasets: readonly StoredDataset[]
): ReportModel {
  const metrics = (m.metrics ?? {}) as { valAccuracy?: number; delta?: { mean?: number } }
  const lambda = trainingOf(m).lambda
  const kind: ReportModel['kind'] =
    lambda > 0 && m.referenceModelId !== null
      ? 'orthogonal'
      : referencedIds.has(m.id)
        ? 'reference'
        : 'ordinary'
  return {
    id: m.id,
    name: m.name,
    architecture: String((m.architecture as { arch?: string }).arch ?? 'unknown'),
    status: m.status,
    kind,
    lambda,
    referenceId: m.referenceModelId,
    accuracy: typeof metrics.valAccuracy === 'number' ? metrics.valAccuracy : null,
    accuracyImages: accuracyImagesOf(m, datasets),
    delta: typeof metrics.delta?.mean === 'number' ? metrics.delta.mean : null,
    flags: [accuracyCostOf(m, models, datasets)]
      .filter((f): f is string => f !== null)
      .map((f) => `Accuracy cost: ${f}`)
  }
}

/** The runs to report, their models under their current names (after a rename). */
function runsOf(project: ProjectDb, runIds?: number[]): RunRecord[] {
  const names = modelNames(project)
  const ids =
    runIds ??
    listRuns(project.db, { status: 'done' })
      .filter((r) =>
        ['attack-sweep', 'defense-table', 'similarity', 'robustness-evaluation'].includes(r.kind)
      )
      .map((r) => r.id)
      .reverse()
  return ids.map((id) => {
    const run = getRun(project.db, id)
    if (!run) throw new RecordNotFoundError('run', id)
    if (run.status !== 'done')
      throw new RangeError(
        `Run ${id} (${run.kind}) is ${run.status}, not done: it has no results to report`
      )
    return { ...run, results: withCurrentModelNames(run.results, names) }
  })
}

/** The source of a sweep: its request's (legacy sweeps recorded it as `sourceModelId`). */
function sweepSource(run: RunRecord): number {
  const request = storedRequest(run) as Partial<AttackSweepRequest> | undefined
  return Number(request?.sourceId ?? (run.config as { sourceModelId?: unknown }).sourceModelId)
}

/**
 * The extra sections: the ones given, else the project's plans (Table 6.2, Figures 6.6 / 6.7)
 * and its latest explanations (if any).
 */
function sectionsFor(project: ProjectDb, options: ReportOptions): ReportSection[] {
  if (options.sections) return options.sections
  const explanations = latestExplanationsSection(project)
  return [
    ...planSections(reportedPlans(project, options.runIds)),
    ...(explanations ? [explanations] : [])
  ]
}

/** Everything the report shows, read from the project (no computation beyond encoding). */
export function collectReport(project: ProjectDb, options: ReportOptions = {}): ReportData {
  const runs = runsOf(project, options.runIds)
  const models = listModels(project.db)
  const datasets = listDatasets(project.db)
  const nameOf = (id: unknown) =>
    models.find((m) => m.id === Number(id))?.name ?? `model ${String(id)}`
  const gallerySamples = options.gallerySamples ?? 4
  const galleryEpsilon = options.galleryEpsilon ?? 0.03

  const similarity: ReportSimilarity[] = runs
    .filter((r) => r.kind === 'similarity')
    .map((r) => {
      const c = storedRequest(r) as SimilarityRequest
      const res = r.results as {
        mean: number
        std: number
        count: number
        accuracyA?: number
        accuracyB?: number
      }
      return {
        modelA: nameOf(c.modelA),
        modelB: nameOf(c.modelB),
        mean: res.mean,
        std: res.std,
        count: res.count,
        accuracyA: res.accuracyA ?? null,
        accuracyB: res.accuracyB ?? null
      }
    })

  const sweeps: ReportSweep[] = []
  const gallery: ReportGalleryItem[] = []
  for (const r of runs.filter((x) => x.kind === 'attack-sweep')) {
    const res = r.results as {
      sampleCount: number
      epsilons: number[]
      attacks: string[]
      curves: SweepCurve[]
    }
    const source = sweepSource(r)
    sweeps.push({
      runId: r.id,
      sampleCount: res.sampleCount,
      epsilons: res.epsilons,
      attacks: res.attacks,
      // Colour by what the model is (source / ordinary / orthogonal), as Figure 6.5 does.
      curves: res.curves.map((c) => {
        const m = models.find((x) => x.id === c.modelId)
        // From the model's lineage as it stands (older sweeps stored a source-relative kind).
        return { ...c, role: m ? kindOf(m, source) : (c.kind ?? c.role) }
      })
    })
    const items = galleryOf(project, r.id)
    const samples = [...new Set(items.map((i) => i.sampleIndex))].slice(0, gallerySamples)
    for (const sample of samples) {
      for (const attack of res.attacks) {
        const candidates = items.filter((i) => i.sampleIndex === sample && i.attack === attack)
        if (candidates.length === 0) continue
        const item = candidates.reduce((a, b) =>
          Math.abs(b.epsilon - galleryEpsilon) < Math.abs(a.epsilon - galleryEpsilon) ? b : a
        )
        const pred = (p: Prediction) => ({
          modelName: p.modelName,
          className: p.className,
          confidence: p.confidence,
          fooled: p.fooled,
          fooledRounded: p.fooledRounded
        })
        gallery.push({
          runId: r.id,
          attack,
          epsilon: item.epsilon,
          trueClassName: item.className,
          original: floatPngDataUrl(item.original, item.shape),
          adversarial: floatPngDataUrl(item.adversarial, item.shape),
          perturbation: floatPngDataUrl(
            amplifiedPerturbation(item.original, item.adversarial),
            item.shape
          ),
          clean: item.predictions.clean.map(pred),
          adversarialPredictions: item.predictions.adversarial.map(pred)
        })
      }
    }
  }

  const defenseTables: ReportDefenseTable[] = runs
    .filter((r) => r.kind === 'defense-table')
    .map((r) => {
      const res = r.results as Omit<ReportDefenseTable, 'runId'> & {
        models?: Partial<DefenseTableModel>[]
      }
      const tableModels = res.models ?? []
      // The ordinary target's rows and the orthogonal model's row carry their model's flags.
      const flagsOf = (role: 'ordinary' | 'orthogonal') => {
        const m = tableModels.find((x) => x.role === role)
        if (m?.id === undefined || !models.some((x) => x.id === m.id)) return []
        const cost = m.accuracyCost ?? accuracyCostOf(storedModel(project, m.id), models, datasets)
        return cost ? [`Accuracy cost of "${m.name}": ${cost}`] : []
      }
      // Rows and columns in words, and the ★ by the separable-lowest rule (old runs too).
      const stars = defenseStars(res.columns, res.rows, res.sampleCount)
      return {
        runId: r.id,
        sampleCount: res.sampleCount,
        columns: res.columns.map((c) => ({ ...c, label: defenseColumnLabel(c.key, c.label) })),
        rows: res.rows.map((row) => ({
          ...row,
          label: defenseRowLabel(row.key, row.label),
          best: Object.fromEntries(res.columns.map((c) => [c.key, stars[c.key] === row.key]))
        })),
        note: defenseTableNote(
          { columns: res.columns, rows: res.rows, sampleCount: res.sampleCount },
          tableModels.find((m) => m.role === 'source')?.name
        ),
        rowFlags: Object.fromEntries(
          res.rows.map((row) => [
            row.key,
            flagsOf(row.key === 'orthogonal' ? 'orthogonal' : 'ordinary')
          ])
        )
      }
    })

  const meta = getProjectMeta(project.db)
  return {
    title: options.title ?? `Ortholens audit — ${meta.name}`,
    projectName: meta.name,
    generatedAt: new Date().toISOString(),
    models: models.map((m) =>
      modelRow(
        m,
        new Set(models.map((x) => x.referenceModelId).filter((id): id is number => id !== null)),
        models,
        datasets
      )
    ),
    similarity,
    sweeps,
    defenseTables,
    gallery,
    runs: runs.map((r) => ({
      runId: r.id,
      kind: r.kind,
      status: r.status,
      backend: r.backend,
      seed: r.seed,
      startedAt: r.startedAt,
      durationMs: r.durationMs,
      config: r.config
    }))
  }
}

/** The robustness verdict of the evaluations among the report's runs (newest first). */
function leadSectionsFor(project: ProjectDb, options: ReportOptions): ReportSection[] {
  const views = runsOf(project, options.runIds)
    .filter((r) => r.kind === 'robustness-evaluation')
    .sort((a, b) => b.id - a.id)
    .map((r) => evaluationView(project, r))
  const section = evaluationReportSection(views)
  return section ? [section] : []
}

/** The report as one self-contained HTML string. */
export function buildReportHtml(project: ProjectDb, options: ReportOptions = {}): string {
  return renderReport(
    collectReport(project, options),
    sectionsFor(project, options),
    leadSectionsFor(project, options)
  )
}

/** Every table of a report as CSV text, keyed by file name. */
export function reportCsvFiles(
  data: ReportData,
  plans: readonly PlanResult[] = []
): Record<string, string> {
  const files: Record<string, string> = { 'models.csv': modelsCsv(data.models) }
  if (data.similarity.length) files['similarity.csv'] = similarityCsv(data.similarity)
  for (const s of data.sweeps) files[`attack-sweep-${s.runId}.csv`] = sweepCsv(s)
  for (const t of data.defenseTables) files[`defense-table-${t.runId}.csv`] = defenseCsv(t)
  Object.assign(files, planCsvFiles(plans, toCsv))
  return files
}

export interface WrittenReport {
  htmlPath: string
  /** CSVs and gallery PNGs written into `csvDir`. */
  files: string[]
}

/**
 * Writes the HTML report to `out` and, with `csvDir`, a CSV of every table and a PNG of each
 * sweep's gallery grid (original / adversarial / amplified perturbation per row).
 */
export function writeReport(
  project: ProjectDb,
  out: string,
  options: ReportOptions & { csvDir?: string } = {}
): WrittenReport {
  const data = collectReport(project, options)
  writeExportFile(
    out,
    renderReport(data, sectionsFor(project, options), leadSectionsFor(project, options))
  )
  const files: string[] = []
  if (options.csvDir) {
    mkdirSync(options.csvDir, { recursive: true })
    const plans = options.sections ? [] : reportedPlans(project, options.runIds)
    const evaluationCsvs = runsOf(project, options.runIds)
      .filter((r) => r.kind === 'robustness-evaluation')
      .map((r): [string, string] => [
        `robustness-evaluation-${r.id}.csv`,
        toCsv(EVALUATION_CSV_HEADERS, evaluationCsvRows(storedEvaluation(r).evaluation))
      ])
    for (const [name, text] of [
      ...Object.entries(reportCsvFiles(data, plans)),
      ...evaluationCsvs
    ]) {
      const p = join(options.csvDir, name)
      writeFileSync(p, text)
      files.push(p)
    }
    for (const s of data.sweeps) {
      const items = galleryOf(project, s.runId)
      if (items.length === 0) continue
      const chosen = items.filter((i) =>
        data.gallery.some(
          (g) => g.runId === s.runId && g.attack === i.attack && g.epsilon === i.epsilon
        )
      )
      const rows = (chosen.length ? chosen : items).slice(0, 32)
      const p = join(options.csvDir, `gallery-${s.runId}.png`)
      // The labelled sheet, as the window exports it (galleryExport.ts).
      writeFileSync(p, gallerySheet(rows, sheetContext(project, s.runId)).png)
      files.push(p)
    }
  }
  return { htmlPath: out, files }
}
