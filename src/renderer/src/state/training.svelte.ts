/**
 * The Models screen's training: the form's values and the training the progress card follows.
 * Kept here, not in the screen, so that leaving the screen and coming back (or going to Data
 * while it trains) finds the same form, the same job and the live curves drawn so far.
 */
import { call } from '../lib/api'
import type { ArchitectureName, PenaltyForm } from '../../../contract/names'
import { app, type LiveSample } from './app.svelte'

export interface TrainForm {
  name: string
  datasetId: number | null
  architecture: ArchitectureName
  referenceId: number | null
  lambda: number
  penaltyForm: PenaltyForm
  epochs: number
  trainLimit: number | null
  valLimit: number | null
  seed: number
}

/** One curve for the live charts: x in epochs (fraction of the training × epochs asked). */
export type CurvePoint = { x: number; y: number }

class TrainingState {
  form = $state<TrainForm>({
    name: '',
    datasetId: null,
    architecture: 'cnn',
    referenceId: null,
    lambda: 0,
    penaltyForm: 'squared',
    epochs: 3,
    trainLimit: null,
    valLimit: null,
    seed: 1
  })
  /** The training job the progress card follows, and what it was asked. */
  jobId = $state<string | null>(null)
  epochs = $state(3)
  /** δ is only measured against a reference; without one its chart would stay empty. */
  withReference = $state(false)
  /** Bumped when Train is pressed: the screen scrolls the charts into view. */
  started = $state(0)

  /** The followed job, or else a training running in this window (e.g. after a reload). */
  get job() {
    const followed = app.jobs.find((j) => j.id === this.jobId)
    if (followed) return followed
    return app.jobs.find(
      (j) => j.kind === 'train' && (j.status === 'running' || j.status === 'queued')
    )
  }

  get live(): LiveSample[] {
    const job = this.job
    return job ? (app.live[job.id] ?? []) : []
  }

  /** Epochs of the followed job (a job found after a reload says them in its stage). */
  private get span(): number {
    const job = this.job
    if (job && job.id === this.jobId) return this.epochs
    const m = /epoch \d+\/(\d+)/.exec(job?.stage ?? '')
    return m ? Number(m[1]) : 1
  }

  /** A live curve; accuracy in % of the images of each step. */
  series(key: 'loss' | 'accuracy' | 'delta'): CurvePoint[] {
    const scale = key === 'accuracy' ? 100 : 1
    return this.live
      .filter((s) => s[key] !== undefined)
      .map((s) => ({ x: s.fraction * this.span, y: s[key]! * scale }))
  }

  async train(defaultDataset: number): Promise<void> {
    const f = this.form
    const lambda = f.lambda
    const info = await call('models.train', {
      name: f.name || (lambda > 0 ? `Orthogonal λ=${lambda}` : 'Ordinary'),
      datasetId: f.datasetId ?? defaultDataset,
      architecture: f.architecture,
      ...(f.referenceId !== null ? { referenceId: f.referenceId } : {}),
      lambda,
      penaltyForm: f.penaltyForm,
      epochs: f.epochs,
      ...(f.trainLimit ? { trainLimit: f.trainLimit } : {}),
      ...(f.valLimit ? { valLimit: f.valLimit } : {}),
      seed: f.seed
    })
    this.jobId = info.id
    this.epochs = f.epochs
    this.withReference = f.referenceId !== null
    this.started++
    // The name belongs to the model just started; the other settings stay for the next one.
    f.name = ''
  }

  /** Forgets the followed job (the project closed). */
  reset(): void {
    this.jobId = null
  }
}

export const training = new TrainingState()
