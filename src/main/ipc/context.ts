/**
 * What every IPC handler receives: the host (Electron window or loopback server: how to
 * emit events and pick files) and the session (the open project and its job queue).
 * Plain objects, so handlers are tested without Electron.
 */
import { statSync } from 'node:fs'
import { ContractError, type ContractErrorData } from '../../contract/errors'
import type { PickPurpose } from '../../contract/names'
import type { JobInfo, ProjectInfo } from '../../contract/entities'
import type { JobArgs, JobKind, JobResults } from '../../contract/jobs'
import { JobQueue, type Emit, type WorkerEntry } from '../jobs/queue'
import { defaultProjectName, RecordNotFoundError, type ProjectDb } from '../store'
import { IncompatibleModelError, requireRequestFits } from '../services/compatibility'
import { isSameOrInside, realPathOf } from './pickedPaths'

export interface Host {
  emit: Emit
  /** Native dialogs (Electron) ignore `typedPath`; the browser host accepts the typed path. */
  pickPath(purpose: PickPurpose, typedPath?: string, defaultName?: string): Promise<string[] | null>
  readonly nativeDialogs: boolean
  /** Where the recent-projects list lives (Electron userData, or a config dir). */
  readonly settingsDir: string
  /**
   * Where a bare project name or export name is saved, and where dialogs and the folder picker
   * start: Documents/Ortholens (Electron's documents path; ~/Documents in the browser host).
   */
  readonly documentsDir?: string
  readonly workerEntry?: WorkerEntry
}

/** The open project, its job queue, and the paths the user picked (the only ones we touch). */
export class Session {
  project: ProjectDb | null = null
  jobs: JobQueue | null = null
  private readonly picked = new Set<string>()

  constructor(private readonly host: Host) {}

  /** Records paths the user chose in a dialog (or typed, in the browser host), as real paths. */
  allow(paths: string[]): void {
    for (const p of paths) {
      const real = realPathOf(p)
      if (real) this.picked.add(real)
    }
  }

  /**
   * SPEC §3: the renderer reaches only files the user picked. A path is allowed when its real
   * path (pickedPaths.ts: links and `..` resolved as the OS does) was picked or lies inside a
   * picked folder; the real path is what the caller then opens, so a link inside a picked
   * folder cannot lead out of it.
   */
  requirePicked(path: string): string {
    const real = realPathOf(path)
    if (real) for (const p of this.picked) if (isSameOrInside(real, p)) return real
    const out = real !== undefined && real !== path ? ` (it leads to ${real})` : ''
    throw new ContractError(
      'forbidden-path',
      `Choose ${path} with the file picker first${out}`,
      path
    )
  }

  /** Makes `project` the open one (closing the previous), with a fresh job queue. */
  async attach(project: ProjectDb): Promise<void> {
    await this.detach()
    this.project = project
    this.jobs = new JobQueue({
      projectPath: project.path,
      emit: this.host.emit,
      worker: this.host.workerEntry,
      // A worker that ends mid-job (crash, or stopped after the close grace) leaves runs only
      // this connection, told which thread ended, can reconcile.
      reconcile: () => project.reconcileInterrupted()
    })
    this.host.emit('project.changed', { project: projectInfo(project) })
  }

  async detach(): Promise<void> {
    const jobs = this.jobs
    const project = this.project
    this.jobs = null
    this.project = null
    await jobs?.close()
    if (project && !project.closed) project.close()
    if (project) this.host.emit('project.changed', { project: null })
  }
}

export interface HandlerContext {
  host: Host
  session: Session
}

/** The open project, or a 'no-project' error worded for people. */
export function requireProject(ctx: HandlerContext): ProjectDb {
  const p = ctx.session.project
  if (!p || p.closed) throw new ContractError('no-project', 'Create or open a project first')
  return p
}

export function requireJobs(ctx: HandlerContext): JobQueue {
  requireProject(ctx)
  return ctx.session.jobs!
}

/**
 * The compatibility rule (services/compatibility.ts) before a job is queued: a model that does
 * not fit the request's dataset is refused at once, naming the model and the mismatch, with
 * the request field at fault as the detail; an unknown model or dataset id is 'not-found'.
 */
export function requireFits(ctx: HandlerContext, args: object): void {
  try {
    requireRequestFits(requireProject(ctx), args)
  } catch (err) {
    if (err instanceof IncompatibleModelError)
      throw new ContractError('invalid-args', err.message, err.field)
    if (err instanceof RecordNotFoundError)
      throw new ContractError('not-found', err.message, `${err.kind} ${err.id}`)
    throw err
  }
}

/** Queues a job after the compatibility check; answers its JobInfo at once. */
export function startJob<K extends JobKind>(
  ctx: HandlerContext,
  kind: K,
  args: JobArgs<K>,
  label: string
): JobInfo {
  const jobs = requireJobs(ctx)
  requireFits(ctx, args)
  return jobs.enqueue(kind, args, label)
}

/** Runs a job and waits for it, turning its failure back into a ContractError for the caller. */
export async function runAndWait<K extends JobKind>(
  ctx: HandlerContext,
  kind: K,
  args: JobArgs<K>,
  label: string
): Promise<JobResults[K]> {
  requireFits(ctx, args)
  try {
    return await requireJobs(ctx).run(kind, args, label)
  } catch (err) {
    const e = err as Partial<ContractErrorData>
    if (e && typeof e.code === 'string')
      throw ContractError.from({ ...e, code: e.code, message: e.message ?? 'failed' })
    throw err
  }
}

export function projectInfo(p: ProjectDb): ProjectInfo {
  let sizeBytes = 0
  for (const suffix of ['', '-wal']) {
    try {
      sizeBytes += statSync(p.path + suffix).size
    } catch {
      // no WAL file yet
    }
  }
  return { path: p.path, name: defaultProjectName(p.path), sizeBytes }
}
