/** Error codes every handler and job may answer with; the renderer words them for people. */
export const ERROR_CODES = [
  'invalid-args',
  'unknown-channel',
  'no-project',
  'not-found',
  'not-available-yet',
  'project-file',
  'import-failed',
  'forbidden-path',
  'disk-full',
  'out-of-memory',
  'cancelled',
  'busy',
  /** A delete that would take other things with it, asked without `withDependents`. */
  'has-dependents',
  'unauthorized',
  'internal'
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/**
 * What a 'disk-full' error says, wherever the full disk was met (a job's write, a project
 * open, an import): SQLite rolls the unfinished transaction back, so nothing saved is lost.
 */
export const DISK_FULL_MESSAGE =
  'The disk is full, so Ortholens could not save this work. Free some space and run it again; nothing saved before was lost.'

/**
 * The JSON shape of an error after it crossed the boundary. `message` is all a user needs:
 * plain words saying what is wrong, where, and what to do. The two optional parts are for the
 * "details" disclosure under the message, the command line's --verbose and the log.
 */
export interface ContractErrorData {
  code: ErrorCode
  message: string
  /**
   * What the error is about: the file or record that failed (`…/cat/broken.png`, `model 99`)
   * or the request field that was invalid (`targetIds`, `preprocessing.mean[1]`).
   */
  where?: string
  /**
   * The technical reason (an errno code, a parser's or SQLite's own text, offsets, checksums,
   * an unexpected error's raw text): never needed to understand `message`, never inside it.
   */
  technical?: string
}

/** Thrown by handlers; serialised as ContractErrorData by every transport. */
export class ContractError extends Error {
  readonly code: ErrorCode
  readonly where?: string
  readonly technical?: string
  constructor(
    code: ErrorCode,
    message: string,
    where?: string,
    options: { technical?: string } = {}
  ) {
    super(message)
    this.name = 'ContractError'
    this.code = code
    if (where) this.where = where
    if (options.technical) this.technical = options.technical
  }

  /** The error a reply carried, thrown again on this side (a job's failure, awaited). */
  static from(data: ContractErrorData): ContractError {
    return new ContractError(data.code, data.message, data.where, { technical: data.technical })
  }

  toJSON(): ContractErrorData {
    return {
      code: this.code,
      message: this.message,
      ...(this.where ? { where: this.where } : {}),
      ...(this.technical ? { technical: this.technical } : {})
    }
  }
}

/** A reply as a transport carries it. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ContractErrorData }
