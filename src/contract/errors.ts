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
  'cancelled',
  'busy',
  /** A delete that would take other things with it, asked without `withDependents`. */
  'has-dependents',
  'unauthorized',
  'internal'
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** The JSON shape of an error after it crossed the boundary. */
export interface ContractErrorData {
  code: ErrorCode
  message: string
  /** e.g. the file that failed, or the argument path that was invalid. */
  detail?: string
}

/** Thrown by handlers; serialised as ContractErrorData by every transport. */
export class ContractError extends Error {
  readonly code: ErrorCode
  readonly detail?: string
  constructor(code: ErrorCode, message: string, detail?: string) {
    super(message)
    this.name = 'ContractError'
    this.code = code
    this.detail = detail
  }

  toJSON(): ContractErrorData {
    return { code: this.code, message: this.message, ...(this.detail ? { detail: this.detail } : {}) }
  }
}

/** A reply as a transport carries it. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ContractErrorData }
