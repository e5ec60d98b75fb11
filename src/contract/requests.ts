/**
 * The one request map: channel → argument schema (validated on the main side) and result type.
 * Every transport (Electron IPC, the loopback WebSocket) carries exactly these channels, and the
 * same request types are the services' inputs, the job messages' arguments, what the command
 * line parses its flags into and what every run stores (`config.request`) for a re-run. One
 * set of names from the window to the record; ids are the project's integer ids everywhere.
 */
import type {
  AdversarialExplainView,
  AttackSweepResult,
  DatasetSummary,
  DefenseTableResult,
  DeleteResult,
  Dependents,
  ExplainGrid,
  ExportResult,
  FolderListing,
  GalleryItem,
  HistoryPoint,
  JobInfo,
  ModelFileInfo,
  ModelImportView,
  ModelSummary,
  PreviewImage,
  ProjectInfo,
  RecentProject,
  RenameResult,
  RunSummary,
  SaliencyPgdView,
  SanityView,
  SystemInfo
} from './entities'
import { evaluationRequest, type EvaluationView } from './evaluation'
import { LIMITS } from './limits'
import {
  ARCHITECTURES,
  ATTACK_NAMES,
  CHANNEL_ORDERS,
  DEFENSE_NAMES,
  FIXED_SIZE_HEADS,
  INPUT_LAYOUTS,
  MODEL_FORMATS,
  PICK_PURPOSES,
  SALIENCY_METHODS,
  VALUE_SCALES
} from './names'
import { attackSettingsSchema } from './attackSettings'
import { planRequest, planResumeRequest, type PlanResult } from './plans'
import { checkOptimizerSettings, trainSettingsShape } from './training'
import { s, ValidationError, type Infer } from './validate'

/** A project's row id (datasets, models, runs): a positive integer. */
const id = s.int({ min: 1, max: Number.MAX_SAFE_INTEGER })
const filePath = s.string({ min: 1, max: 4096 })
const seed = s.int(LIMITS.seed)
const epsilon = s.number(LIMITS.epsilon)
const attack = s.literal(...ATTACK_NAMES)
const sampleIndex = s.int({ min: 0, max: Number.MAX_SAFE_INTEGER })
const methods = s.optional(
  s.array(s.literal(...SALIENCY_METHODS), { min: 1, max: SALIENCY_METHODS.length })
)
const fixedSizeHead = s.optional(s.literal(...FIXED_SIZE_HEADS))
const batchSize = s.optional(s.int(LIMITS.batchSize))
const name = s.string({ min: 1, max: 200 })
/**
 * A chart PNG's base64 text, at most: under the loopback host's 1 MiB message cap (a window's
 * chart at 2× is 30–150 kB).
 */
export const CHART_PNG_MAX_BASE64 = 900_000

function distinct(ids: number[], path: string, message: string): void {
  if (new Set(ids).size !== ids.length) throw new ValidationError(path, message)
}

/** Settings of one attack other than ε (contract/attackSettings.ts). */
export const attackSettings = attackSettingsSchema
const perAttackSettings = s.optional(s.record(ATTACK_NAMES, attackSettings))

export const datasetSource = s.tagged('kind', {
  builtin: {},
  /** The importers' `match` picks the format from the files. */
  auto: { path: filePath },
  imageFolder: { path: filePath },
  cifar10: { path: filePath },
  idx: { paths: s.array(filePath, { min: 1, max: 8 }) }
})

export const datasetImportRequest = s.object({
  source: datasetSource,
  name: s.optional(name),
  validationFraction: s.optional(s.number(LIMITS.validationFraction)),
  /** Seed of the train/validation split and of `maxPerClass`'s draw. */
  seed: s.optional(seed),
  resize: s.optional(s.object({ height: s.int(LIMITS.imageSide), width: s.int(LIMITS.imageSide) })),
  /** Take at most this many images per class (seeded draw): a quick first look. */
  maxPerClass: s.optional(s.int(LIMITS.trainLimit)),
  /** 'stop' (default): the first bad file aborts the import; 'skip': it is listed and left out. */
  onBadFile: s.optional(s.literal('stop', 'skip'))
})

/**
 * Ordinary (λ = 0) or orthogonal training (thesis Algorithm 7). Absent settings take the
 * engine's defaults (engine/training/train.ts DEFAULT_TRAIN_CONFIG), recorded with the run.
 */
export const trainRequest = s.refine(
  s.object({
    name,
    datasetId: id,
    architecture: s.literal(...ARCHITECTURES),
    /** The frozen reference K; required when λ > 0, optional otherwise (δ is then reported). */
    referenceId: s.optional(id),
    ...trainSettingsShape
  }),
  (r) => {
    if ((r.lambda ?? 0) > 0 && r.referenceId === undefined) {
      throw new ValidationError(
        'referenceId',
        'orthogonal training (lambda > 0) needs a reference model'
      )
    }
    checkOptimizerSettings(r)
  }
)

/** δ mean ± std between two models over validation images (Tables 6.1 / 6.2). */
export const similarityRequest = s.object({
  datasetId: id,
  modelA: id,
  modelB: id,
  /** Validation images averaged over (seeded draw); default 1000. */
  valLimit: s.optional(s.int(LIMITS.valLimit)),
  seed: s.optional(seed)
})

/** The transfer ε sweep (thesis §6.4): the source crafts, every model is evaluated. */
export const attackSweepRequest = s.refine(
  s.object({
    datasetId: id,
    sourceId: id,
    targetIds: s.optional(s.array(id, LIMITS.targets)),
    /** Default: the thesis' FGSM, I-FGSM, MI-FGSM and PGD. */
    attacks: s.optional(s.array(attack, { min: 1, max: ATTACK_NAMES.length })),
    /** Default 0 … 8 % (engine/audit/transfer.ts DEFAULT_EPSILONS). */
    epsilons: s.optional(s.array(epsilon, LIMITS.sweepEpsilons)),
    /** Default 1000. */
    sampleCount: s.optional(s.int(LIMITS.sampleCount)),
    /** Default 8. */
    gallerySamples: s.optional(s.int(LIMITS.gallerySamples)),
    seed: s.optional(seed),
    batchSize,
    attackSettings: perAttackSettings
  }),
  (r) => {
    if (r.targetIds?.includes(r.sourceId)) {
      throw new ValidationError(
        'targetIds',
        'the source is always evaluated; do not list it among the targets'
      )
    }
    distinct(r.targetIds ?? [], 'targetIds', 'lists a model twice')
  }
)

/** Table 6.3: the ordinary target behind each defense next to the orthogonal model. */
export const defenseTableRequest = s.refine(
  s.object({
    datasetId: id,
    sourceId: id,
    ordinaryId: id,
    orthogonalId: id,
    attacks: s.optional(s.array(attack, { min: 1, max: ATTACK_NAMES.length })),
    /**
     * An attack crafted on each row's own model (BPDA through its defense), one column per ε;
     * absent: the thesis' table, transfer columns only.
     */
    adaptive: s.optional(attack),
    /** Default ε1 = 0.03, ε2 = 0.05 (Table 6.3). */
    epsilons: s.optional(s.array(epsilon, LIMITS.tableEpsilons)),
    /** Default all four families. */
    defenses: s.optional(
      s.array(s.literal(...DEFENSE_NAMES), { min: 1, max: DEFENSE_NAMES.length })
    ),
    sampleCount: s.optional(s.int(LIMITS.sampleCount)),
    seed: s.optional(seed),
    batchSize,
    attackSettings: perAttackSettings
  }),
  (r) =>
    distinct(
      [r.sourceId, r.ordinaryId, r.orthogonalId],
      'orthogonalId',
      'source, ordinary and orthogonal must be three different models'
    )
)

/** The ε slider: one image, one attack, every model's prediction. Stores nothing. */
export const attackPreviewRequest = s.object({
  datasetId: id,
  sourceId: id,
  targetIds: s.array(id, LIMITS.targets),
  attack,
  epsilon,
  /** Index into the validation split. */
  sampleIndex,
  /** The attack's settings other than ε, e.g. those of the sweep being explored. */
  settings: s.optional(attackSettings)
})

export const explainRequest = s.object({
  datasetId: id,
  /** Figure 6.3: the reference, the ordinary retrained and the orthogonal model. */
  modelIds: s.array(id, LIMITS.explainModels),
  /** Validation images; when absent, a seeded draw of `count` (default 4). */
  sampleIndices: s.optional(s.array(sampleIndex, LIMITS.explainImages)),
  count: s.optional(s.int(LIMITS.explainImages)),
  methods,
  seed: s.optional(seed),
  /** One class explained for every image and model; default each model's own prediction. */
  classIndex: s.optional(sampleIndex),
  /** Feature stage (same name for every model); default each model's last. */
  stage: s.optional(s.string({ min: 1, max: 100 })),
  fixedSizeHead
})

/** An adversarial image next to its original, both explaining the true class. */
export const explainAdversarialRequest = s.object({
  datasetId: id,
  modelId: id,
  sampleIndex,
  /** Default 'pgd'. */
  attack: s.optional(s.literal('pgd', 'saliency-pgd')),
  /** Default 12/255. */
  epsilon: s.optional(epsilon),
  /** Default 10. */
  steps: s.optional(s.int(LIMITS.steps)),
  methods,
  seed: s.optional(seed),
  fixedSizeHead
})

/** Sanity scores of Grad-CAM vs CAMERAS (lower is saner). */
export const sanityRequest = s.object({
  datasetId: id,
  modelId: id,
  /** Validation images (seeded draw); default 100. */
  count: s.optional(s.int(LIMITS.sanityImages)),
  methods,
  seed: s.optional(seed),
  /** Patch side of the ideal ordering's ablation; default the engine's. */
  idealPatch: s.optional(s.int(LIMITS.idealPatch)),
  fixedSizeHead,
  batchSize
})

/** Vanilla vs saliency-enhanced PGD at the same ε (Figure 5.13). */
export const saliencyPgdRequest = s.refine(
  s.object({
    datasetId: id,
    sourceId: id,
    targetIds: s.optional(s.array(id, LIMITS.targets)),
    /** Default 12/255. */
    epsilon: s.optional(epsilon),
    /** Default 10. */
    steps: s.optional(s.int(LIMITS.steps)),
    /** Validation images drawn; only those the source gets right are attacked. Default 100. */
    count: s.optional(s.int(LIMITS.saliencyPgdImages)),
    /** The map weighting the steps; default CAMERAS. */
    saliency: s.optional(s.literal(...SALIENCY_METHODS)),
    seed: s.optional(seed),
    fixedSizeHead,
    batchSize
  }),
  (r) => {
    if (r.targetIds?.includes(r.sourceId)) {
      throw new ValidationError(
        'targetIds',
        'the source is always evaluated; do not list it among the targets'
      )
    }
  }
)

/**
 * What an imported ONNX model expects, declared at import and stored with it (SPEC §2.11):
 * absent fields are read from the file (its input dims, an Ortholens export's metadata). The
 * model then takes images in [0, 1] like every model, so ε stays a fraction of the pixel range.
 */
export const onnxPreprocessing = s.object({
  /** PyTorch exports NCHW, TensorFlow NHWC. */
  layout: s.optional(s.literal(...INPUT_LAYOUTS)),
  size: s.optional(
    s.object({ height: s.int(LIMITS.modelInputSide), width: s.int(LIMITS.modelInputSide) })
  ),
  channels: s.optional(s.int(LIMITS.modelChannels)),
  channelOrder: s.optional(s.literal(...CHANNEL_ORDERS)),
  /** 1: the model expects [0, 1]; 255: [0, 255]. */
  valueScale: s.optional(s.literal(...VALUE_SCALES)),
  /** One value for every channel, or one per channel (model's value scale and channel order). */
  mean: s.optional(
    s.array(s.number(LIMITS.channelMean), { min: 1, max: LIMITS.modelChannels.max })
  ),
  std: s.optional(s.array(s.number(LIMITS.channelStd), { min: 1, max: LIMITS.modelChannels.max })),
  /** In the order of the model's outputs. */
  classNames: s.optional(
    s.array(
      s.string({ min: LIMITS.classNameLength.min, max: LIMITS.classNameLength.max }),
      LIMITS.classNames
    )
  )
})

/**
 * A model file: an ONNX file (from PyTorch, tf2onnx, skl2onnx …) or a TF.js Layers model (its
 * folder or model.json). With a dataset, its images and classes must fit, and its accuracy on
 * that dataset's validation images is measured and stored with it.
 */
export const modelImportRequest = s.object({
  path: filePath,
  /** Default: the file's (or the folder's) name. */
  name: s.optional(name),
  datasetId: s.optional(id),
  /** ONNX only. */
  preprocessing: s.optional(onnxPreprocessing),
  /** Validation images of the accuracy check (seeded draw); default 1000. */
  evalLimit: s.optional(s.int(LIMITS.valLimit))
})

/** Writes a model trained in the app: an .onnx file, or model.json + weights into a folder. */
export const modelExportRequest = s.object({
  modelId: id,
  path: filePath,
  /** Default 'layers' (a folder); 'onnx' writes one file. */
  format: s.optional(s.literal(...MODEL_FORMATS))
})

/** Reads a model file without importing it: what the import form shows and starts from. */
export const modelInspectRequest = s.object({ path: filePath })

/**
 * A delete. Without `withDependents` it is refused (error 'has-dependents', the list in the
 * message) when anything depends on the target; ask `*.dependents` first to show the list.
 */
const withDependents = s.optional(s.boolean())

export const requestSchemas = {
  'system.info': s.object({}),
  /** Asks the host for a path: a native dialog in Electron, the typed path in the browser host. */
  'system.pickPath': s.object({
    purpose: s.literal(...PICK_PURPOSES),
    typedPath: s.optional(filePath),
    defaultName: s.optional(s.string({ max: 255 }))
  }),
  /**
   * The browser host's folder picker: a folder's sub-folders and files, confined on the main
   * side to the user's places (documents, home, the project's folder, temporary files).
   * Without a path: the documents folder. Listing is not picking: the path chosen still goes
   * through system.pickPath.
   */
  'system.listFolder': s.object({ path: s.optional(s.string({ max: 4096 })) }),

  'projects.current': s.object({}),
  'projects.create': s.object({ path: filePath }),
  'projects.open': s.object({ path: filePath }),
  'projects.saveAs': s.object({ path: filePath }),
  'projects.close': s.object({}),
  'projects.recent': s.object({}),

  'datasets.list': s.object({}),
  'datasets.import': datasetImportRequest,
  /** A name already taken gets a "(2)" suffix and a warning. */
  'datasets.rename': s.object({ datasetId: id, name }),
  /** What deleting the dataset would take with it (models trained on it, runs on it). */
  'datasets.dependents': s.object({ datasetId: id }),
  'datasets.delete': s.object({ datasetId: id, withDependents }),
  'datasets.preview': s.object({
    datasetId: id,
    split: s.literal('train', 'validation'),
    offset: sampleIndex,
    count: s.int({ min: 1, max: 256 })
  }),

  'models.list': s.object({}),
  'models.history': s.object({ modelId: id }),
  'models.train': trainRequest,
  'models.similarity': similarityRequest,
  'models.import': modelImportRequest,
  'models.export': modelExportRequest,
  'models.inspect': modelInspectRequest,
  'models.rename': s.object({ modelId: id, name }),
  /** What deleting the model would take with it (models trained against it, runs using it). */
  'models.dependents': s.object({ modelId: id }),
  'models.delete': s.object({ modelId: id, withDependents }),

  'attacks.sweep': attackSweepRequest,
  'attacks.result': s.object({ runId: id }),
  'attacks.gallery': s.object({ runId: id }),
  'attacks.preview': attackPreviewRequest,
  /**
   * A sweep's gallery out of the project: 'sheet' one labelled PNG; 'folder' the images at 8
   * bits with a CSV manifest (and the sheet) into a folder. Optionally one attack and one ε.
   */
  'attacks.exportGallery': s.object({
    runId: id,
    path: filePath,
    as: s.literal('sheet', 'folder'),
    attack: s.optional(s.string({ min: 1, max: 64 })),
    epsilon: s.optional(epsilon),
    /** Pixels per font pixel of the sheet: 1 for screens, 2 for print. */
    scale: s.optional(s.int({ min: 1, max: 2 }))
  }),
  /**
   * A chart of the window as a PNG file: the picture the window drew (base64 PNG bytes, checked
   * to be a PNG on the main side), written where the user chose.
   */
  'charts.exportPng': s.object({
    path: filePath,
    png: s.string({ min: 12, max: CHART_PNG_MAX_BASE64 })
  }),

  'defenses.table': defenseTableRequest,
  'defenses.result': s.object({ runId: id }),

  /** The robustness evaluation (SPEC §2.10): a job, and its stored result as the window shows it. */
  'evaluation.run': evaluationRequest,
  'evaluation.result': s.object({ runId: id }),

  'results.list': s.object({
    kind: s.optional(s.string({ max: 64 })),
    status: s.optional(s.string({ max: 32 })),
    text: s.optional(s.string({ max: 200 }))
  }),
  'results.get': s.object({ runId: id }),
  /** Replays the request the run stored, exactly (a training's model is named "… (re-run)"). */
  'results.rerun': s.object({ runId: id }),
  /** What deleting the run would take with it (its gallery images). */
  'results.dependents': s.object({ runId: id }),
  'results.delete': s.object({ runId: id, withDependents }),
  'results.exportCsv': s.object({ runId: id, path: filePath }),
  'results.exportReport': s.object({
    runIds: s.optional(s.array(id, { max: 1000 })),
    path: filePath
  }),

  'explain.samples': explainRequest,
  'explain.adversarial': explainAdversarialRequest,
  'explain.sanity': sanityRequest,
  'explain.saliencyPgd': saliencyPgdRequest,
  'explain.samplesResult': s.object({ runId: id }),
  'explain.adversarialResult': s.object({ runId: id }),
  'explain.sanityResult': s.object({ runId: id }),
  'explain.saliencyPgdResult': s.object({ runId: id }),
  /** The maps of an explain or explain-adversarial run as one labelled PNG with a colour scale. */
  'explain.exportPng': s.object({
    runId: id,
    path: filePath,
    scale: s.optional(s.int({ min: 1, max: 2 }))
  }),

  /** An experiment plan (λ × seeds × architectures; Table 6.2, Figures 6.6 and 6.7): a job. */
  'plans.run': planRequest,
  /** Continues a cancelled or interrupted plan with its next untrained model (a job). */
  'plans.resume': planResumeRequest,
  'plans.result': s.object({ runId: id }),

  'jobs.list': s.object({}),
  /** Job ids are the queue's (UUIDs), not project ids. */
  'jobs.cancel': s.object({ jobId: s.string({ min: 1, max: 128 }) })
} as const

export type Channel = keyof typeof requestSchemas
export type Args<C extends Channel> = Infer<(typeof requestSchemas)[C]>
export type DatasetSource = Infer<typeof datasetSource>
export type AttackSettings = Infer<typeof attackSettings>
export type DatasetImportRequest = Infer<typeof datasetImportRequest>
export type TrainRequest = Infer<typeof trainRequest>
export type SimilarityRequest = Infer<typeof similarityRequest>
export type AttackSweepRequest = Infer<typeof attackSweepRequest>
export type DefenseTableRequest = Infer<typeof defenseTableRequest>
export type AttackPreviewRequest = Infer<typeof attackPreviewRequest>
export type ExplainRequest = Infer<typeof explainRequest>
export type ExplainAdversarialRequest = Infer<typeof explainAdversarialRequest>
export type SanityRequest = Infer<typeof sanityRequest>
export type SaliencyPgdRequest = Infer<typeof saliencyPgdRequest>
export type ModelImportRequest = Infer<typeof modelImportRequest>
export type ModelExportRequest = Infer<typeof modelExportRequest>
export type ModelInspectRequest = Infer<typeof modelInspectRequest>
export type OnnxPreprocessingRequest = Infer<typeof onnxPreprocessing>

/** What each channel answers. */
export interface Results {
  'system.info': SystemInfo
  'system.pickPath': string[] | null
  'system.listFolder': FolderListing
  'projects.current': ProjectInfo | null
  'projects.create': ProjectInfo
  'projects.open': ProjectInfo
  'projects.saveAs': ProjectInfo
  'projects.close': null
  'projects.recent': RecentProject[]
  'datasets.list': DatasetSummary[]
  'datasets.import': JobInfo
  'datasets.rename': RenameResult
  'datasets.dependents': Dependents
  'datasets.delete': DeleteResult
  'datasets.preview': PreviewImage[]
  'models.list': ModelSummary[]
  'models.history': HistoryPoint[]
  'models.train': JobInfo
  'models.similarity': JobInfo
  'models.import': ModelImportView
  'models.export': { files: string[] }
  'models.inspect': ModelFileInfo
  'models.rename': RenameResult
  'models.dependents': Dependents
  'models.delete': DeleteResult
  'attacks.sweep': JobInfo
  'attacks.result': AttackSweepResult
  'attacks.gallery': GalleryItem[]
  'attacks.preview': GalleryItem
  'attacks.exportGallery': ExportResult
  'charts.exportPng': ExportResult
  'defenses.table': JobInfo
  'defenses.result': DefenseTableResult
  'evaluation.run': JobInfo
  'evaluation.result': EvaluationView
  'results.list': RunSummary[]
  'results.get': RunSummary
  'results.rerun': JobInfo
  'results.dependents': Dependents
  'results.delete': DeleteResult
  'results.exportCsv': { path: string }
  'results.exportReport': { path: string }
  'explain.samples': JobInfo
  'explain.adversarial': JobInfo
  'explain.sanity': JobInfo
  'explain.saliencyPgd': JobInfo
  'explain.samplesResult': ExplainGrid
  'explain.adversarialResult': AdversarialExplainView
  'explain.sanityResult': SanityView
  'explain.saliencyPgdResult': SaliencyPgdView
  'explain.exportPng': ExportResult
  'plans.run': JobInfo
  'plans.resume': JobInfo
  'plans.result': PlanResult
  'jobs.list': JobInfo[]
  'jobs.cancel': boolean
}

export type RequestMap = { [C in Channel]: { args: Args<C>; result: Results[C] } }

export const CHANNELS = Object.keys(requestSchemas) as Channel[]

/** Validates a payload for `channel`; throws ValidationError naming the bad argument. */
export function parseArgs<C extends Channel>(channel: C, payload: unknown): Args<C> {
  return requestSchemas[channel].parse(payload ?? {}) as Args<C>
}

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, name)
}
