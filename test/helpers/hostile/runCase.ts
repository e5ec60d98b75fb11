/**
 * Runs one hostile case through the entry points a user reaches and judges the outcome:
 * datasets through the import service (project byte-identical after a refusal); models
 * through the engine's importer, the model import service and the command line's
 * `model import` (each on its own copy of the project, byte-identical after a refusal, and all
 * three must agree); project files through openProject (read-write and read-only).
 */
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { backendInfo } from '../../../src/main/engine/backend'
import { importLayersModel } from '../../../src/main/engine/models/layersFormat'
import { importOnnxModel } from '../../../src/main/engine/models/onnx'
import { MODEL_COMMANDS } from '../../../src/main/cli/modelCommands'
import { importModel } from '../../../src/main/services/modelImport'
import { createProject, openProject } from '../../../src/main/store'
import { listDatasets, loadDataset, saveDataset } from '../../../src/main/store/repos/datasets'
import { createRun, finishRun } from '../../../src/main/store/repos/runs'
import { importDataset } from '../../../src/main/services/datasets'
import { FAILURES, LEAK, type CaseResult, type HostileCase, type Outcome } from './types'

function sha(path: string): string {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent'
}

/** A small closed project to copy for every case (so a refusal can be compared byte for byte). */
export function makeProjectTemplate(dir: string): string {
  const path = join(dir, 'template.ortho')
  if (!existsSync(path)) createProject(path, { name: 'Hostile inputs' }).close()
  return path
}

/** A closed project spanning many pages (a dataset and a run), for the damaged-file cases. */
export function makeRichProject(dir: string): string {
  const path = join(dir, 'rich.ortho')
  if (existsSync(path)) return path
  const p = createProject(path, { name: 'Rich' })
  const w = p.writable()
  const n = 300
  const images = Uint8Array.from({ length: n * 8 * 8 }, (_, i) => (i * 37) & 255)
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3)
  saveDataset(w, {
    name: 'rich',
    classNames: ['a', 'b', 'c'],
    height: 8,
    width: 8,
    channels: 1,
    train: { images, labels, count: n },
    validation: { images: images.subarray(0, 64 * 10), labels: labels.subarray(0, 10), count: 10 },
    provenance: { importer: 'test' }
  })
  finishRun(w, createRun(w, { kind: 'note', config: { a: 1 }, backend: 'cpu' }), {
    status: 'done',
    results: { ok: true }
  })
  p.close()
  return path
}

function judgeRefusal(
  c: HostileCase,
  err: unknown
): { outcome: Outcome; message: string; why?: string } {
  const message = err instanceof Error ? err.message : String(err)
  const named = [c.path, ...c.culprits].some((f) => message.includes(f))
  if (!(err instanceof Error)) return { outcome: 'refused-unclear', message, why: 'not an Error' }
  if (!named)
    return { outcome: 'refused-unclear', message, why: 'the message names no file of the case' }
  // Paths are the user's own words (a case folder may be called png-broken-zlib-3).
  const leak = LEAK.exec(message.replace(/\/[^\s:'"(),]+/g, '<path>'))
  if (leak)
    return { outcome: 'refused-unclear', message, why: `internal text "${leak[0]}" in the message` }
  if (message.length > 600)
    return {
      outcome: 'refused-unclear',
      message: message.slice(0, 200),
      why: 'a message over 600 characters'
    }
  return { outcome: 'refused-clear', message }
}

async function runDataset(
  c: HostileCase,
  project: string
): Promise<{ accepted: boolean; images?: number }> {
  const p = openProject(project)
  try {
    const source =
      c.source === 'idx'
        ? { kind: 'idx' as const, paths: [c.path] }
        : { kind: c.source!, path: c.path }
    const r = await importDataset(p, { source, ...(c.options ?? {}) })
    const ds = loadDataset(p.db, r.datasetId)
    // What was accepted must be whole: every byte of every image written, labels in range.
    for (const s of [ds.train, ds.validation]) {
      if (s.images.length !== s.count * ds.height * ds.width * ds.channels)
        throw new Error('accepted dataset with a wrong byte count')
      for (const l of s.labels)
        if (l >= ds.classNames.length) throw new Error('accepted dataset with a label out of range')
    }
    if (listDatasets(p.db).length !== 1) throw new Error('more than one dataset saved')
    return { accepted: true, images: ds.train.count + ds.validation.count }
  } finally {
    p.close()
  }
}

/** One way into the model import: whether it accepted, or what it threw. */
interface ModelAttempt {
  via: string
  error?: unknown
  /** The project copy it worked on changed although it refused. */
  changed?: boolean
}

/** Runs `fn` on a fresh copy of the project template; records a refusal and any write. */
async function onProjectCopy(
  via: string,
  project: string,
  template: string,
  fn: (path: string) => Promise<unknown>
): Promise<ModelAttempt> {
  copyFileSync(template, project)
  const before = sha(project)
  try {
    await fn(project)
    return { via }
  } catch (error) {
    return { via, error, changed: sha(project) !== before || sha(`${project}-wal`) !== 'absent' }
  }
}

/**
 * A model case through the engine, the import service and the command line's `model import`
 * (its command runner: the same flags → request → service path as \`ortholens model import\`,
 * without the argument parsing, whose entry check a bundle would trip).
 */
async function runModel(c: HostileCase, work: string, template: string): Promise<ModelAttempt[]> {
  // As the model import service does: the backend first (weights are decoded with tf).
  await backendInfo()
  const engine: ModelAttempt = { via: 'engine' }
  try {
    if (c.format === 'onnx') importOnnxModel(c.path)
    else await importLayersModel(c.path)
  } catch (error) {
    engine.error = error
  }
  const service = await onProjectCopy(
    'service',
    join(work, `${c.id}.ortho`),
    template,
    async (path) => {
      const p = openProject(path)
      try {
        await importModel(p, { path: c.path })
      } finally {
        p.close()
      }
    }
  )
  const quiet = { json: false, progress: () => undefined, emit: () => undefined }
  const cli = await onProjectCopy(
    'command line',
    join(work, `${c.id}-cli.ortho`),
    template,
    (path) => MODEL_COMMANDS['model import']!.execute(path, { path: c.path }, quiet)
  )
  return [engine, service, cli]
}

/** Runs `c`; `work` is a folder for this case's project copy. */
export async function runHostileCase(
  c: HostileCase,
  work: string,
  template: string
): Promise<CaseResult> {
  const start = Date.now()
  const result = (outcome: Outcome, extra: Partial<CaseResult> = {}): CaseResult => ({
    id: c.id,
    family: c.family,
    outcome,
    ms: Date.now() - start,
    ...extra
  })
  const project = join(work, `${c.id}.ortho`)
  let before = ''
  let accepted: { accepted: boolean; images?: number }
  try {
    if (c.kind === 'dataset') {
      copyFileSync(template, project)
      before = sha(project)
      accepted = await runDataset(c, project)
    } else if (c.kind === 'model') {
      const attempts = await runModel(c, work, template)
      const refusals = attempts.filter((a) => a.error !== undefined)
      if (refusals.length > 0 && refusals.length < attempts.length) {
        const [yes, no] = [attempts.filter((a) => a.error === undefined), refusals]
        const message =
          no[0]!.error instanceof Error ? (no[0]!.error as Error).message : String(no[0]!.error)
        return result(c.expect === 'accept' ? 'refused-unclear' : 'accepted-wrongly', {
          message,
          why: `accepted by ${yes.map((a) => a.via).join(' and ')}, refused by ${no.map((a) => a.via).join(' and ')}`
        })
      }
      if (refusals.length > 0) {
        // Every way refused: each message must be clear, and no project copy written.
        for (const a of refusals) {
          const judged = judgeRefusal(c, a.error)
          if (judged.outcome !== 'refused-clear')
            return result(judged.outcome, {
              message: judged.message,
              why: `${a.via}: ${judged.why ?? ''}`
            })
          if (a.changed)
            return result('project-changed', {
              message: judged.message,
              why: `${a.via}: the project file changed although the import was refused`
            })
        }
        throw refusals[1]!.error
      }
      accepted = { accepted: true }
    } else {
      before = sha(c.path)
      openProject(c.path).close()
      openProject(c.path, { readonly: true }).close()
      accepted = { accepted: true }
    }
  } catch (err) {
    const judged = judgeRefusal(c, err)
    const changed =
      (c.kind === 'dataset' && sha(project) !== before) ||
      (c.kind === 'project' && sha(c.path) !== before)
    if (judged.outcome === 'refused-clear' && changed) {
      return result('project-changed', {
        message: judged.message,
        why: 'the project file changed although the operation was refused'
      })
    }
    if (judged.outcome === 'refused-clear' && c.expect === 'accept') {
      return result('refused-unclear', {
        message: judged.message,
        why: 'a valid control case was refused'
      })
    }
    return result(judged.outcome, { message: judged.message, why: judged.why })
  }
  if (c.expect === 'refuse')
    return result('accepted-wrongly', { why: 'a broken input was accepted' })
  if (
    c.acceptedImages !== undefined &&
    accepted.images !== undefined &&
    accepted.images !== c.acceptedImages &&
    c.expect === 'accept'
  ) {
    return result('accepted-wrongly', {
      why: `accepted ${accepted.images} images, expected ${c.acceptedImages}`
    })
  }
  return result('accepted')
}

export const isFailure = (r: CaseResult): boolean => FAILURES.includes(r.outcome)
