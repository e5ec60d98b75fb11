/** The one event map: what the main side pushes to windows (and browser tabs). */
import type { ContractErrorData } from './errors'
import type { HistoryPoint, JobInfo, ProjectInfo } from './entities'

export interface EventMap {
  /** Progress of a job: fraction in [0, 1], a stage in words, ETA, and live metrics. */
  'job.progress': { job: JobInfo; metrics?: Record<string, number>; point?: HistoryPoint }
  'job.finished': { job: JobInfo; result: unknown }
  'job.failed': { job: JobInfo; error: ContractErrorData }
  'job.cancelled': { job: JobInfo }
  /** The open project changed: opened, created, saved-as, closed, or grew (size). */
  'project.changed': { project: ProjectInfo | null }
  log: { level: 'info' | 'warn' | 'error'; message: string; at: string }
}

export type EventName = keyof EventMap
export const EVENT_NAMES: EventName[] = [
  'job.progress',
  'job.finished',
  'job.failed',
  'job.cancelled',
  'project.changed',
  'log'
]
