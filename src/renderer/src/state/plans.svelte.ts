/**
 * The Plans screen's state (ARCHITECTURE pattern 9: thin component, state in a module): the
 * plan on show, its results read with `plans.result` (also while it runs: its run keeps its
 * progress), starting and resuming plans. Numbers and intervals all come from the main side.
 */
import { call } from '../lib/api'
import type { PlanRequest, PlanResult } from '../../../contract/plans'
import type { RunSummary } from '../../../contract/entities'
import { app } from './app.svelte'

/** How often a running plan's table is read again. */
const POLL_MS = 2500

class PlansState {
  /** The plan run on show; null = the newest. */
  chosen = $state<number | null>(null)
  result = $state<PlanResult | null>(null)
  busy = $state(false)
  private timer: ReturnType<typeof setTimeout> | undefined
  private ticket = 0

  /** Plan runs of the project, newest first. */
  get runs(): RunSummary[] {
    return app.runs.filter((r) => r.kind === 'plan')
  }

  /** The plan on show: the chosen one while it exists, else the newest. */
  get shownId(): number | null {
    const runs = this.runs
    if (this.chosen !== null && runs.some((r) => r.id === this.chosen)) return this.chosen
    return runs[0]?.id ?? null
  }

  /** Whether a plan job is queued or running in this window. */
  get running(): boolean {
    return app.jobs.some(
      (j) =>
        (j.kind === 'plan' || j.kind === 'plan-resume') &&
        (j.status === 'running' || j.status === 'queued')
    )
  }

  /** Reads the plan on show (and again every few seconds while a plan job runs). */
  async load(): Promise<void> {
    clearTimeout(this.timer)
    const id = this.shownId
    const ticket = ++this.ticket
    if (id === null) {
      this.result = null
      return
    }
    try {
      const r = await call('plans.result', { runId: id })
      if (ticket === this.ticket) this.result = r
    } catch (err) {
      if (ticket === this.ticket) app.fail(err)
    }
    if (this.running) this.timer = setTimeout(() => void this.refreshAndLoad(), POLL_MS)
  }

  private async refreshAndLoad(): Promise<void> {
    await app.refresh()
    await this.load()
  }

  show(runId: number): void {
    this.chosen = runId
    void this.load()
  }

  /** Queues a plan, then shows its run as soon as the worker has created it. */
  async start(request: PlanRequest): Promise<void> {
    this.busy = true
    try {
      const before = new Set(this.runs.map((r) => r.id))
      await call('plans.run', request)
      for (let i = 0; i < 40; i++) {
        await app.refresh()
        const fresh = this.runs.find((r) => !before.has(r.id))
        if (fresh) {
          this.show(fresh.id)
          return
        }
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    } catch (err) {
      app.fail(err)
    } finally {
      this.busy = false
    }
  }

  async resume(runId: number): Promise<void> {
    try {
      await call('plans.resume', { planRunId: runId })
      this.chosen = runId
      await this.refreshAndLoad()
    } catch (err) {
      app.fail(err)
    }
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

export const plans = new PlansState()

/** Whether a plan run can be resumed (it stopped before finishing). */
export function resumable(status: string): boolean {
  return status === 'cancelled' || status === 'interrupted' || status === 'failed'
}
