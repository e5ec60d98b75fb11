/**
 * Errors of dataset reading. Each names the offending file (and record, where there is one),
 * because the UI shows the message as is and a user with ten thousand images needs to know
 * which one to delete. The message says what is wrong in words; `detail` keeps the technical
 * reason (offsets, checksums, errno codes, a library's own text) for a "details" view and the
 * log, so that none of it reaches the message.
 */
import { FileAccessError } from '../io/errors'

/** An import that cannot go on: a corrupt or truncated file, a bad label, an unknown format. */
export class ImportError extends Error {
  override name = 'ImportError'
  /** The offending file or folder. */
  readonly file: string
  /** The reason alone, without the file (what `provenance.skipped` records). */
  readonly reason: string
  /** Technical detail for the log and a "details" view; never needed to understand `message`. */
  readonly detail?: string

  constructor(file: string, reason: string, options?: { cause?: unknown; detail?: string }) {
    super(`${file}: ${reason}`, options)
    this.file = file
    this.reason = reason
    if (options?.detail !== undefined) this.detail = options.detail
  }
}

/**
 * The ImportError for whatever reading or decoding `file` threw: errors that already speak
 * plainly (FileAccessError, decoder refusals with a `detail`) keep their words; anything else
 * (a library's internal message) becomes "could not be read", its text kept as `detail`.
 */
export function importErrorFrom(file: string, err: unknown): ImportError {
  if (err instanceof ImportError) return err
  if (err instanceof FileAccessError) {
    return new ImportError(err.file || file, err.reason, { cause: err, detail: err.detail })
  }
  const known = err instanceof Error && 'detail' in err
  if (known) {
    const e = err as Error & { detail?: string }
    return new ImportError(file, e.message, { cause: err, detail: e.detail })
  }
  return new ImportError(file, 'it could not be read (an unexpected error; see details)', {
    cause: err,
    detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  })
}

/** A dataset file (the built-in sample's format) that is corrupt or of an unknown version. */
export class DatasetFileError extends Error {
  override name = 'DatasetFileError'
  readonly file: string
  readonly detail?: string

  constructor(file: string, reason: string, options?: { cause?: unknown; detail?: string }) {
    super(`${file}: ${reason}`, options)
    this.file = file
    if (options?.detail !== undefined) this.detail = options.detail
  }
}
