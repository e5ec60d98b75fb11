/**
 * The full hostile-input campaign of issue 19: writes every case of every family
 * (test/helpers/hostile/, over 1,000), runs them in child processes with a 10 s limit per case,
 * measures each case's time and the processes' peak memory, and prints a table of counts per
 * family and outcome. Exits non-zero when any case fails (unclear refusal, broken input
 * accepted, project changed after a refusal, crash, over 10 s or over 1 GB).
 *
 *   npx tsx scripts/hostile-campaign.ts [--per-family N] [--jobs 2] [--isolated] [--keep]
 *
 * By default two child processes take cases one after another and are replaced every
 * RECYCLE cases; the memory figure of a case is then its process's peak RSS so far, an upper
 * bound of the case's own (so "max MB" under 1,024 proves every case stayed under 1 GB).
 * --isolated runs each case in a process of its own (exact peaks; slower). A case that hangs
 * past 10 s or kills its process is recorded, and a fresh process takes the next case.
 * The CI share is test/hostile/hostileSample.test.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import {
  FAILURES,
  makeProjectTemplate,
  makeRichProject,
  writeCases,
  type CaseResult,
  type HostileCase
} from '../test/helpers/hostile/index'

const TIME_LIMIT_MS = 10_000
const MEMORY_LIMIT_MB = 1024
/** Cases per child process before it is replaced (keeps the memory bound close). */
const RECYCLE = 40

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)))

async function bundleChild(): Promise<string> {
  const outfile = join(repo, 'out', 'hostile', 'case.mjs')
  await build({
    entryPoints: [join(repo, 'test/helpers/hostile/caseMain.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    logLevel: 'error'
  })
  return outfile
}

/** One child process answering cases, one at a time. */
class CaseProcess {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly lines: string[] = []
  private waiting: ((line: string | undefined) => void) | undefined
  private stderr = ''
  private exited = false
  served = 0

  constructor(bundle: string, args: string[]) {
    this.child = spawn(process.execPath, [bundle, ...args], {
      cwd: repo,
      env: { ...process.env, ORTHOLENS_BACKEND: 'cpu', ORTHOLENS_THREADS: '1' }
    })
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting
        this.waiting = undefined
        w(line)
      } else this.lines.push(line)
    })
    this.child.stderr.on(
      'data',
      (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000))
    )
    this.child.on('exit', () => {
      this.exited = true
      this.waiting?.(undefined)
      this.waiting = undefined
    })
  }

  /** The next result line, or undefined when the process died or the limit passed. */
  private next(ms: number): Promise<string | undefined> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift())
    if (this.exited) return Promise.resolve(undefined)
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.waiting = undefined
        done(undefined)
      }, ms)
      this.waiting = (line) => {
        clearTimeout(timer)
        done(line)
      }
    })
  }

  async run(index: number | undefined, c: HostileCase): Promise<CaseResult> {
    const start = Date.now()
    if (index !== undefined) this.child.stdin.write(`${index}\n`)
    const line = await this.next(TIME_LIMIT_MS)
    this.served++
    const wall = Date.now() - start
    const base = { id: c.id, family: c.family, ms: wall }
    if (line === undefined) {
      const timedOut = !this.exited
      this.kill()
      return timedOut
        ? { ...base, outcome: 'timeout', why: `no answer after ${TIME_LIMIT_MS / 1000} s` }
        : {
            ...base,
            outcome: 'crashed',
            why: `the process died: ${this.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`
          }
    }
    const r = JSON.parse(line) as CaseResult
    if ((r.peakMb ?? 0) > MEMORY_LIMIT_MB)
      return { ...r, outcome: 'over-memory', why: `${r.peakMb} MB` }
    return r
  }

  get alive(): boolean {
    return !this.exited
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL')
  }

  close(): void {
    this.child.stdin.end()
  }
}

function table(results: CaseResult[], cases: HostileCase[]): string {
  const outcomes = ['refused-clear', 'accepted', ...FAILURES] as const
  const families = [...new Set(cases.map((c) => c.family))]
  const head = [
    'family',
    'cases',
    ...outcomes.map((o) => o.replace('refused-', 'ref-').replace('accepted-', 'acc-')),
    'max s',
    'max MB'
  ]
  const rows = families.map((f) => {
    const rs = results.filter((r) => r.family === f)
    return [
      f,
      String(rs.length),
      ...outcomes.map((o) => String(rs.filter((r) => r.outcome === o).length)),
      (Math.max(...rs.map((r) => r.ms)) / 1000).toFixed(2),
      String(Math.max(...rs.map((r) => r.peakMb ?? 0)))
    ]
  })
  const total = [
    'TOTAL',
    String(results.length),
    ...outcomes.map((o) => String(results.filter((r) => r.outcome === o).length)),
    (Math.max(...results.map((r) => r.ms)) / 1000).toFixed(2),
    String(Math.max(...results.map((r) => r.peakMb ?? 0)))
  ]
  const all = [head, ...rows, total]
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)))
  return all
    .map((r) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
    )
    .join('\n')
}

async function main(): Promise<void> {
  const perFamily = flag('--per-family') ? Number(flag('--per-family')) : undefined
  const jobs = Number(flag('--jobs') ?? 2)
  const root = mkdtempSync(join(tmpdir(), 'ortholens-hostile-'))
  const template = makeProjectTemplate(root)
  const cases = writeCases(root, makeRichProject(root), { perFamily })
  const casesFile = join(root, 'cases.json')
  writeFileSync(casesFile, JSON.stringify(cases))
  const work = join(root, 'work')
  mkdirSync(work)
  const bundle = await bundleChild()
  const isolated = process.argv.includes('--isolated')
  console.log(
    `${cases.length} cases in ${root}; ${jobs} processes${isolated ? ', one per case' : `, each replaced after ${RECYCLE} cases`}`
  )

  const results: CaseResult[] = new Array(cases.length)
  let next = 0
  const started = Date.now()
  const args = [casesFile, work, template]
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      let proc: CaseProcess | undefined
      while (next < cases.length) {
        const i = next++
        if (isolated) {
          results[i] = await new CaseProcess(bundle, [...args, '--one', String(i)]).run(
            undefined,
            cases[i]!
          )
        } else {
          if (!proc || !proc.alive || proc.served >= RECYCLE) {
            proc?.close()
            proc = new CaseProcess(bundle, args)
          }
          results[i] = await proc.run(i, cases[i]!)
        }
        if ((i + 1) % 100 === 0)
          console.log(`  ${i + 1}/${cases.length} (${Math.round((Date.now() - started) / 1000)} s)`)
      }
      proc?.close()
    })
  )
  console.log(`\n${table(results, cases)}\n`)
  console.log(
    `Time: the case's own run (import or open) measured inside its process. Memory: peak RSS of ${
      isolated
        ? 'the process of that case alone'
        : 'the process that ran it, up to and including it (an upper bound)'
    }.`
  )
  const failures = results.filter((r) => FAILURES.includes(r.outcome))
  for (const f of failures) {
    const c = cases.find((x) => x.id === f.id)!
    console.log(`FAIL ${f.outcome} ${f.id} (${c.note}): ${f.why ?? ''}\n     ${f.message ?? ''}`)
  }
  writeFileSync(
    join(repo, 'out', 'hostile', 'results.json'),
    JSON.stringify({ cases, results }, null, 1)
  )
  console.log(
    `${failures.length} failures of ${results.length} cases; results in out/hostile/results.json`
  )
  if (!process.argv.includes('--keep')) rmSync(root, { recursive: true, force: true })
  process.exit(failures.length > 0 ? 1 : 0)
}

void main()
