/**
 * Why a project file was refused. The UI shows `message` as is (it names the file); `code`
 * lets callers choose an action (offer "create", suggest updating the app, and so on).
 */
export type ProjectFileErrorCode =
  /** No file at that path. */
  | 'missing'
  /** Not SQLite at all, or SQLite written by another program (wrong application_id). */
  | 'not-a-project'
  /** An Ortholens project whose pages fail SQLite's integrity check (truncated, overwritten). */
  | 'damaged'
  /** Written by a newer Ortholens whose schema this version does not know. */
  | 'newer-version'
  /** An older schema opened read-only: it cannot be migrated without writing. */
  | 'needs-upgrade'
  /** createProject / save-as onto a file that already exists. */
  | 'exists'
  /** A write was asked of a project opened read-only. */
  | 'read-only'
  /** The file exists but the OS will not let us read or write it (permissions). */
  | 'unreadable'
  /** Another program holds a lock on the file longer than we wait. */
  | 'locked'
  /** The disk (or the user's quota) is full: nothing can be written until space is freed. */
  | 'disk-full'

/**
 * A refused or failed project file. `message` is for the user: plain words naming the file;
 * `detail` holds the technical reason (SQLite's code and text, the errno) for a "details" view
 * and the log, so that no library internals reach the message itself.
 */
export class ProjectFileError extends Error {
  override readonly name = 'ProjectFileError'
  /** The technical reason, when there is one beyond the message. */
  readonly detail?: string

  constructor(
    readonly code: ProjectFileErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown; detail?: string }
  ) {
    super(message, options)
    const detail = options?.detail ?? technicalDetail(options?.cause)
    if (detail !== undefined) this.detail = detail
  }
}

/** "SQLITE_CORRUPT: database disk image is malformed" from a library error, if any. */
export function technicalDetail(err: unknown): string | undefined {
  if (err === undefined || err === null) return undefined
  if (err instanceof ProjectFileError) return err.detail
  const code = (err as { code?: unknown }).code
  const message = err instanceof Error ? err.message : String(err)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}

/**
 * An id that names nothing in the project ("model 99 does not exist"). Thrown before any
 * write, so an operation naming an unknown model, dataset or run leaves the file unchanged.
 */
export class RecordNotFoundError extends Error {
  override readonly name = 'RecordNotFoundError'
  readonly code = 'not-found'

  constructor(
    readonly kind: 'model' | 'dataset' | 'run',
    readonly id: number
  ) {
    super(`${kind} ${id} does not exist in this project`)
  }
}
