/**
 * What every command that runs a job is made of: its channel, the flags that fill the channel's
 * request (validated by the window's own schema, so a value refused there is refused here,
 * naming the flag) and how it runs on the project file.
 */
import type { Args, Channel } from '../../contract/requests'
import type { JobProgress } from '../services/hooks'
import type { ProjectDb } from '../store'
import { flag, requestFromFlags, UsageError, type Flags, type Values } from './args'
import { withProject } from './projects'

export interface CliContext {
  json: boolean
  progress: (p: JobProgress) => void
  /** Prints `value` as JSON with --json, else the human text. */
  emit(value: unknown, human: () => string): void
}

export interface JobCommand<C extends Channel> {
  channel: C
  /** The command's help lines. */
  usage: string
  flags: Flags
  /** Fields that do not come from a flag one to one (e.g. a dataset's source). */
  extra?: (values: Values) => Record<string, unknown>
  /** Runs the service on the validated request and prints; returns the exit code. */
  run?(project: ProjectDb, request: Args<C>, values: Values, ctx: CliContext): Promise<number>
  /**
   * Replaces opening the project read-write around `run`: for a command that must read (and
   * may refuse) before it writes, so that a refusal leaves the project file untouched.
   */
  runOnFile?(file: string, request: Args<C>, values: Values, ctx: CliContext): Promise<number>
}

/** A command ready to run on a project file: flags in, exit code out. */
export interface CommandRunner {
  usage: string
  /** Flag names it reads (all take a value). */
  flagNames: string[]
  execute(file: string | undefined, values: Values, ctx: CliContext): Promise<number>
}

/** A job command as its runner: flags → validated request → the project → the service. */
export function command<C extends Channel>(
  c: JobCommand<C>,
  ownFlags: string[] = []
): CommandRunner {
  return {
    usage: c.usage,
    flagNames: [...Object.keys(c.flags), ...ownFlags],
    execute: (file, values, ctx) => {
      const request = requestFromFlags(c.channel, c.flags, values, c.extra?.(values) ?? {})
      if (c.runOnFile) {
        if (!file) throw new UsageError('a project file is required')
        return c.runOnFile(file, request, values, ctx)
      }
      const run = c.run
      if (!run) throw new Error(`The command for ${c.channel} has nothing to run`)
      return withProject(file, true, (project) => run(project, request, values, ctx))
    }
  }
}

/** Flags many commands share. */
export const dataset = flag('datasetId', 'int')
export const seed = flag('seed', 'int')
