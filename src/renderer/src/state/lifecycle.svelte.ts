/**
 * Renaming and deleting from any screen, and the question before closing a project while a
 * job runs. The main side decides what a delete takes with it (services/lifecycle.ts); the
 * window shows that list, asks, and only then deletes.
 */
import { call, messageOf } from '../lib/api'
import type { EntityKind, JobInfo } from '../../../contract/entities'
import { app } from './app.svelte'
import { confirm } from './confirm.svelte'

const WHAT: Record<EntityKind, string> = { dataset: 'dataset', model: 'model', run: 'run' }

function dependentsOf(kind: EntityKind, id: number) {
  if (kind === 'dataset') return call('datasets.dependents', { datasetId: id })
  if (kind === 'model') return call('models.dependents', { modelId: id })
  return call('results.dependents', { runId: id })
}

function deleteIt(kind: EntityKind, id: number) {
  if (kind === 'dataset') return call('datasets.delete', { datasetId: id, withDependents: true })
  if (kind === 'model') return call('models.delete', { modelId: id, withDependents: true })
  return call('results.delete', { runId: id, withDependents: true })
}

/**
 * Shows what deleting the dataset, model or run takes with it and deletes all of it once the
 * analyst confirms. Resolves true when something was deleted.
 */
export async function deleteWithQuestion(kind: EntityKind, id: number): Promise<boolean> {
  try {
    const dependents = await dependentsOf(kind, id)
    const name = kind === 'run' ? dependents.target.name : `“${dependents.target.name}”`
    if (dependents.blockers.length > 0) {
      await confirm.ask({
        title: `${name} cannot be deleted now`,
        lines: dependents.blockers,
        confirmLabel: 'OK',
        danger: false,
        informOnly: true
      })
      return false
    }
    const alone =
      dependents.models.length === 0 &&
      dependents.runs.length === 0 &&
      dependents.galleryImages === 0
    const yes = await confirm.ask({
      title: `Delete ${kind === 'run' ? name : `the ${WHAT[kind]} ${name}`}?`,
      lines: [
        alone
          ? 'Nothing else in the project depends on it.'
          : 'These depend on it and will be deleted with it:',
        'A delete cannot be undone. Save a copy of the project first (Projects → Save as…) if you may need them again.'
      ],
      dependents: alone ? undefined : dependents,
      confirmLabel: alone ? 'Delete' : 'Delete all of it',
      danger: true
    })
    if (!yes) return false
    await deleteIt(kind, id)
    await app.refresh()
    // What went with it, as listed (its own import or training record is not counted).
    const also = [
      dependents.models.length ? `${dependents.models.length} model(s)` : '',
      dependents.runs.length ? `${dependents.runs.length} run(s)` : '',
      dependents.galleryImages ? `${dependents.galleryImages} gallery image(s)` : ''
    ].filter(Boolean)
    app.info(
      `Deleted ${kind === 'run' ? name : `${WHAT[kind]} ${name}`}${also.length ? ` with ${also.join(', ')}` : ''}.`
    )
    return true
  } catch (err) {
    app.fail(err)
    return false
  }
}

/** Renames a dataset or model; a taken name comes back with "(2)" and the notice says so. */
export async function rename(
  kind: 'dataset' | 'model',
  id: number,
  name: string
): Promise<boolean> {
  try {
    const r =
      kind === 'dataset'
        ? await call('datasets.rename', { datasetId: id, name })
        : await call('models.rename', { modelId: id, name })
    await app.refresh()
    app.info(r.warning ?? `Renamed to “${r.name}”.`)
    return true
  } catch (err) {
    app.notice = { kind: 'error', text: messageOf(err) }
    return false
  }
}

/** Jobs still queued or running in this window. */
export function activeJobs(): JobInfo[] {
  return app.jobs.filter((j) => j.status === 'running' || j.status === 'queued')
}

/**
 * Before the project closes (Close, or opening another one) while jobs run: says what stops
 * and what is kept, and asks. Resolves true when there is nothing to stop or the analyst agrees.
 */
export async function okToStopJobs(action: string): Promise<boolean> {
  const active = activeJobs()
  if (active.length === 0) return true
  const training = active.some((j) => j.kind === 'train')
  return confirm.ask({
    title:
      active.length === 1 ? 'A job is still running' : `${active.length} jobs are still running`,
    lines: [
      ...active.map(
        (j) =>
          `${j.label}: ${j.status === 'queued' ? 'waiting' : `${Math.round(j.fraction * 100)} % done`}`
      ),
      `${action} stops ${active.length === 1 ? 'it' : 'them'}.` +
        (training
          ? ' A training keeps its best checkpoint as a usable model (if it got to its first check); other jobs keep nothing.'
          : ' Their results so far are not kept.')
    ],
    confirmLabel: `Stop and ${action.toLowerCase()}`,
    danger: true
  })
}
