/**
 * Shared application state (ARCHITECTURE pattern 9: thick services, thin components).
 * Everything the screens show comes from the main side through lib/api; events keep it live.
 */
import { call, on, shownError, technicalOf, type ShownError } from '../lib/api'
import type {
  DatasetSummary,
  JobInfo,
  ModelSummary,
  ProjectInfo,
  RecentProject,
  RunSummary,
  SystemInfo
} from '../../../contract/entities'
import type { ContractErrorData } from '../../../contract/errors'
import type { JobKind, JobResults } from '../../../contract/jobs'
import type { PickPurpose } from '../../../contract/names'

export type Screen =
  | 'projects'
  | 'data'
  | 'models'
  | 'plans'
  | 'attacks'
  | 'defenses'
  | 'evaluate'
  | 'explain'
  | 'results'

/** One live sample of a running job's metrics (training curves). */
export interface LiveSample {
  fraction: number
  loss?: number
  accuracy?: number
  delta?: number
}

/** Live samples kept per job before thinning (see addSample). */
const MAX_LIVE = 4000

class AppState {
  screen = $state<Screen>('projects')
  system = $state<SystemInfo | null>(null)
  project = $state<ProjectInfo | null>(null)
  recent = $state<RecentProject[]>([])
  datasets = $state<DatasetSummary[]>([])
  models = $state<ModelSummary[]>([])
  runs = $state<RunSummary[]>([])
  jobs = $state<JobInfo[]>([])
  live = $state<Record<string, LiveSample[]>>({})
  results = $state<Record<string, unknown>>({})
  failures = $state<Record<string, ContractErrorData>>({})
  /** The banner under the header; an error's technical part sits in its "details". */
  notice = $state<({ kind: 'error' | 'info' } & ShownError) | null>(null)
  /** The project is closing (its running job is being stopped). */
  closing = $state(false)
  private started = false
  private readonly listed = new Set<string>()

  /** Subscribes to events and loads the first view; called once by App. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    on('job.progress', ({ job, metrics }) => {
      this.upsertJob(job)
      // A training's model (status "training") is listed once its first step has run.
      if (
        job.kind === 'train' &&
        job.status === 'running' &&
        /epoch/.test(job.stage) &&
        !this.listed.has(job.id)
      ) {
        this.listed.add(job.id)
        void this.refresh()
      }
      if (metrics && Object.keys(metrics).length > 0)
        this.addSample(job.id, { fraction: job.fraction, ...metrics })
    })
    on('job.finished', ({ job, result }) => {
      this.upsertJob(job)
      this.results[job.id] = result
      // A dataset or model that got "(2)" because its name was taken says so.
      const warnings = (result as { warnings?: unknown } | null)?.warnings
      if (
        (job.kind === 'import-dataset' || job.kind === 'train') &&
        Array.isArray(warnings) &&
        warnings.length > 0
      )
        this.info(warnings.join(' '))
      void this.refresh()
    })
    on('job.failed', ({ job, error }) => {
      this.upsertJob(job)
      this.failures[job.id] = error
      const technical = technicalOf(error)
      this.notice = {
        kind: 'error',
        text: `${job.label} failed: ${error.message}`,
        ...(technical ? { technical } : {})
      }
      void this.refresh()
    })
    on('job.cancelled', ({ job }) => {
      this.upsertJob(job)
      void this.refresh()
    })
    on('project.changed', ({ project }) => {
      this.project = project
    })
    on('log', ({ level, message }) => {
      // The Electron menu opens screens through a 'menu:<screen>' log line (src/main/index.ts).
      if (message.startsWith('menu:')) {
        const screen = message.slice(5) as Screen
        if (screen === 'projects' || this.project) this.screen = screen
      } else if (level !== 'info') {
        this.notice = { kind: level === 'error' ? 'error' : 'info', text: message }
      }
    })
    try {
      this.system = await call('system.info', {})
      this.project = await call('projects.current', {})
      // A reloaded window finds the jobs still running (their curves restart from now).
      this.jobs = await call('jobs.list', {})
      await this.refresh()
    } catch (err) {
      this.fail(err)
    }
  }

  /**
   * Appends a live sample. A long training sends one every 80 ms: past MAX_LIVE samples every
   * other one is dropped, so the curve keeps its shape and the charts stay quick.
   */
  private addSample(jobId: string, sample: LiveSample): void {
    const series = (this.live[jobId] ??= [])
    series.push(sample)
    if (series.length > MAX_LIVE)
      this.live[jobId] = series.filter((_, i) => i % 2 === 0 || i === series.length - 1)
  }

  private upsertJob(job: JobInfo): void {
    const i = this.jobs.findIndex((j) => j.id === job.id)
    if (i >= 0) this.jobs[i] = job
    else this.jobs = [...this.jobs, job]
  }

  /** Reloads the lists of the open project (or the recent list when none is open). */
  async refresh(): Promise<void> {
    try {
      this.recent = await call('projects.recent', {})
      this.project = await call('projects.current', {})
      if (!this.project) {
        this.datasets = []
        this.models = []
        this.runs = []
        return
      }
      const [datasets, models, runs] = await Promise.all([
        call('datasets.list', {}),
        call('models.list', {}),
        call('results.list', {})
      ])
      this.datasets = datasets
      this.models = models
      this.runs = runs
    } catch (err) {
      this.fail(err)
    }
  }

  fail(err: unknown): void {
    this.notice = { kind: 'error', ...shownError(err) }
  }

  info(text: string): void {
    this.notice = { kind: 'info', text }
  }

  /**
   * Asks for a path: a native dialog in Electron, or the path typed in the browser host.
   * Either way the main side records it as picked: the only paths it will touch.
   */
  async pick(purpose: PickPurpose, typedPath?: string): Promise<string | null> {
    const paths = await call('system.pickPath', { purpose, ...(typedPath ? { typedPath } : {}) })
    return paths?.[0] ?? null
  }

  async pickMany(purpose: PickPurpose, typedPaths: string[]): Promise<string[] | null> {
    if (this.system?.nativeDialogs) return call('system.pickPath', { purpose })
    const out: string[] = []
    for (const p of typedPaths) {
      const picked = await this.pick(purpose, p)
      if (picked) out.push(picked)
    }
    return out.length > 0 ? out : null
  }

  async openProject(path: string, create: boolean): Promise<void> {
    try {
      this.notice = null
      this.project = await call(create ? 'projects.create' : 'projects.open', { path })
      await this.refresh()
      this.screen = 'data'
    } catch (err) {
      this.fail(err)
    }
  }

  /** Closes the project; a running job is cancelled first and may take a moment to stop. */
  async closeProject(): Promise<void> {
    this.closing = true
    try {
      await call('projects.close', {})
    } catch (err) {
      this.fail(err)
    } finally {
      this.closing = false
    }
    this.jobs = []
    this.live = {}
    this.screen = 'projects'
    await this.refresh()
  }

  async cancel(jobId: string): Promise<void> {
    try {
      await call('jobs.cancel', { jobId })
    } catch (err) {
      this.fail(err)
    }
  }

  /** Waits for a job to end (events drive it); resolves with its status. */
  waitFor(jobId: string): Promise<JobInfo> {
    return new Promise((resolve) => {
      const check = (): void => {
        const job = this.jobs.find((j) => j.id === jobId)
        if (job && ['finished', 'failed', 'cancelled'].includes(job.status)) resolve(job)
        else setTimeout(check, 100)
      }
      check()
    })
  }

  /** What a finished job answered ('job.finished'), typed by its kind; undefined until then. */
  resultOf<K extends JobKind>(jobId: string, kind: K): JobResults[K] | undefined {
    const job = this.jobs.find((j) => j.id === jobId)
    return job?.kind === kind ? (this.results[jobId] as JobResults[K] | undefined) : undefined
  }

  modelName(id: number | null): string {
    return this.models.find((m) => m.id === id)?.name ?? (id !== null ? `#${id}` : '—')
  }
}

export const app = new AppState()

/** Human-readable byte count for the header. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

export function formatEta(seconds: number | null): string {
  if (seconds === null) return ''
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`
  return `about ${Math.round(seconds / 60)} min left`
}

export function percent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : `${(x * 100).toFixed(digits)} %`
}
