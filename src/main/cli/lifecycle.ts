/**
 * Renaming and deleting from the command line, with the window's rules (services/lifecycle.ts).
 * A delete that would take other things with it prints them and refuses unless
 * --with-dependents is given (exit code 5), so a script never removes more than it named.
 */
import type { Dependents, EntityKind } from '../../contract/entities'
import type { Channel } from '../../contract/requests'
import type { ProjectDb } from '../store'
import { deleteEntity, hasDependents, planDeletion, renameEntity } from '../services/lifecycle'
import { flag, requestFromFlags, type Flags, type Values } from './args'
import type { CliContext } from './command'

/** Exit code of a delete refused because of its dependents. */
export const EXIT_HAS_DEPENDENTS = 5

export interface LifecycleCommand {
  usage: string
  execute(project: ProjectDb, values: Values, ctx: CliContext): number
}

/** The dependents as lines a person reads before deciding. */
export function dependentsLines(d: Dependents): string[] {
  const lines: string[] = []
  for (const m of d.models) lines.push(`  model ${m.id} "${m.name}" (${m.why})`)
  for (const r of d.runs) lines.push(`  run ${r.id} ${r.kind} (${r.status}, ${r.startedAt})`)
  if (d.galleryImages > 0) lines.push(`  ${d.galleryImages} gallery image(s)`)
  return lines
}

function describe(kind: EntityKind, d: Dependents): string {
  return kind === 'run' ? d.target.name : `${kind} ${d.target.id} "${d.target.name}"`
}

function renameCommand(
  kind: 'dataset' | 'model',
  channel: Channel,
  flags: Flags
): LifecycleCommand {
  return {
    usage: `  ${kind} rename F --${kind} ID --name N`,
    execute(project, values, ctx) {
      const request = requestFromFlags(channel, flags, values) as { name: string } & Record<
        string,
        number
      >
      const id = kind === 'dataset' ? request.datasetId! : request.modelId!
      const r = renameEntity(project, { kind, id }, request.name)
      ctx.emit(r, () =>
        [
          `Renamed ${kind} ${id} to "${r.name}"`,
          ...(r.warning ? [`  note: ${r.warning}`] : [])
        ].join('\n')
      )
      return 0
    }
  }
}

function deleteCommand(kind: EntityKind, channel: Channel, flags: Flags): LifecycleCommand {
  return {
    usage: `  ${kind} delete F --${kind} ID [--with-dependents]`,
    execute(project, values, ctx) {
      const withDependents = values['with-dependents'] === true
      const request = requestFromFlags(channel, flags, values) as Record<string, number>
      const id = request.datasetId ?? request.modelId ?? request.runId!
      const d = planDeletion(project, { kind, id }).dependents
      if (d.blockers.length === 0 && hasDependents(d) && !withDependents) {
        ctx.emit({ refused: true, dependents: d }, () =>
          [
            `Deleting ${describe(kind, d)} would also delete:`,
            ...dependentsLines(d),
            'Nothing was deleted. Run again with --with-dependents to delete all of it.'
          ].join('\n')
        )
        return EXIT_HAS_DEPENDENTS
      }
      // Blockers (a run still running on it) are refused here with their reason.
      const result = deleteEntity(project, { kind, id }, { withDependents })
      ctx.emit({ deleted: result, dependents: d }, () =>
        [
          `Deleted ${describe(kind, d)}` + (hasDependents(d) ? ' and what depended on it:' : ''),
          ...dependentsLines(d)
        ].join('\n')
      )
      return 0
    }
  }
}

const dataset = flag('datasetId', 'int')
const model = flag('modelId', 'int')
const name = flag('name')

/** `dataset rename|delete`, `model rename|delete`, `run delete`. */
export const LIFECYCLE_COMMANDS: Record<string, LifecycleCommand> = {
  'dataset rename': renameCommand('dataset', 'datasets.rename', { dataset, name }),
  'dataset delete': deleteCommand('dataset', 'datasets.delete', { dataset }),
  'model rename': renameCommand('model', 'models.rename', { model, name }),
  'model delete': deleteCommand('model', 'models.delete', { model }),
  'run delete': deleteCommand('run', 'results.delete', { run: flag('runId', 'int') })
}

export const LIFECYCLE_USAGE = `${Object.values(LIFECYCLE_COMMANDS)
  .map((c) => c.usage)
  .join('\n')}
                          a delete with dependents lists them and refuses (exit ${EXIT_HAS_DEPENDENTS})
                          unless --with-dependents; a taken name gets a "(2)" suffix`
