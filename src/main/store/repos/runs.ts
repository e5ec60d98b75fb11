/**
 * Runs of every kind (training, attack sweeps, defense tables, saliency, similarity): the
 * full configuration, seed, backend, models and dataset used, progress, status, results and
 * timings, so any run can be re-opened and re-run exactly.
 */
import { fromJson } from '../blobs'
import { inTransaction, type ReadableDb, type WritableDb } from '../db'
import { RecordNotFoundError } from '../errors'
import { newRunOwner, releaseRunOwner } from '../owner'
import type { RunStatus } from '../../../contract/entities'

export type FinishedRunStatus = 'done' | 'failed' | 'cancelled'

export interface NewRun {
  kind: string
  /** 'host:pid' of the process running it; defaults to this process (owner.ts). */
  owner?: string
  config: object
  seed?: number
  backend: string
  modelIds?: number[]
  datasetId?: number
  /**
   * When the work began (ISO time), for a run recorded once its work is done (an import reads
   * and decodes first, then records): its duration is then the work's, not 0 s. Default: now.
   */
  startedAt?: string
}

export interface StoredRun {
  id: number
  kind: string
  status: RunStatus
  config: object
  seed: number | null
  backend: string
  /** In the order given to createRun; a model deleted since is left out. */
  modelIds: number[]
  datasetId: number | null
  progress: { fraction: number; stage: string }
  error: string | null
  startedAt: string
  finishedAt: string | null
  durationMs: number | null
}

export interface RunRecord extends StoredRun {
  results: object | undefined
}

export interface RunFilter {
  kind?: string
  status?: RunStatus
  /** Case-insensitive substring of the kind, configuration, backend or error. */
  search?: string
}

interface RunRow {
  id: number
  kind: string
  status: RunStatus
  config: string
  seed: number | null
  backend: string
  dataset_id: number | null
  progress_fraction: number
  progress_stage: string
  error: string | null
  started_at: string
  finished_at: string | null
  duration_ms: number | null
  model_ids: string | null
}

const SUMMARY_SELECT = `SELECT r.id, r.kind, r.status, r.config, r.seed, r.backend, r.dataset_id,
  r.progress_fraction, r.progress_stage, r.error, r.started_at, r.finished_at, r.duration_ms,
  (SELECT json_group_array(model_id) FROM
     (SELECT model_id FROM run_models WHERE run_id = r.id ORDER BY position)) AS model_ids
  FROM runs r`

function toSummary(r: RunRow): StoredRun {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    config: JSON.parse(r.config) as object,
    seed: r.seed,
    backend: r.backend,
    modelIds: (fromJson<number[]>(r.model_ids) ?? []).filter((x) => x !== null),
    datasetId: r.dataset_id,
    progress: { fraction: r.progress_fraction, stage: r.progress_stage },
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms
  }
}

/** Owner tags of the runs this thread created, by `<file>#<id>`, until they finish. */
const ownerOfRun = new Map<string, string>()
const runKey = (db: ReadableDb, id: number): string => `${db.name}#${id}`

/** Starts a run in status 'running' and returns its id. */
export function createRun(db: WritableDb, run: NewRun): number {
  if (run.kind.trim() === '') throw new Error('a run needs a kind')
  if (run.seed !== undefined && !Number.isSafeInteger(run.seed)) {
    throw new Error(`run seed ${run.seed} is not an integer`)
  }
  // Unknown ids are named before anything is written (not a FOREIGN KEY failure mid-write).
  for (const modelId of run.modelIds ?? []) {
    if (!db.prepare('SELECT 1 FROM models WHERE id = ?').get(modelId))
      throw new RecordNotFoundError('model', modelId)
  }
  if (
    run.datasetId !== undefined &&
    !db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(run.datasetId)
  ) {
    throw new RecordNotFoundError('dataset', run.datasetId)
  }
  const owner = run.owner ?? newRunOwner()
  try {
    const id = inTransaction(db, () => {
      const info = db
        .prepare(
          `INSERT INTO runs (kind, status, config, seed, backend, dataset_id, started_at, owner)
           VALUES (?, 'running', ?, ?, ?, ?, ?, ?)`
        )
        .run(
          run.kind,
          JSON.stringify(run.config),
          run.seed ?? null,
          run.backend,
          run.datasetId ?? null,
          run.startedAt ?? new Date().toISOString(),
          owner
        )
      const id = Number(info.lastInsertRowid)
      const link = db.prepare(
        'INSERT INTO run_models (run_id, position, model_id) VALUES (?, ?, ?)'
      )
      ;(run.modelIds ?? []).forEach((modelId, position) => link.run(id, position, modelId))
      return id
    })
    ownerOfRun.set(runKey(db, id), owner)
    return id
  } catch (err) {
    releaseRunOwner(owner)
    throw err
  }
}

/** Progress of a running run; ignored once the run has finished. */
export function updateRunProgress(
  db: WritableDb,
  id: number,
  p: { fraction: number; stage: string }
): void {
  const fraction = Math.min(1, Math.max(0, Number.isFinite(p.fraction) ? p.fraction : 0))
  db.prepare(
    `UPDATE runs SET progress_fraction = ?, progress_stage = ? WHERE id = ? AND status = 'running'`
  ).run(fraction, p.stage, id)
}

/**
 * Results of a run still running, written as it goes: a job that is resumed after a crash (an
 * experiment plan) keeps here what it has finished. Ignored once the run has ended.
 */
export function updateRunResults(db: WritableDb, id: number, results: object): void {
  db.prepare(`UPDATE runs SET results = ? WHERE id = ? AND status = 'running'`).run(
    JSON.stringify(results),
    id
  )
}

/** Adds models to a run's list (after those it has), e.g. the models a plan has trained. */
export function addRunModels(db: WritableDb, id: number, modelIds: readonly number[]): void {
  inTransaction(db, () => {
    const row = db
      .prepare('SELECT coalesce(max(position) + 1, 0) AS next FROM run_models WHERE run_id = ?')
      .get(id) as { next: number }
    const have = new Set(
      (
        db.prepare('SELECT model_id FROM run_models WHERE run_id = ?').all(id) as {
          model_id: number
        }[]
      ).map((r) => r.model_id)
    )
    const link = db.prepare('INSERT INTO run_models (run_id, position, model_id) VALUES (?, ?, ?)')
    let next = row.next
    for (const modelId of modelIds) if (!have.has(modelId)) link.run(id, next++, modelId)
  })
}

/**
 * Sets a run that ended without finishing (cancelled, interrupted, failed) running again, owned
 * by this thread, for a job that resumes it; its results stay. Returns false when the run is
 * not in such a state (another job took it first, or it is done): the caller must not resume.
 */
export function reopenRun(db: WritableDb, id: number): boolean {
  const owner = newRunOwner()
  const changed = db
    .prepare(
      `UPDATE runs SET status = 'running', owner = ?, error = NULL, finished_at = NULL,
         duration_ms = NULL WHERE id = ? AND status IN ('cancelled', 'interrupted', 'failed')`
    )
    .run(owner, id).changes
  if (changed === 0) {
    releaseRunOwner(owner)
    return false
  }
  ownerOfRun.set(runKey(db, id), owner)
  return true
}

/** Ends a run with its results; records finished_at and the duration. */
export function finishRun(
  db: WritableDb,
  id: number,
  end: { status: FinishedRunStatus; results: object; error?: string }
): void {
  if (!['done', 'failed', 'cancelled'].includes(end.status)) {
    throw new Error(`a run cannot finish as '${end.status}'`)
  }
  try {
    inTransaction(db, () => {
      const row = db.prepare('SELECT started_at FROM runs WHERE id = ?').get(id) as
        { started_at: string } | undefined
      if (!row) throw new RecordNotFoundError('run', id)
      const finished = new Date()
      const duration = Math.max(0, finished.getTime() - Date.parse(row.started_at))
      db.prepare(
        `UPDATE runs SET status = ?, results = ?, error = ?, finished_at = ?, duration_ms = ?,
           progress_fraction = CASE WHEN ? = 'done' THEN 1 ELSE progress_fraction END
         WHERE id = ?`
      ).run(
        end.status,
        JSON.stringify(end.results),
        end.error ?? null,
        finished.toISOString(),
        duration,
        end.status,
        id
      )
    })
  } finally {
    // The job has ended even when its end could not be written (a full disk): from now on
    // an open in this thread may mark the run interrupted (owner.ts).
    const key = runKey(db, id)
    const owner = ownerOfRun.get(key)
    if (owner !== undefined) releaseRunOwner(owner)
    ownerOfRun.delete(key)
  }
}

/** Why an orphaned run was marked 'interrupted' (stored in its error column). */
export const INTERRUPTED_REASON =
  'the program stopped before this run finished (it was closed, killed or crashed, or the disk was full)'

/** A model left 'training' without any running run is only an orphan after this long. */
const ORPHAN_MODEL_GRACE_MS = 60_000

/**
 * Marks runs still 'running' as 'interrupted' unless `ownerAlive` says the process or thread
 * that started them may still run them (another window, the CLI on the same file, a job
 * worker). Models such a run was training leave 'training': 'cancelled' when a best
 * checkpoint was saved (the model row holds it, as after a cancel), else 'failed'. Called when
 * a project is opened read-write; writes nothing when there is nothing to repair. Returns the
 * run ids marked.
 */
export function markInterruptedRuns(
  db: WritableDb,
  ownerAlive: (owner: string) => boolean = () => false,
  now: Date = new Date()
): number[] {
  const findDead = (): number[] =>
    (
      db.prepare(`SELECT id, owner FROM runs WHERE status = 'running' ORDER BY id`).all() as {
        id: number
        owner: string
      }[]
    )
      .filter((r) => !ownerAlive(r.owner))
      .map((r) => r.id)
  const cutoff = new Date(now.getTime() - ORPHAN_MODEL_GRACE_MS).toISOString()
  // A model 'training' that no running run names: its job died between saving the model and
  // starting its run.
  const unowned = `SELECT id FROM models m WHERE status = 'training' AND updated_at < ? AND NOT EXISTS
    (SELECT 1 FROM run_models rm JOIN runs r ON r.id = rm.run_id
     WHERE rm.model_id = m.id AND r.status = 'running')`
  if (findDead().length === 0 && db.prepare(unowned).all(cutoff).length === 0) return []
  return inTransaction(db, () => {
    const dead = findDead()
    const mark = db.prepare(
      `UPDATE runs SET status = 'interrupted', error = coalesce(error, ?) WHERE id = ?`
    )
    const release = db.prepare(
      `UPDATE models SET updated_at = ?, status = CASE WHEN EXISTS
         (SELECT 1 FROM model_checkpoints c WHERE c.model_id = models.id) THEN 'cancelled' ELSE 'failed' END
       WHERE status = 'training' AND id IN (SELECT model_id FROM run_models WHERE run_id = ?)`
    )
    for (const id of dead) {
      mark.run(INTERRUPTED_REASON, id)
      release.run(now.toISOString(), id)
    }
    db.prepare(
      `UPDATE models SET updated_at = ?, status = CASE WHEN EXISTS
         (SELECT 1 FROM model_checkpoints c WHERE c.model_id = models.id) THEN 'cancelled' ELSE 'failed' END
       WHERE id IN (${unowned})`
    ).run(now.toISOString(), cutoff)
    return dead
  })
}

/** Runs, newest first, without results. */
export function listRuns(db: ReadableDb, filter: RunFilter = {}): StoredRun[] {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.kind !== undefined) {
    where.push('r.kind = ?')
    params.push(filter.kind)
  }
  if (filter.status !== undefined) {
    where.push('r.status = ?')
    params.push(filter.status)
  }
  if (filter.search !== undefined && filter.search.trim() !== '') {
    // instr on lower(): LIKE would treat % and _ in the user's text as wildcards.
    where.push(
      `instr(lower(r.kind || ' ' || r.config || ' ' || r.backend || ' ' || coalesce(r.error, '')), ?) > 0`
    )
    params.push(filter.search.trim().toLowerCase())
  }
  const sql = `${SUMMARY_SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY r.started_at DESC, r.id DESC`
  return (db.prepare(sql).all(...params) as RunRow[]).map(toSummary)
}

/** One run with its results, or undefined. */
export function getRun(db: ReadableDb, id: number): RunRecord | undefined {
  const row = db
    .prepare(`${SUMMARY_SELECT.replace('FROM runs r', ', r.results FROM runs r')} WHERE r.id = ?`)
    .get(id) as (RunRow & { results: string | null }) | undefined
  return row && { ...toSummary(row), results: fromJson<object>(row.results) }
}

/** Deletes a run and its gallery. */
export function deleteRun(db: WritableDb, id: number): boolean {
  return db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0
}
