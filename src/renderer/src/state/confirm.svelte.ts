/**
 * The one question the window asks before doing something that cannot be undone (a delete, a
 * close that stops a running job): a modal the App shows, answered with a promise, so any
 * screen can ask without owning a dialog of its own.
 */
import type { Dependents } from '../../../contract/entities'

export interface Question {
  title: string
  /** Plain sentences above the list. */
  lines: string[]
  /** What a delete takes with it, listed for the analyst. */
  dependents?: Dependents
  confirmLabel: string
  /** Red confirm button: the action removes or stops something. */
  danger: boolean
  /** Only an OK button: the action cannot go ahead (e.g. a job is running on it). */
  informOnly?: boolean
}

class ConfirmState {
  question = $state<Question | null>(null)
  private answer: ((yes: boolean) => void) | null = null

  /** Shows `q` and resolves true when confirmed, false when cancelled or dismissed. */
  ask(q: Question): Promise<boolean> {
    this.answer?.(false)
    this.question = q
    return new Promise((resolve) => (this.answer = resolve))
  }

  reply(yes: boolean): void {
    const answer = this.answer
    this.answer = null
    this.question = null
    answer?.(yes)
  }
}

export const confirm = new ConfirmState()
