/**
 * Entities as they cross the IPC boundary: plain JSON, no tensors, no Buffers, no Dates
 * (timestamps are ISO strings). Shared by the main side and the renderer. Ids of datasets,
 * models and runs are the project's integer row ids, as in requests, services and the store.
 */
import type {
  ArchitectureName,
  ChannelOrder,
  InputLayout,
  JobKind,
  ModelFormat,
  PenaltyForm,
  SaliencyMethodName,
  ValueScale
} from './names'

/** The project file the window is working on. */
export interface ProjectInfo {
  path: string
  /** File name without extension; shown in the header. */
  name: string
  sizeBytes: number
  /** Schema version of the file (PRAGMA user_version). */
  schemaVersion?: number
}

export interface RecentProject {
  path: string
  name: string
  openedAt: string
  /** False when the file has gone since it was last opened. */
  exists: boolean
}

export interface SystemInfo {
  appVersion: string
  /** Compute backend the engine runs on: tensorflow, wasm or cpu. */
  backend: string
  backendDetail: string
  /** CPU threads the backend computes with (1 where it cannot use more). */
  threads: number
  /**
   * Instruction set of the native convolution kernels in use ('avx512', 'avx2', 'base'), or
   * null where they are not built or not loaded (the backend's own kernels run then).
   */
  nativeKernels: string | null
  /** Why the native kernels are not in use, when they are not. */
  nativeKernelsReason?: string
  platform: string
  /** Whether the host shows native file dialogs (Electron) or asks for typed paths (browser). */
  nativeDialogs: boolean
}

export interface DatasetSummary {
  id: number
  name: string
  classNames: string[]
  height: number
  width: number
  channels: number
  trainCount: number
  validationCount: number
  /** Images per class, index = class index. */
  classCounts: { train: number[]; validation: number[] }
  provenance: Record<string, unknown>
  createdAt: string
}

export interface PreviewImage {
  index: number
  label: number
  className: string
  /** data:image/png;base64,… (the CSP allows data: images only). */
  src: string
}

export interface ModelSummary {
  id: number
  name: string
  /** A built-in ArchitectureName, or what an imported model calls itself. */
  architecture: ArchitectureName | string
  datasetId: number | null
  /** Validation accuracy in [0, 1], when known. */
  accuracy: number | null
  lambda: number
  penaltyForm: PenaltyForm | null
  referenceId: number | null
  /** Mean cosine δ of input gradients to the reference (Eq. 6.3), when measured. */
  deltaToReference: number | null
  /** Set when training detected a collapse (chance accuracy, vanishing gradients, NaN). */
  collapse: string | null
  /**
   * Set when its accuracy is more than 5 points below its reference's (issue 14's accuracy
   * cost): the flag's sentence, with both accuracies and the images they rest on.
   */
  accuracyCost: string | null
  /** training, ready, collapsed, cancelled or failed. */
  status: string
  /**
   * Whether its weights may be attacked, evaluated, exported and trained against: a ready
   * model, or a training stopped early (cancelled, or cut by a crash) that kept a best
   * checkpoint. One rule for the window and the services (services/modelRoles.ts).
   */
  usable: boolean
  /** The best checkpoint training kept (its weights are the model's), or null. */
  checkpoint: { epoch: number; valAccuracy: number } | null
  /** Epochs trained (history rows) and the epochs asked for, e.g. "stopped at epoch 2 of 6". */
  epochsRun: number
  epochsPlanned: number | null
  /**
   * Validation images its accuracy rests on, when known: an import's accuracy check, or a
   * training's validation checks.
   */
  accuracyImages: number | null
  origin: 'trained' | 'imported'
  createdAt: string
  /** [height, width, channels] of the images it takes; null when its record does not say. */
  inputShape: [number, number, number] | null
  numClasses: number | null
  /**
   * The project's datasets it can run on (images and class count fit): the window offers it
   * only for these, by the rule every service enforces (services/compatibility.ts).
   */
  fitsDatasets: number[]
  /** Wilson 95 % interval of the accuracy over its `accuracyImages`. */
  accuracyCi95: [number, number] | null
  /** Formats it can be exported to: a model trained in the app (or a TF.js import) both; an ONNX import none. */
  exportFormats: ModelFormat[]
  /**
   * Feature stages Grad-CAM / CAMERAS may read (the layer picker), the default last; null where
   * the record does not list them (each model then uses its own last spatial stage).
   */
  featureStages: string[] | null
  defaultStage: string | null
  /** An imported ONNX model: where it came from and what it was declared to expect. */
  onnx: {
    file: string
    producer: string
    opset: number
    preprocessing: DeclaredPreprocessing
  } | null
}

/** What an imported model expects (the form's fields; engine/models/onnx/preprocessing.ts). */
export interface DeclaredPreprocessing {
  layout: InputLayout
  /** Null where the file leaves the size open (the form then asks for it). */
  size: { height: number; width: number } | null
  channels: number | null
  channelOrder: ChannelOrder
  valueScale: ValueScale
  /** One value per channel (or one for all), in the model's value scale and channel order. */
  mean: number[]
  std: number[]
  classNames: string[] | null
}

/** A model file read without importing it: what the import form shows and starts from. */
export interface ModelFileInfo {
  path: string
  format: ModelFormat
  /** e.g. "pytorch 2.1.0"; null where the file does not say. */
  producer: string | null
  opset: number | null
  /** The input as the file declares it, e.g. ["batch", 3, 32, 32]. */
  inputDims: (number | string | null)[] | null
  /** ONNX: the defaults for the form (an Ortholens export's metadata, else the input dims). */
  preprocessing: DeclaredPreprocessing | null
  /** Images and classes under those defaults; null where the file leaves them open. */
  inputShape: [number, number, number] | null
  numClasses: number | null
  operators: string[]
  parameterCount: number | null
  /** Every dataset of the project, with why the model does not fit it (null: it fits). */
  datasets: { id: number; name: string; mismatch: string | null }[]
  /** What the form must still supply (e.g. an open input size), or null. */
  problem: string | null
  warnings: string[]
}

/** What a model import answers: the model as listed, and its accuracy check. */
export interface ModelImportView {
  model: ModelSummary
  warnings: string[]
  /** On the dataset picked at import (null without one). */
  evaluation: { datasetId: number; datasetName: string; accuracy: number; images: number } | null
}

/** What a project entity is, for renames and deletes. */
export type EntityKind = 'dataset' | 'model' | 'run'

/** What a delete would take with it, listed for the analyst before anything is removed. */
export interface Dependents {
  target: { kind: EntityKind; id: number; name: string }
  /** Models that go with it: trained on the dataset, or trained against a deleted reference. */
  models: { id: number; name: string; why: string }[]
  /** Runs that used it or a model that goes (their results would name a missing model). */
  runs: { id: number; kind: string; startedAt: string; status: string }[]
  /** Gallery images (original and adversarial) those runs keep. */
  galleryImages: number
  /**
   * Why it cannot be deleted now (a job running on it); empty when it can. A delete with
   * blockers is refused whatever the caller says.
   */
  blockers: string[]
}

/** What a delete removed. */
export interface DeleteResult {
  datasets: number
  models: number
  runs: number
  galleryImages: number
}

/** A rename's outcome: the name given (with a "(2)" suffix when the one asked was taken). */
export interface RenameResult {
  name: string
  warning?: string
}

/** One point of a training curve. */
export interface HistoryPoint {
  epoch: number
  step?: number
  loss?: number
  accuracy?: number
  valAccuracy?: number
  delta?: number
}

export type RunKind =
  | 'explain'
  | 'explain-adversarial'
  | 'sanity'
  | 'saliency-pgd'
  | 'import'
  | 'train'
  | 'attack-sweep'
  | 'defense-table'
  | 'similarity'
  | 'model-import'
  | 'model-export'
  | 'robustness-evaluation'
export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted'

export interface RunSummary {
  id: number
  kind: RunKind | string
  status: RunStatus | string
  /**
   * What the run was asked and used: `{ request, resolved }` (jobs.ts StoredRunConfig); the
   * request is replayed by a re-run. Runs recorded before that layout hold a flat object.
   */
  config: Record<string, unknown>
  result: unknown
  backend: string | null
  seed: number | null
  modelIds: number[]
  datasetId: number | null
  startedAt: string
  finishedAt: string | null
  durationMs: number | null
  error: string | null
}

/** A model's prediction on one image, as gallery items store it and the window shows it. */
export interface Prediction {
  modelId: number
  modelName: string
  label: number
  className: string
  confidence: number
  /** Adversarial only: the prediction differs from the clean one. */
  fooled?: boolean
  /** Adversarial only: still fooled once the image is rounded to 8 bits (as a saved PNG). */
  fooledRounded?: boolean
  labelRounded?: number
}

/** One gallery row: original, adversarial and amplified perturbation, each model's prediction. */
export interface GalleryItem {
  /** Key of the item within its list ("<run>-<position>", or "preview-…"). */
  id: string
  /** The sweep it belongs to; null for a live preview. */
  runId: number | null
  attack: string
  epsilon: number
  sampleIndex: number
  trueLabel: number
  trueClassName: string
  original: string
  adversarial: string
  perturbation: string
  predictionsClean: Prediction[]
  predictionsAdversarial: Prediction[]
}

/** Fooling ratio vs ε for one attack on one model (Figures 6.5–6.7). */
/** Source, ordinary (λ = 0 or another reference) or orthogonal to the source (λ > 0). */
export type ModelKind = 'source' | 'ordinary' | 'orthogonal'

/** One point of a curve: the fooling ratio, the images fooled of the total, its 95 % interval. */
export interface SweepPoint {
  epsilon: number
  foolingRatio: number
  /** Images fooled of `total` (filled in when read; older runs stored the ratio only). */
  fooled?: number
  total?: number
  /** Wilson 95 % interval over the `total` images. */
  ci95?: [number, number]
}

export interface SweepCurve {
  attack: string
  modelId: number
  modelName: string
  role: 'source' | 'target'
  /** From the model's own lineage: 'orthogonal' is orthogonal to its own reference, whatever the source. */
  kind: ModelKind
  /** An orthogonal model's own reference (it may differ from the source: Figure 6.7). */
  orthogonalTo?: number | null
  points: SweepPoint[]
}

export interface AttackSweepResult {
  runId: number
  sampleCount: number
  curves: SweepCurve[]
}

/** Table 6.3: rows are defense variants, columns clean / attack@ε per model. */
export interface DefenseTableResult {
  runId: number
  columns: { key: string; label: string }[]
  rows: {
    key: string
    label: string
    values: Record<string, number | null>
    /** Wilson 95 % interval of each value over the samples. */
    ci95?: Record<string, [number, number] | null>
  }[]
  /** Samples every value rests on. */
  sampleCount: number
  /**
   * Column key → the key of the row marked ★: only a separable lowest (its 95 % interval over
   * `sampleCount` images lies below every other row's); a column without a clear best is absent.
   */
  best: Record<string, string>
  /** The dataset the table was built on (null when it was deleted). */
  datasetName: string | null
  /** The source, ordinary and orthogonal models of the table (empty for old runs). */
  models: {
    id: number
    name: string
    role: 'source' | 'ordinary' | 'orthogonal'
    /** The accuracy-cost flag's sentence when the model was flagged as the table was built. */
    accuracyCost?: string | null
  }[]
  /** What the table measures and what it does not (transfer only; adaptive figures). */
  note: string[]
}

/** δ between two models over validation images (Tables 6.1 / 6.2), with both accuracies. */
export interface SimilarityResult {
  runId: number
  modelA: number
  modelB: number
  /** Mean ± sample std of the cosine δ, and mean |δ|. */
  mean: number
  std: number
  meanAbs: number
  /** Validation images it rests on. */
  count: number
  accuracyA: number
  accuracyB: number
  /** Wilson 95 % intervals of the accuracies over the `count` images. */
  accuracyCi95A?: [number, number]
  accuracyCi95B?: [number, number]
  /**
   * The per-image δ counted in equal bins over [-1, 1] (`edges` has one more entry than
   * `counts`). Absent on runs recorded before it was kept.
   */
  histogram?: { edges: number[]; counts: number[] }
}

export type JobStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled'

export interface JobInfo {
  id: string
  kind: JobKind
  label: string
  status: JobStatus
  fraction: number
  stage: string
  etaSeconds: number | null
  queuedAt: string
}

/** One saliency map drawn over its image, or why the method could not run on that model. */
export interface SaliencyCell {
  method: SaliencyMethodName
  /** data:image/png heat map over the image; null when the method was refused. */
  src: string | null
  error?: string
}

/** One model's view of one image: what it predicts, which class is explained, the maps. */
export interface ExplainCell {
  modelId: number
  modelName: string
  predictedClassName: string
  explainedClassName: string
  maps: SaliencyCell[]
}

export interface ExplainRow {
  sampleIndex: number
  trueClassName: string
  /** data:image/png of the image itself. */
  image: string
  cells: ExplainCell[]
}

/** Figure 6.3: maps of several models for the same images, side by side. */
export interface ExplainGrid {
  runId: number
  methods: SaliencyMethodName[]
  models: { modelId: number; modelName: string; note?: string }[]
  rows: ExplainRow[]
}

/** An adversarial image next to its original, with one model's maps of both (true class explained). */
export interface AdversarialExplainView {
  runId: number
  attack: string
  epsilon: number
  steps: number
  original: ExplainGrid
  adversarial: ExplainGrid
}

/** Sanity scores of Grad-CAM vs CAMERAS (lower is saner) over a set of images. */
export interface SanityView {
  runId: number
  modelId: number
  modelName: string
  sampleCount: number
  fractions: number[]
  methods: {
    method: SaliencyMethodName
    mean: number | null
    std: number | null
    median: number | null
    meanCurve: number[]
    error?: string
  }[]
  idealCurve: number[]
  worstCurve: number[]
  wins?: { gradcam: number; cameras: number; ties: number }
}

export interface PgdSummaryView {
  meanL2: number
  meanLinf: number
  foolingRate: number
  /** Images the fooling rate rests on, and its Wilson 95 % interval over them. */
  images: number
  foolingCi95: [number, number] | null
  meanFoolingConfidence: number
}

/** Vanilla vs saliency-enhanced PGD at the same ε and steps (Figure 5.13). */
export interface SaliencyPgdView {
  runId: number
  epsilon: number
  steps: number
  method: string
  sampleCount: number
  drawn: number
  models: {
    modelId: number
    modelName: string
    role: 'source' | 'target'
    vanilla: PgdSummaryView
    enhanced: PgdSummaryView
  }[]
}

/** One folder as the browser-mode folder picker shows it (system.listFolder). */
export interface FolderListing {
  /** The folder listed, as a real path (links resolved). */
  path: string
  /** Its parent, or null at the top of the place it lies in (one of `roots`). */
  parent: string | null
  /** The places the picker may browse: the user's documents, home, the project's folder … */
  roots: { label: string; path: string }[]
  /** Sub-folder names (hidden ones left out), sorted. */
  folders: string[]
  /** File names with their size, sorted. */
  files: { name: string; sizeBytes: number }[]
  /** More entries than were listed. */
  truncated: boolean
}

/** What an export wrote. */
export interface ExportResult {
  /** The file written, or the folder written into. */
  path: string
  /** Every file written (one for a single file). */
  files: string[]
  /** A picture's size in pixels. */
  width?: number
  height?: number
}
