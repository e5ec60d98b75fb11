/**
 * The kill -9 campaign of issue 19: kills a project writer inside WAL checkpoints,
 * transactions and closes, at random times, and lets it run out of file size (ulimit -f, as a
 * full disk); after each, the project must open read-only and read-write with every
 * acknowledged commit, a clean quick_check and no run left 'running'
 * (test/helpers/killTrials.ts). Prints a table per moment and exits non-zero on any failure.
 *
 *   npx tsx scripts/kill9-campaign.ts [--trials checkpoint=30,transaction=15,close=10,random=15,full-disk=10] [--images 2000]
 *
 * Linux (the full-disk trials use bash's ulimit). The CI share is test/main/store/kill9.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  KILL_MOMENTS,
  runKillTrial,
  type KillMoment,
  type KillTrialResult
} from '../test/helpers/killTrials'

const DEFAULT_TRIALS: Record<KillMoment, number> = {
  checkpoint: 30,
  transaction: 15,
  close: 10,
  random: 15,
  'full-disk': 10
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function trialsWanted(): Record<KillMoment, number> {
  const out = { ...DEFAULT_TRIALS }
  for (const part of (flag('--trials') ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=') as [KillMoment, string]
    if (KILL_MOMENTS.includes(k)) out[k] = Number(v)
  }
  return out
}

function table(results: KillTrialResult[]): string {
  const died = [
    'checkpoint',
    'transaction',
    'close',
    'job',
    'between',
    'gave-up (disk full)'
  ] as const
  const outcomes = ['intact', 'refused', 'data-lost', 'left-running', 'writer-failed'] as const
  const head = [
    'killed at',
    'trials',
    ...died.map((d) => `in ${d.replace(' (disk full)', '')}`),
    'hdr>file',
    'with -wal',
    ...outcomes,
    'max s'
  ]
  const row = (label: string, rs: KillTrialResult[]): string[] => [
    label,
    String(rs.length),
    ...died.map((d) => String(rs.filter((r) => r.diedIn === d).length)),
    String(rs.filter((r) => r.headerAhead).length),
    String(rs.filter((r) => r.sidecars.includes('-wal')).length),
    ...outcomes.map((o) => String(rs.filter((r) => r.outcome === o).length)),
    (Math.max(...rs.map((r) => r.ms)) / 1000).toFixed(1)
  ]
  const rows = [
    head,
    ...KILL_MOMENTS.map((m) =>
      row(
        m,
        results.filter((r) => r.moment === m)
      )
    ).filter((r) => r[1] !== '0'),
    row('TOTAL', results)
  ]
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows
    .map((r) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
    )
    .join('\n')
}

async function main(): Promise<void> {
  const wanted = trialsWanted()
  const images = Number(flag('--images') ?? 2000)
  const dir = mkdtempSync(join(tmpdir(), 'ortholens-kill9-'))
  const results: KillTrialResult[] = []
  for (const moment of KILL_MOMENTS) {
    for (let seed = 0; seed < wanted[moment]; seed++) {
      results.push(await runKillTrial(dir, moment, seed, images))
      process.stdout.write('.')
    }
  }
  console.log(`\n\n${table(results)}\n`)
  console.log(
    'hdr>file: the header promised more pages than the file held when the writer died (a checkpoint cut short);'
  )
  console.log(
    '"in X": the writer\'s last marker before the kill. Each project is then opened read-only and read-write.'
  )
  const failed = results.filter((r) => r.outcome !== 'intact' && r.outcome !== 'writer-failed')
  for (const f of failed)
    console.log(`FAIL ${f.moment} #${f.seed}: ${f.outcome}: ${f.message ?? ''}`)
  console.log(`${failed.length} intact projects refused or damaged in ${results.length} trials`)
  rmSync(dir, { recursive: true, force: true })
  process.exit(failed.length > 0 ? 1 : 0)
}

void main()
