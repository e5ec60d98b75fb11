/**
 * Errors of dataset reading. Each names the offending file, because the UI shows the message
 * as is and a user with ten thousand images needs to know which one to delete.
 */

/** An import that cannot go on: a corrupt or truncated file, a bad label, an unknown format. */
export class ImportError extends Error {
  override name = 'ImportError'
  /** The offending file or folder. */
  readonly file: string
  /** The reason alone, without the file (what `provenance.skipped` records). */
  readonly reason: string

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options)
    this.file = file
    this.reason = reason
  }
}

/** A dataset file (the built-in sample's format) that is corrupt or of an unknown version. */
export class DatasetFileError extends Error {
  override name = 'DatasetFileError'
  readonly file: string

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options)
    this.file = file
  }
}
