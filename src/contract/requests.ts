/**
 * The one request map: channel → argument schema (validated on the main side) and result type.
 * Every transport (Electron IPC, the loopback WebSocket) carries exactly these channels.
 */
import type {
  AttackSweepResult,
  DatasetSummary,
  DefenseTableResult,
  GalleryItem,
  HistoryPoint,
  JobInfo,
  ModelSummary,
  PreviewImage,
  ProjectInfo,
  RecentProject,
  RunSummary,
  SystemInfo,
  AdversarialExplainView,
  ExplainGrid,
  SaliencyPgdView,
  SanityView
} from './entities'
import { s, type Infer } from './validate'

const id = s.string({ min: 1, max: 128 })
const filePath = s.string({ min: 1, max: 4096 })
const seed = s.number({ int: true, min: 0, max: 2 ** 31 - 1 })

export const ATTACK_NAMES = ['fgsm', 'ifgsm', 'mifgsm', 'pgd', 'di2fgsm'] as const
export const ARCHITECTURES = ['cnn', 'vgg11', 'vgg16', 'resnet20', 'resnet32'] as const
export const PENALTY_FORMS = ['signed', 'absolute', 'squared'] as const
export const DEFENSE_NAMES = ['jpeg', 'tvm', 'bitdepth', 'bilateral'] as const
export const SALIENCY_METHODS = ['gradcam', 'cameras'] as const
export const PICK_PURPOSES = [
  'project-new',
  'project-open',
  'project-save-as',
  'import-folder',
  'import-files',
  'model-import',
  'export-file',
  'export-folder'
] as const

const attack = s.literal(...ATTACK_NAMES)
/** ε as a fraction of the dynamic range (SPEC §2.5: 0 … 8 %, allow up to 100 %). */
const epsilon = s.number({ min: 0, max: 1 })

export const datasetSource = s.tagged('kind', {
  builtin: {},
  imageFolder: { path: filePath },
  cifar10: { path: filePath },
  idx: { paths: s.array(filePath, { min: 1, max: 8 }) }
})

export const trainArgs = s.object({
  name: s.string({ min: 1, max: 200 }),
  datasetId: id,
  architecture: s.literal(...ARCHITECTURES),
  referenceId: s.nullable(id),
  /** Thesis: 0 ordinary, 5, 30 (CIFAR default), 100. */
  lambda: s.number({ min: 0, max: 100 }),
  penaltyForm: s.literal(...PENALTY_FORMS),
  epochs: s.number({ int: true, min: 1, max: 1000 }),
  batchSize: s.optional(s.number({ int: true, min: 1, max: 4096 })),
  learningRate: s.optional(s.number({ min: 1e-7, max: 1 })),
  validateEvery: s.optional(s.number({ int: true, min: 1, max: 1000 })),
  trainLimit: s.optional(s.number({ int: true, min: 1, max: 10_000_000 })),
  /** Validation images used at each check (accuracy; δ on at most as many); default 2000 / 500. */
  valLimit: s.optional(s.number({ int: true, min: 1, max: 10_000_000 })),
  seed: s.optional(seed)
})

export const attackSweepArgs = s.object({
  datasetId: id,
  sourceId: id,
  targetIds: s.array(id, { max: 16 }),
  attacks: s.array(attack, { min: 1, max: ATTACK_NAMES.length }),
  epsilons: s.array(epsilon, { min: 1, max: 32 }),
  sampleCount: s.number({ int: true, min: 1, max: 100_000 }),
  gallerySamples: s.optional(s.number({ int: true, min: 0, max: 64 })),
  seed: s.optional(seed)
})

export const defenseTableArgs = s.object({
  datasetId: id,
  sourceId: id,
  targetIds: s.array(id, { min: 1, max: 8 }),
  /** Model shown as the "Orthogonal model" row, when there is one. */
  orthogonalId: s.nullable(id),
  attacks: s.array(attack, { min: 1, max: ATTACK_NAMES.length }),
  epsilons: s.array(epsilon, { min: 1, max: 4 }),
  defenses: s.optional(s.array(s.literal(...DEFENSE_NAMES), { min: 1, max: 4 })),
  sampleCount: s.number({ int: true, min: 1, max: 100_000 }),
  seed: s.optional(seed)
})

const sampleIndex = s.number({ int: true, min: 0 })
const methods = s.optional(s.array(s.literal(...SALIENCY_METHODS), { min: 1, max: 2 }))

export const explainArgs = s.object({
  datasetId: id,
  /** Figure 6.3: the reference, the ordinary retrained and the orthogonal model. */
  modelIds: s.array(id, { min: 1, max: 4 }),
  /** Validation images; when absent, a seeded draw of `count`. */
  sampleIndices: s.optional(s.array(sampleIndex, { min: 1, max: 8 })),
  count: s.optional(s.number({ int: true, min: 1, max: 8 })),
  methods,
  seed: s.optional(seed)
})

export const explainAdversarialArgs = s.object({
  datasetId: id,
  modelId: id,
  sampleIndex,
  attack: s.literal('pgd', 'saliency-pgd'),
  epsilon: s.number({ min: 0, max: 1 }),
  steps: s.optional(s.number({ int: true, min: 1, max: 200 })),
  methods,
  seed: s.optional(seed)
})

export const sanityArgs = s.object({
  datasetId: id,
  modelId: id,
  count: s.number({ int: true, min: 1, max: 1000 }),
  methods,
  seed: s.optional(seed)
})

export const saliencyPgdArgs = s.object({
  datasetId: id,
  sourceId: id,
  targetIds: s.array(id, { max: 8 }),
  epsilon: s.number({ min: 0, max: 1 }),
  steps: s.optional(s.number({ int: true, min: 1, max: 200 })),
  count: s.number({ int: true, min: 1, max: 10_000 }),
  saliency: s.optional(s.literal(...SALIENCY_METHODS)),
  seed: s.optional(seed)
})

export const requestSchemas = {
  'system.info': s.object({}),
  /** Asks the host for a path: a native dialog in Electron, the typed path in the browser host. */
  'system.pickPath': s.object({
    purpose: s.literal(...PICK_PURPOSES),
    typedPath: s.optional(filePath),
    defaultName: s.optional(s.string({ max: 255 }))
  }),

  'projects.current': s.object({}),
  'projects.create': s.object({ path: filePath }),
  'projects.open': s.object({ path: filePath }),
  'projects.saveAs': s.object({ path: filePath }),
  'projects.close': s.object({}),
  'projects.recent': s.object({}),

  'datasets.list': s.object({}),
  'datasets.import': s.object({
    source: datasetSource,
    name: s.optional(s.string({ min: 1, max: 200 })),
    validationFraction: s.optional(s.number({ min: 0, max: 0.9 })),
    seed: s.optional(seed),
    resize: s.optional(
      s.object({
        height: s.number({ int: true, min: 4, max: 512 }),
        width: s.number({ int: true, min: 4, max: 512 })
      })
    ),
    /** Take at most this many images per class (seeded draw): a quick first look. */
    maxPerClass: s.optional(s.number({ int: true, min: 1, max: 10_000_000 })),
    /** 'stop' (default): the first bad file aborts the import; 'skip': it is listed and left out. */
    onBadFile: s.optional(s.literal('stop', 'skip'))
  }),
  'datasets.preview': s.object({
    datasetId: id,
    split: s.literal('train', 'validation'),
    offset: s.number({ int: true, min: 0 }),
    count: s.number({ int: true, min: 1, max: 256 })
  }),

  'models.list': s.object({}),
  'models.history': s.object({ modelId: id }),
  'models.train': trainArgs,
  'models.similarity': s.object({
    a: id,
    b: id,
    datasetId: id,
    limit: s.optional(s.number({ int: true, min: 1, max: 100_000 }))
  }),
  /** A TF.js Layers model (its folder or model.json); with a dataset, its images and classes must fit. */
  'models.import': s.object({
    path: filePath,
    name: s.optional(s.string({ min: 1, max: 200 })),
    datasetId: s.optional(id)
  }),
  /** Writes model.json + weights into the picked folder. */
  'models.export': s.object({ modelId: id, path: filePath }),

  'attacks.sweep': attackSweepArgs,
  'attacks.result': s.object({ runId: id }),
  'attacks.gallery': s.object({ runId: id }),
  'attacks.preview': s.object({
    datasetId: id,
    sourceId: id,
    targetIds: s.array(id, { max: 16 }),
    attack,
    epsilon,
    sampleIndex: s.number({ int: true, min: 0 })
  }),

  'defenses.table': defenseTableArgs,
  'defenses.result': s.object({ runId: id }),

  'results.list': s.object({
    kind: s.optional(s.string({ max: 64 })),
    status: s.optional(s.string({ max: 32 })),
    text: s.optional(s.string({ max: 200 }))
  }),
  'results.get': s.object({ runId: id }),
  'results.rerun': s.object({ runId: id }),
  'results.exportCsv': s.object({ runId: id, path: filePath }),
  'results.exportReport': s.object({ runIds: s.optional(s.array(id, { max: 1000 })), path: filePath }),

  'explain.samples': explainArgs,
  'explain.adversarial': explainAdversarialArgs,
  'explain.sanity': sanityArgs,
  'explain.saliencyPgd': saliencyPgdArgs,
  'explain.samplesResult': s.object({ runId: id }),
  'explain.adversarialResult': s.object({ runId: id }),
  'explain.sanityResult': s.object({ runId: id }),
  'explain.saliencyPgdResult': s.object({ runId: id }),
  /** The maps of an explain or explain-adversarial run as one PNG grid. */
  'explain.exportPng': s.object({ runId: id, path: filePath }),

  'jobs.list': s.object({}),
  'jobs.cancel': s.object({ jobId: id })
} as const

export type Channel = keyof typeof requestSchemas
export type Args<C extends Channel> = Infer<(typeof requestSchemas)[C]>
export type DatasetSource = Infer<typeof datasetSource>
export type TrainArgs = Infer<typeof trainArgs>
export type AttackSweepArgs = Infer<typeof attackSweepArgs>
export type DefenseTableArgs = Infer<typeof defenseTableArgs>
export type AttackName = (typeof ATTACK_NAMES)[number]
export type ExplainArgs = Infer<typeof explainArgs>
export type ExplainAdversarialArgs = Infer<typeof explainAdversarialArgs>
export type SanityArgs = Infer<typeof sanityArgs>
export type SaliencyPgdArgs = Infer<typeof saliencyPgdArgs>

/** What each channel answers. */
export interface Results {
  'system.info': SystemInfo
  'system.pickPath': string[] | null
  'projects.current': ProjectInfo | null
  'projects.create': ProjectInfo
  'projects.open': ProjectInfo
  'projects.saveAs': ProjectInfo
  'projects.close': null
  'projects.recent': RecentProject[]
  'datasets.list': DatasetSummary[]
  'datasets.import': JobInfo
  'datasets.preview': PreviewImage[]
  'models.list': ModelSummary[]
  'models.history': HistoryPoint[]
  'models.train': JobInfo
  'models.similarity': JobInfo
  'models.import': ModelSummary
  'models.export': { files: string[] }
  'attacks.sweep': JobInfo
  'attacks.result': AttackSweepResult
  'attacks.gallery': GalleryItem[]
  'attacks.preview': GalleryItem
  'defenses.table': JobInfo
  'defenses.result': DefenseTableResult
  'results.list': RunSummary[]
  'results.get': RunSummary
  'results.rerun': JobInfo
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
  'explain.exportPng': { path: string }
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
