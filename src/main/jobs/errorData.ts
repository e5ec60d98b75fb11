/**
 * Anything thrown by a handler or a job, as the contract's error shape (issue 19, "plain
 * messages"): the message a person reads, `where` (the file, record or request field at fault)
 * and `technical` (an errno, a parser's or SQLite's text) for the "details" disclosure, the
 * command line's --verbose and the log. Errors written for people keep their words; anything
 * else is an unexpected failure, told in plain words with its raw text kept as `technical`.
 */
import { ContractError, DISK_FULL_MESSAGE, type ContractErrorData } from '../../contract/errors'
import { ValidationError } from '../../contract/validate'
import { HEAP_EXHAUSTED } from '../engine/wasmHeap'

/**
 * Refusals of a file that cannot be read: datasets and their images, ONNX and TF.js Layers
 * models, a .npy batch to predict on. Their messages name the file in words.
 */
const IMPORT_ERRORS = new Set([
  'ImportError',
  'DatasetFileError',
  'FileAccessError',
  'ImageDecodeError',
  'PngError',
  'JpegStructureError',
  'OnnxImportError',
  'LayersFormatError',
  'NpyError'
])

/** Requests the engine refuses in words written for the user (a stage a model lacks …). */
const REQUEST_REFUSALS = new Set(['SaliencyError'])

/** What an unexpected error tells the user; its own text goes to `technical` and the log. */
export const INTERNAL_MESSAGE =
  'Ortholens met an unexpected error and stopped this operation; nothing saved before was lost. Its technical details say what happened (include them if you report it).'

/**
 * RangeErrors the JavaScript engine raises itself (an allocation, a recursion, a typed array
 * past its end): failures, not the refusals in words the services throw as RangeError.
 */
const ENGINE_RANGE_ERRORS =
  /^(Invalid (typed )?array (buffer )?length|Invalid string length|Array buffer allocation failed|Maximum call stack size exceeded|Offset is outside the bounds|Start offset|.* out of range|Invalid (count|time|code point) value|toFixed\(\) digits|Invalid DataView|.*is outside the bounds of the buffer)/i

type Fields = Record<string, unknown>

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** The parts of an error that are data, whatever its class: `code`, `detail`, `file`, `path`. */
function fieldsOf(err: Error): Fields {
  return err as unknown as Fields
}

/** Whether `err` (or an error it wraps) is a full disk: SQLite's SQLITE_FULL or the OS's ENOSPC. */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = fieldsOf(e).code
    if (code === 'SQLITE_FULL' || code === 'ENOSPC') return true
    if (e.name === 'ProjectFileError' && code === 'disk-full') return true
  }
  return false
}

/** "SQLITE_FULL: database or disk is full", from the error or the first cause that has a code. */
function technicalOf(err: Error): string {
  const detail = text(fieldsOf(err).detail)
  if (detail) return detail
  const code = text(fieldsOf(err).code)
  const own = `${err.name}: ${err.message}`
  return code && !err.message.includes(code) ? `${code} (${own})` : own
}

/** `{ where, technical }` with the empty ones left out. */
function parts(
  where: string | undefined,
  technical: string | undefined
): Partial<ContractErrorData> {
  return { ...(where ? { where } : {}), ...(technical ? { technical } : {}) }
}

/** Turns anything thrown into the contract's error shape (see the file's comment). */
export function toErrorData(err: unknown): ContractErrorData {
  if (err instanceof ContractError) return err.toJSON()
  if (!(err instanceof Error)) {
    return { code: 'internal', message: INTERNAL_MESSAGE, technical: String(err) }
  }
  const f = fieldsOf(err)
  const detail = text(f.detail)
  if (err.name === 'AbortError' || err.name === 'JobCancelledError')
    return { code: 'cancelled', message: 'Cancelled' }
  if (isDiskFull(err)) {
    return {
      code: 'disk-full',
      message: DISK_FULL_MESSAGE,
      ...parts(text(f.path), technicalOf(err))
    }
  }
  if (err.name === 'ProjectFileError')
    return { code: 'project-file', message: err.message, ...parts(text(f.path), detail) }
  if (err.name === 'RecordNotFoundError')
    return {
      code: 'not-found',
      message: err.message,
      ...parts(`${String(f.kind)} ${String(f.id)}`, undefined)
    }
  if (IMPORT_ERRORS.has(err.name))
    return { code: 'import-failed', message: err.message, ...parts(text(f.file), detail) }
  // A model that does not fit the request's dataset (services/compatibility.ts).
  if (err.name === 'IncompatibleModelError')
    return { code: 'invalid-args', message: err.message, ...parts(text(f.field), undefined) }
  if (err instanceof ValidationError)
    return { code: 'invalid-args', message: err.message, ...parts(err.path, undefined) }
  if (REQUEST_REFUSALS.has(err.name)) return { code: 'invalid-args', message: err.message }
  // Written for people: what ran out and what to do (engine/wasmHeap.ts).
  if (err.message.includes(HEAP_EXHAUSTED)) return { code: 'out-of-memory', message: err.message }
  // The services refuse a request in words with a RangeError ("Orthogonal training (λ > 0)
  // needs a reference model"); the JavaScript engine's own RangeErrors are failures.
  if (err instanceof RangeError && !text(f.code) && !ENGINE_RANGE_ERRORS.test(err.message))
    return { code: 'invalid-args', message: err.message, ...parts(undefined, detail) }
  return { code: 'internal', message: INTERNAL_MESSAGE, technical: technicalOf(err) }
}

/**
 * The log line of an unexpected error (stderr: the terminal, or Electron's log), with its
 * stack, so that the raw text the user sees only under "details" is also kept where a
 * developer looks. Other errors are answers, not faults, and are not logged.
 */
export function logIfInternal(err: unknown, data: ContractErrorData, where: string): void {
  if (data.code !== 'internal') return
  const stack = err instanceof Error ? (err.stack ?? String(err)) : String(err)
  console.error(`[ortholens] unexpected error in ${where}: ${stack}`)
}
