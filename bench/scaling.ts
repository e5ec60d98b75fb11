/**
 * Two threads against one, in one process (issue 20's "2 threads ≥ 1.3× faster than 1 on a
 * calm machine, never slower with one other busy process"). The main comparison runs 1 and 2
 * threads in separate children minutes apart, and this machine's speed drifts by up to 30 %
 * in that time; here the native kernels' pool is switched between 1 and 2 threads round by
 * round (XNNPACK keeps its one thread either way, as in the 2-thread children), so the drift
 * falls on both sides. Each round times every path at both counts, in alternating order, and
 * gives the ratio (1-thread time) / (2-thread time); the figure is the median over the rounds,
 * with their range. The second condition adds one busy process: a child that spins.
 */
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import type { ArchitectureId } from '../src/main/engine/models'
import { initBackend, type BackendName } from '../src/main/engine/backend'
import { loadNativeKernels } from '../src/main/engine/kernels/nativeKernels'
import { PATHS, type Path } from './torchReference'
import { median } from './stats'
import { timeSamples, workload, type Workload } from './workload'

export type Condition = 'quiet' | 'one busy process'

export interface ScalingRow {
  backend: BackendName
  arch: ArchitectureId
  batch: number
  condition: Condition
  /** The 1-minute load average when the rounds started and ended. */
  load: [string, string]
  rounds: number
  /** Per path: median, lowest and highest of the rounds' 1-thread / 2-thread time ratios. */
  speedup: Record<Path, { median: number; min: number; max: number }>
}

/** What issue 20 asks of each condition's median. */
export const SCALING_TARGET: Record<Condition, number> = { quiet: 1.3, 'one busy process': 1.0 }

/**
 * A process that keeps one core busy (what "one other busy process" means) until killed, or
 * until the bench dies without killing it (it is then re-parented) or an hour has passed.
 */
const SPIN = `const parent = process.ppid, end = Date.now() + 3600e3
for (let i = 1; ; i++) if (i % 1e7 === 0 && (process.ppid !== parent || Date.now() > end)) break`

async function busyProcess(): Promise<() => void> {
  const child = spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' })
  await new Promise((resolve) => setTimeout(resolve, 300))
  return () => void child.kill('SIGKILL')
}

type NativeModule = NonNullable<ReturnType<typeof loadNativeKernels>>

/** Per path, each round's (1-thread time) / (2-thread time), the two in alternating order. */
function roundRatios(
  native: NativeModule,
  w: Workload,
  rounds: number,
  steps: number
): Record<Path, number[]> {
  const ratios: Record<Path, number[]> = { ortho: [], plain: [], pgd10: [] }
  for (let r = 0; r < rounds; r++) {
    const ms: Record<number, Partial<Record<Path, number>>> = { 1: {}, 2: {} }
    for (const threads of r % 2 ? [2, 1] : [1, 2]) {
      native.configure({ threads })
      w.run.plain() // the re-made pool's workers start
      for (const p of PATHS) {
        const { wall } = timeSamples(w.run[p], steps)
        ms[threads]![p] = wall.reduce((a, b) => a + b, 0) / wall.length
      }
    }
    for (const p of PATHS) ratios[p].push(ms[1]![p]! / ms[2]![p]!)
  }
  return ratios
}

/**
 * Runs in the calling process, on each of `backends` in turn (the caller started with 1
 * thread, so XNNPACK has one), and leaves the backend it found. Returns one row per backend,
 * architecture and condition.
 */
export async function benchScaling(
  backends: BackendName[],
  archs: { arch: ArchitectureId; batch: number; rounds: number; steps: number }[]
): Promise<ScalingRow[]> {
  const native = loadNativeKernels()
  if (!native) return []
  const initialThreads = native.info().threads
  const initialBackend = (await initBackend()).name
  const rows: ScalingRow[] = []
  try {
    for (const backend of backends) {
      await initBackend(backend)
      for (const { arch, batch, rounds, steps } of archs) {
        const w = workload(arch, batch)
        for (const p of PATHS) w.run[p]()
        for (const condition of ['quiet', 'one busy process'] as Condition[]) {
          const stop = condition === 'quiet' ? () => {} : await busyProcess()
          const start = loadavg()[0]!.toFixed(2)
          let ratios: Record<Path, number[]>
          try {
            ratios = roundRatios(native, w, rounds, steps)
          } finally {
            stop()
          }
          const speedup = {} as ScalingRow['speedup']
          for (const p of PATHS) {
            const v = ratios[p]
            speedup[p] = { median: median(v), min: Math.min(...v), max: Math.max(...v) }
          }
          const load: [string, string] = [start, loadavg()[0]!.toFixed(2)]
          rows.push({ backend, arch, batch, condition, load, rounds, speedup })
        }
        w.dispose()
      }
    }
  } finally {
    native.configure({ threads: initialThreads })
    await initBackend(initialBackend)
  }
  return rows
}

/** The table: one line per architecture and condition; `!` marks a median under its target. */
export function scalingLines(rows: ScalingRow[]): string[] {
  const cell = (s: { median: number; min: number; max: number }, target: number) =>
    `${s.median.toFixed(2)}${s.median < target ? '!' : ' '} (${s.min.toFixed(2)}-${s.max.toFixed(2)})`.padEnd(
      20
    )
  return [
    `two threads against one, one process switching the native pool each round ` +
      `(median of the rounds' 1-thread / 2-thread time, range; ! = under issue 20's target: ` +
      `${SCALING_TARGET.quiet.toFixed(1)} quiet, ${SCALING_TARGET['one busy process'].toFixed(1)} with one busy process):`,
    `${'backend'.padEnd(8)}${'arch'.padEnd(10)}${'batch'.padStart(5)}  ${'condition'.padEnd(18)}${'rounds'.padStart(6)}  ` +
      `${'load'.padEnd(12)}${PATHS.map((p) => p.padEnd(20)).join('')}`,
    ...rows.map(
      (r) =>
        `${r.backend.padEnd(8)}${r.arch.padEnd(10)}${String(r.batch).padStart(5)}  ${r.condition.padEnd(18)}` +
        `${String(r.rounds).padStart(6)}  ${`${r.load[0]} → ${r.load[1]}`.padEnd(12)}` +
        PATHS.map((p) => cell(r.speedup[p], SCALING_TARGET[r.condition])).join('')
    )
  ]
}
