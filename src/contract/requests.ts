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
  SystemInfo
} from './entities'
import { s, type Infer } from './validate'

const id = s.string({ min: 1, max: 128 })
const filePath = s.string({ min: 1, max: 4096 })
const seed = s.number({ int: true, min: 0, max: 2 ** 31 - 1 })

export const ATTACK_NAMES = ['fgsm', 'ifgsm', 'mifgsm', 'pgd', 'di2fgsm'] as const
export const ARCHITECTURES = ['cnn', 'vgg11', 'vgg16', 'resnet20', 'resnet32'] as const
export const PENALTY_FORMS = ['signed', 'absolute', 'squared'] as const
export const DEFENSE_NAMES = ['jpeg', 'tvm', 'bitdepth', 'bilateral'] as const
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
  'models.import': s.object({ path: filePath, name: s.optional(s.string({ min: 1, max: 200 })) }),
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
