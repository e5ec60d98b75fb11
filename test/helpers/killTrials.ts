/**
 * kill -9 trials (issue 19): a writer (killWriter.ts) is SIGKILLed at a chosen moment - inside
 * a transaction, inside a WAL checkpoint, inside a close, at a random time - or runs out of
 * file size (ulimit -f, as a full disk) and gives up; then the project is opened read-only and
 * read-write and must be intact: opened (never refused), quick_check clean, every commit the
 * writer acknowledged present byte for byte, no run left 'running'.
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createProject, openProject } from '../../src/main/store/open'
import { listDatasets, loadDataset } from '../../src/main/store/repos/datasets'
import { listModels } from '../../src/main/store/repos/models'
import { listRuns } from '../../src/main/store/repos/runs'
import { quickCheck } from '../../src/main/store/repos/schema'
import { killTrialDataset } from './killDataset'

export type KillMoment = 'random' | 'transaction' | 'checkpoint' | 'close' | 'full-disk'
export const KILL_MOMENTS: readonly KillMoment[] = [
  'checkpoint',
  'transaction',
  'close',
  'random',
  'full-disk'
]

export interface KillTrialResult {
  moment: KillMoment
  seed: number
  /** Where the writer actually was when it died: its last marker. */
  diedIn: 'checkpoint' | 'transaction' | 'close' | 'job' | 'between' | 'gave-up (disk full)'
  /** The header promised more pages than the file held (a checkpoint cut short). */
  headerAhead: boolean
  sidecars: string
  committed: number
  outcome: 'intact' | 'refused' | 'data-lost' | 'left-running' | 'writer-failed'
  message?: string
  ms: number
}

const here = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = resolve(here, '../..')
const writer = join(here, 'killWriter.ts')

function rng(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 4294967296
  }
}

function headerAhead(path: string): boolean {
  const header = Buffer.alloc(100)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, header, 0, 100, 0)
  } finally {
    closeSync(fd)
  }
  const raw = header.readUInt16BE(16)
  const pageSize = raw === 1 ? 65536 : raw
  return header.readUInt32BE(28) * pageSize > statSync(path).size
}

function sidecarList(path: string): string {
  return ['-wal', '-journal']
    .filter((s) => {
      try {
        return statSync(path + s).size > 0
      } catch {
        return false
      }
    })
    .join(' ')
}

/** Runs the writer and kills it at `moment`; resolves with the last marker and commit. */
function killAt(
  path: string,
  moment: KillMoment,
  seed: number,
  perCommit: number
): Promise<{ last: string; committed: number; code: number | null }> {
  const r = rng(seed)
  const node = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(writer)} ${JSON.stringify(path)} ${perCommit}`
  // Full disk: a file-size limit (KiB) somewhere past the first commits.
  const limitKb = 2048 + Math.floor(r() * 12000)
  const child =
    moment === 'full-disk'
      ? spawn('bash', ['-c', `ulimit -f ${limitKb}; exec ${node}`], {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'pipe']
        })
      : spawn(process.execPath, ['--import', 'tsx', writer, path, String(perCommit)], {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'pipe']
        })
  let last = ''
  let committed = 0
  let killed = false
  const kill = (delayMs: number): void => {
    if (killed) return
    killed = true
    if (delayMs <= 0) child.kill('SIGKILL')
    else setTimeout(() => child.kill('SIGKILL'), delayMs)
  }
  const targetTxn = 2 + Math.floor(r() * 5)
  const targetCkpt = 1 + Math.floor(r() * 2)
  const delay = r()
  let ckpts = 0
  let buffered = ''
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
  return new Promise((done, fail) => {
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        if (!killed) last = line
        const m = /^commit (\d+)$/.exec(line)
        if (m && !killed) committed = Number(m[1])
        if (killed) continue
        if (moment === 'random' && line === 'txn 1') kill(300 + delay * 2500)
        if (moment === 'transaction' && line === `txn ${targetTxn}`) kill(Math.floor(delay * 12))
        if (moment === 'checkpoint' && line === 'ckpt-start' && ++ckpts === targetCkpt)
          kill(Math.floor(delay * 150))
        if (moment === 'close' && line === 'close-start') kill(Math.floor(delay * 6))
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', fail)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (!killed && moment !== 'full-disk')
        fail(new Error(`writer exited (${code}) before the kill: ${stderr}`))
      else done({ last, committed, code })
    })
  })
}

function diedIn(last: string): KillTrialResult['diedIn'] {
  if (last === 'ckpt-start') return 'checkpoint'
  if (last.startsWith('txn ')) return 'transaction'
  if (last === 'close-start') return 'close'
  if (last.startsWith('train ')) return 'job'
  if (last === 'gave-up' || last.startsWith('error ')) return 'gave-up (disk full)'
  return 'between'
}

/** One trial in `dir`: kill, then open read-only and read-write and check everything. */
export async function runKillTrial(
  dir: string,
  moment: KillMoment,
  seed: number,
  perCommit = 400
): Promise<KillTrialResult> {
  const start = Date.now()
  const path = join(dir, `kill-${moment}-${seed}.ortho`)
  createProject(path, { name: `kill ${moment} ${seed}` }).close()
  const { last, committed } = await killAt(path, moment, seed, perCommit)
  const base = {
    moment,
    seed,
    diedIn: diedIn(last),
    headerAhead: headerAhead(path),
    sidecars: sidecarList(path),
    committed
  }
  const result = (outcome: KillTrialResult['outcome'], message?: string): KillTrialResult => ({
    ...base,
    outcome,
    ...(message ? { message } : {}),
    ms: Date.now() - start
  })
  if (moment === 'full-disk' && committed === 0)
    return result('writer-failed', 'the limit hit before the first commit')
  try {
    const ro = openProject(path, { readonly: true })
    const seen = listDatasets(ro.db).length
    ro.close()
    if (seen < committed)
      return result('data-lost', `read-only open sees ${seen} of ${committed} commits`)
    const p = openProject(path)
    try {
      const problems = quickCheck(p.db)
      if (problems.length > 0) return result('refused', `quick_check: ${problems[0]}`)
      const byName = new Map(listDatasets(p.db).map((d) => [d.name, d.id]))
      for (let i = 1; i <= committed; i++) {
        const id = byName.get(`commit-${i}`)
        if (id === undefined) return result('data-lost', `commit ${i} is missing`)
        const got = loadDataset(p.db, id)
        const want = killTrialDataset(i, perCommit)
        if (Buffer.compare(Buffer.from(got.train.images), Buffer.from(want.train.images)) !== 0) {
          return result('data-lost', `commit ${i} has different pixels`)
        }
      }
      const running = listRuns(p.db, { status: 'running' })
      const linked = new Set(listRuns(p.db).flatMap((r) => r.modelIds))
      const training = listModels(p.db).filter((m) => m.status === 'training' && linked.has(m.id))
      if (running.length > 0 || training.length > 0) {
        return result(
          'left-running',
          `${running.length} runs 'running', ${training.length} models 'training'`
        )
      }
    } finally {
      p.close()
    }
  } catch (err) {
    return result('refused', (err as Error).message)
  }
  return result('intact')
}
