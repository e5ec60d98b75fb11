/**
 * Job bodies, one per JobKind: each opens the project file itself (a worker has its own
 * SQLite connection) and calls the application services shared with the CLI.
 */
import type { JobRunners } from './messages'

export const jobRunners: JobRunners = {}
