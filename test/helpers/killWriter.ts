/**
 * Child process of the kill -9 trials (test/helpers/killTrials.ts): writes to a project in a
 * loop the way jobs do, and prints a marker before and after every step, so the parent can
 * SIGKILL it inside a transaction, a checkpoint (pages moving from the -wal into the file) or
 * a close, and then check that everything acknowledged is there.
 *
 *   node --import tsx test/helpers/killWriter.ts <project> <images per commit>
 *
 * Markers (one a line): `txn <i>` (transaction i begins), `commit <i>` (i is committed: it
 * must survive), `ckpt-start`/`ckpt-end`, `close-start`/`close-end`, `train <run>`.
 * The writer ignores SIGXFSZ, so under `ulimit -f` a write past the limit fails with EFBIG as
 * on a full disk, and the writer carries on failing until it gives up.
 */
import { writeSync } from 'node:fs'
import { inTransaction } from '../../src/main/store/db'
import { openProject, type ProjectDb } from '../../src/main/store/open'
import { saveDataset } from '../../src/main/store/repos/datasets'
import { saveModel, updateModelStatus } from '../../src/main/store/repos/models'
import { createRun, finishRun, updateRunProgress } from '../../src/main/store/repos/runs'
import { killTrialDataset } from './killDataset'

process.on('SIGXFSZ', () => {})

const [path, perCommit] = [process.argv[2]!, Number(process.argv[3] ?? 400)]
const say = (line: string): void => void writeSync(1, `${line}\n`)

function open(): ProjectDb {
  const p = openProject(path)
  // The WAL grows until the explicit checkpoints below, so that each one copies megabytes of
  // pages into the file: a window wide enough to be killed in.
  p.writable().pragma('wal_autocheckpoint = 0')
  return p
}

let project = open()
let failures = 0
for (let i = 1; failures < 5; i++) {
  try {
    const w = project.writable()
    // A training-like job: a run and a model 'training', progress, then finished.
    if (i % 4 === 1) {
      const model = saveModel(w, {
        name: `m${i}`,
        architecture: { kind: 'tiny' },
        weights: { manifest: [{ name: 'w', shape: [4] }], data: new Float32Array([i, 1, 2, 3]) },
        status: 'training'
      })
      const run = createRun(w, { kind: 'train', config: { i }, backend: 'cpu', modelIds: [model] })
      say(`train ${run}`)
      updateRunProgress(w, run, { fraction: 0.5, stage: 'half' })
      updateModelStatus(w, model, 'ready')
      finishRun(w, run, { status: 'done', results: { i } })
    }
    say(`txn ${i}`)
    inTransaction(w, () => saveDataset(w, killTrialDataset(i, perCommit)))
    say(`commit ${i}`)
    if (i % 3 === 0) {
      say('ckpt-start')
      w.pragma('wal_checkpoint(TRUNCATE)')
      say('ckpt-end')
    }
    if (i % 7 === 0) {
      say('close-start')
      project.close()
      say('close-end')
      project = open()
    }
  } catch (err) {
    // A full disk (EFBIG under ulimit): what a job meets; it keeps trying, then gives up.
    failures++
    say(`error ${(err as { code?: string }).code ?? (err as Error).message}`)
  }
}
say('gave-up')
process.exit(3)
