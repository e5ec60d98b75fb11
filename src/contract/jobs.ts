/**
 * Jobs: each kind of long work is started by one channel, takes that channel's request as its
 * arguments (verbatim: the job, the service and the stored run see the same object) and
 * answers one result type, sent with the 'job.finished' event.
 */
import type { GalleryItem, ModelFileInfo, ModelImportView, SimilarityResult } from './entities'
import type { JobKind } from './names'

export type { JobKind } from './names'
import type { Args, Channel } from './requests'

/** The channel that starts each kind of job; its request is the job's arguments. */
export const JOB_CHANNELS = {
  'import-dataset': 'datasets.import',
  train: 'models.train',
  similarity: 'models.similarity',
  'attack-sweep': 'attacks.sweep',
  'attack-preview': 'attacks.preview',
  'defense-table': 'defenses.table',
  explain: 'explain.samples',
  'explain-adversarial': 'explain.adversarial',
  sanity: 'explain.sanity',
  'saliency-pgd': 'explain.saliencyPgd',
  'model-import': 'models.import',
  'model-export': 'models.export',
  'model-inspect': 'models.inspect',
  'robustness-evaluation': 'evaluation.run'
} as const satisfies Record<JobKind, Channel>

/** A job's arguments: the request of the channel that starts it. */
export type JobArgs<K extends JobKind> = Args<(typeof JOB_CHANNELS)[K]>

/** A job of one kind with that kind's arguments: a union over kinds in which `kind` tells `args`. */
export type JobOf<K extends JobKind = JobKind> = { [P in K]: { kind: P; args: JobArgs<P> } }[K]

/** Runs store their job's request; these kinds can be replayed from it (Results → Re-run, `ortholens rerun`). */
export const RERUNNABLE_KINDS = [
  'train',
  'similarity',
  'attack-sweep',
  'defense-table',
  'explain',
  'explain-adversarial',
  'sanity',
  'saliency-pgd',
  'robustness-evaluation'
] as const satisfies readonly JobKind[]
export type RerunnableKind = (typeof RERUNNABLE_KINDS)[number]

export function isRerunnable(kind: string): kind is RerunnableKind {
  return (RERUNNABLE_KINDS as readonly string[]).includes(kind)
}

/** What each kind of job answers (the 'job.finished' event's `result`). */
export interface JobResults {
  'import-dataset': {
    datasetId: number
    runId: number
    /** The name it was given ("… (2)" when the one asked was taken; see `warnings`). */
    name: string
    warnings: string[]
  }
  train: {
    modelId: number
    runId: number
    name: string
    warnings: string[]
    /** ready, collapsed, cancelled or failed. */
    status: string
    valAccuracy: number
    message?: string
  }
  similarity: SimilarityResult
  'attack-sweep': { runId: number; sampleCount: number }
  'attack-preview': GalleryItem
  'defense-table': { runId: number; sampleCount: number }
  explain: { runId: number }
  'explain-adversarial': { runId: number }
  sanity: { runId: number }
  'saliency-pgd': { runId: number }
  'model-import': {
    modelId: number
    runId: number
    warnings: string[]
    /** Accuracy on the dataset picked at import, with the validation images it rests on. */
    evaluation: ModelImportView['evaluation']
  }
  'model-export': { runId: number; files: string[] }
  'model-inspect': ModelFileInfo
  'robustness-evaluation': { runId: number; samples: number }
}

export type JobResult<K extends JobKind> = JobResults[K]

/**
 * What a run of a job kind stores as its config: the request exactly as sent and every
 * setting the job resolved from it (defaults filled in, derived values), in the same names.
 */
export interface StoredRunConfig<K extends JobKind = JobKind> {
  request: JobArgs<K>
  resolved: Record<string, unknown>
}
