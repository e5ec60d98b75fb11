/**
 * How every service closes a run whose job threw: 'cancelled' when the user's AbortSignal
 * fired (or an engine step reported an AbortError), otherwise 'failed' with the message.
 */
import { finishRun, type WritableDb } from '../store'
import { JobCancelledError } from './hooks'

/** Whether `err` is a cancellation rather than a failure. */
export function isCancellation(err: unknown, signal?: AbortSignal): boolean {
  return (
    err instanceof JobCancelledError ||
    Boolean(signal?.aborted) ||
    (err instanceof Error && err.name === 'AbortError')
  )
}

/**
 * Records the run as cancelled or failed and returns the error for the caller to throw
 * (a JobCancelledError for a cancellation, so every job reports it the same way).
 *
 * When the end cannot be written either (the full disk that failed the job refuses this write
 * too), the job's own error is still the one returned: the run stays 'running' until the job
 * worker or the next open marks it interrupted (finishRun has released its owner).
 */
export function closeFailedRun(
  db: WritableDb,
  runId: number,
  err: unknown,
  signal?: AbortSignal
): unknown {
  const cancelled = isCancellation(err, signal)
  try {
    finishRun(db, runId, {
      status: cancelled ? 'cancelled' : 'failed',
      results: {},
      error: cancelled ? undefined : err instanceof Error ? err.message : String(err)
    })
  } catch {
    // See above: reconciled later; the cause the user needs is `err`.
  }
  return cancelled && !(err instanceof JobCancelledError) ? new JobCancelledError() : err
}
