/** What every long service call accepts: progress reports and cancellation. */
export interface JobProgress {
  /** 0..1 of the whole job. */
  fraction: number
  /** Plain words for the user: "Training epoch 2/6", "PGD at ε = 3 %". */
  stage: string
  etaSeconds?: number
  /** Live figures for charts (loss, accuracy, δ …). */
  metrics?: Record<string, number>
}

export interface JobHooks {
  onProgress?(p: JobProgress): void
  signal?: AbortSignal
}

/** Thrown (and reported as 'cancelled') when a job sees its AbortSignal fire. */
export class JobCancelledError extends Error {
  constructor() {
    super('The job was cancelled')
  }
}
