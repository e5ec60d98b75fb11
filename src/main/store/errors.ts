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

export class ProjectFileError extends Error {
  override readonly name = 'ProjectFileError'

  constructor(
    readonly code: ProjectFileErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}
