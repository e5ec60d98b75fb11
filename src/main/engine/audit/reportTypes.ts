/**
 * What the report is made of: its sections and the data collected from a project (models,
 * similarity, sweeps, defense tables, gallery, runs). Types only, shared by the HTML generator
 * (report.ts, which re-exports them) and the CSV writer (reportCsv.ts) without an import cycle.
 */
/** One part of the report: an anchor id, a heading, and its body as trusted HTML. */
export interface ReportSection {
  id: string
  title: string
  html: string
}

/** A model as the report lists it. */
export interface ReportModel {
  id: number
  name: string
  architecture: string
  status: string
  /** ordinary / orthogonal / reference — colours the curves like Figure 6.5. */
  kind: 'reference' | 'ordinary' | 'orthogonal' | 'other'
  lambda: number | null
  referenceId: number | null
  accuracy: number | null
  /** Validation images the accuracy rests on (its Wilson interval's n), when known. */
  accuracyImages?: number | null
  /** Mean cosine δ of input gradients to its reference (Eq. 6.3). */
  delta: number | null
  /** Raised flags in words (e.g. the accuracy cost against its reference); shown wherever it appears. */
  flags?: string[]
}

/** A Table 6.1-style row: δ between two models. */
export interface ReportSimilarity {
  modelA: string
  modelB: string
  mean: number
  std: number
  count: number
  accuracyA: number | null
  accuracyB: number | null
}

export interface ReportCurve {
  attack: string
  modelId: number
  modelName: string
  /** 'source' draws red, 'orthogonal' green, anything else black (Figure 6.5). */
  role: string
  points: { epsilon: number; foolingRatio: number }[]
}

export interface ReportSweep {
  runId: number
  sampleCount: number
  epsilons: number[]
  attacks: string[]
  curves: ReportCurve[]
}

export interface ReportDefenseTable {
  runId: number
  sampleCount: number
  columns: { key: string; label: string }[]
  rows: {
    key: string
    label: string
    values: Record<string, number | null>
    best?: Record<string, boolean>
  }[]
  /** What the table measures and what it does not (transfer only, adaptive figures). */
  note?: string[]
  /** Per row key, the flags of the model that row shows (e.g. its accuracy cost). */
  rowFlags?: Record<string, string[]>
}

export interface ReportPrediction {
  modelName: string
  className: string
  confidence: number
  fooled?: boolean
  fooledRounded?: boolean
}

export interface ReportGalleryItem {
  runId: number
  attack: string
  epsilon: number
  trueClassName: string
  /** PNG data URIs. */
  original: string
  adversarial: string
  perturbation: string
  clean: ReportPrediction[]
  adversarialPredictions: ReportPrediction[]
}

/** A run's settings as recorded: shown verbatim so the audit can be repeated. */
export interface ReportRunInfo {
  runId: number
  kind: string
  status: string
  backend: string
  seed: number | null
  startedAt: string
  durationMs: number | null
  config: object
}

export interface ReportData {
  title: string
  projectName: string
  generatedAt: string
  appVersion?: string
  models: ReportModel[]
  similarity: ReportSimilarity[]
  sweeps: ReportSweep[]
  defenseTables: ReportDefenseTable[]
  gallery: ReportGalleryItem[]
  runs: ReportRunInfo[]
}
