/**
 * `npm run bench`: the three hot paths of the workbench (orthogonal step, ordinary step,
 * 10 PGD iterations) for the `cnn` (batch 64) and `resnet20` (batch 128, the reference's)
 * architectures of the PyTorch reference (shared/reference/torch_step_bench.py, in the
 * project's shared folder beside the repository), on every TensorFlow.js backend
 * that loads, side by side with the PyTorch reference when /usr/bin/python3 has torch, at each
 * thread count of BENCH_THREADS.
 *
 * The wasm backend fixes its thread count once per process (ORTHOLENS_THREADS), and a wasm
 * heap exhausted inside XNNPACK aborts the module for good, so the parent process measures
 * nothing itself: every (threads, backend, arch) workload runs in a child process of this file
 * (BENCH_CHILD set) that writes its progress to a state file after every stage. A child that
 * dies while warming up or in its first round names the path that killed it: that path is
 * reported failed at that batch ("out of memory (4 GB wasm heap)" on wasm, as resnet20's
 * orthogonal step at batch 128 was before the native batch-norm kernels), the other paths are rerun at the
 * same batch in a fresh child, and the failed path is measured again at BENCH_FALLBACK_BATCH
 * (64) on both sides, so a ratio is still printed, on its own row labelled with that batch.
 *
 * The machines are shared and noisy (SPEC §1): inside each child, project and reference runs
 * are interleaved in many short rounds (the reference with --threads T, in one long-lived
 * Python process, bench/torch_driver.py, so a round does not pay torch's import), so that each
 * figure, the minimum over all rounds, rests on at least 10 samples on both sides; ratios
 * project/PyTorch are the result, not times. Beside the wall-clock minima the bench records
 * each step's process CPU time (all threads; spinning pool threads count) and the spread
 * (median − min) / min of each side: a row whose two sides' spreads differ by more than 2× is
 * flagged (`*`), as one side ran under load the other did not see. The load average is
 * printed at the start and end of each repeat. BENCH_REPEAT=N repeats the whole comparison N
 * times and reports, per row and path, the median ratio over the repeats. After the timed runs,
 * more orthogonal and ordinary steps check that the live tensor count and resident memory do
 * not grow. The parent prints one ratio table over all thread counts (a `2→1` in the threads
 * column means a child asked for 2 threads but the backend started with 1), and the last
 * line is one JSON object with every time and ratio.
 *
 * Environment: BENCH_THREADS (thread counts, default "1,2"; on the cpu backend the count
 * reaches only the native kernels' pool), BENCH_ROUNDS (default 5), BENCH_STEPS (timed steps per round, default 2),
 * BENCH_BACKENDS (default "wasm,cpu,tensorflow"), BENCH_ARCHS (default "cnn,resnet20"),
 * BENCH_RESNET_BATCH (default 128), BENCH_RESNET_ROUNDS (default 5) and BENCH_RESNET_STEPS
 * (default 2), BENCH_FALLBACK_BATCH (default 64),
 * BENCH_LEAK_STEPS (training steps of the leak check for cnn, default 200; resnet20 runs
 * BENCH_LEAK_STEPS_RESNET, default 20), BENCH_CPU_ARCHS (default "cnn,resnet20"; without the
 * native kernels the cpu backend is ~10x slower, so narrow it to "cnn"), BENCH_CPU_STEPS (default 2), BENCH_CPU_ROUNDS (default 5), BENCH_REPEAT (default 1), BENCH_SALIENCY=0
 * skips the saliency throughput (run once, in the parent, at the first thread count),
 * BENCH_APGD=0 skips APGD-CE's throughput beside PGD-10's (bench/apgd.ts, likewise once),
 * BENCH_SCALING=0 skips two threads against one in one process, quiet and beside a busy
 * process, on wasm and cpu (bench/scaling.ts; BENCH_SCALING_ROUNDS, default 10 for cnn and 6
 * for resnet20),
 * ORTHOLENS_FAST_KERNELS=0 for stock kernels.
 */
import { benchSaliency } from './saliency'
import { apgdLine, benchApgd } from './apgd'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tf } from '../src/main/engine/tf'
import { initBackend, type BackendName } from '../src/main/engine/backend'
import type { ArchitectureId } from '../src/main/engine/models'
import { fastKernelState, nativeKernelStatus } from '../src/main/engine/kernels'
import { loadNativeKernels } from '../src/main/engine/kernels/nativeKernels'
import { PATHS, TorchReference, type Path } from './torchReference'
import { timeSamples, workload, type Workload } from './workload'
import { benchScaling, scalingLines } from './scaling'
import { minOf } from './stats'
import {
  OOM,
  addSamples,
  emptySamples,
  finish,
  loadText,
  medianRatios,
  printMedianTable,
  printTable,
  type Entry,
  type RowSamples
} from './report'

const TORCH_SHAPE_NOTE = 'PyTorch NCHW, project NHWC: same maths'

const env = (k: string, d: string): string => process.env[k] ?? d
const list = (k: string, d: string): string[] => env(k, d).split(',').filter(Boolean)
// Rounds × steps ≥ 10 samples per side for every figure (the reference times as many steps
// per round as we do).
const rounds = Number(env('BENCH_ROUNDS', '5'))
const steps = Number(env('BENCH_STEPS', '2'))
const resnetRounds = Number(env('BENCH_RESNET_ROUNDS', '5'))
const resnetSteps = Number(env('BENCH_RESNET_STEPS', '2'))
const cpuSteps = Number(env('BENCH_CPU_STEPS', '2'))
const cpuRounds = Number(env('BENCH_CPU_ROUNDS', '5'))
const repeats = Math.max(1, Number(env('BENCH_REPEAT', '1')))
const leakSteps = Number(env('BENCH_LEAK_STEPS', '200'))
const leakStepsResnet = Number(env('BENCH_LEAK_STEPS_RESNET', '20'))
const fallbackBatch = Number(env('BENCH_FALLBACK_BATCH', '64'))
const BATCH: Record<string, number> = {
  cnn: 64,
  resnet20: Number(env('BENCH_RESNET_BATCH', '128'))
}
const cpuArchs = list('BENCH_CPU_ARCHS', 'cnn,resnet20') as ArchitectureId[]
const backends = list('BENCH_BACKENDS', 'wasm,cpu,tensorflow') as BackendName[]
const archs = list('BENCH_ARCHS', 'cnn,resnet20') as ArchitectureId[]
const threadCounts = list('BENCH_THREADS', '1,2').map(Number)
const PYTHON = '/usr/bin/python3'
const REFERENCE = new URL('../../shared/reference/torch_step_bench.py', import.meta.url).pathname

function torchAvailable(): boolean {
  if (!existsSync(PYTHON) || !existsSync(REFERENCE)) return false
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 })
    return true
  } catch {
    return false
  }
}

const fmt = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(1)
const firstLine = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0]!

interface Leak {
  steps: number
  tensorsBefore: number
  tensorsAfter: number
  rssBeforeMB: number
  rssAfterMB: number
}

/** Live tensors and resident memory before and after `leakSteps` training steps (alternating). */
function leakCheck(w: Workload, leakSteps: number): Leak {
  // Warm up so that allocator growth and optimizer slots are already in place.
  for (let i = 0; i < 2; i++) {
    w.run.ortho()
    w.run.plain()
  }
  const tensorsBefore = tf.memory().numTensors
  const rssBeforeMB = process.memoryUsage().rss / 2 ** 20
  // Orthogonal and ordinary steps alternate, as when a run mixes both.
  for (let i = 0; i < leakSteps; i++) (i % 2 ? w.run.plain : w.run.ortho)()
  return {
    steps: leakSteps,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    rssBeforeMB: Math.round(rssBeforeMB),
    rssAfterMB: Math.round(process.memoryUsage().rss / 2 ** 20)
  }
}

/** What the parent asks one child to measure. */
interface ChildSpec {
  backend: BackendName
  arch: ArchitectureId
  batch: number
  threads: number
  paths: Path[]
  leak: boolean
  torch: boolean
}

/**
 * A child's progress, rewritten after every stage, so that the parent still learns where it
 * was (and what it had measured) when an abort kills it without a word.
 */
interface ChildState {
  stage: 'init' | 'warmup' | 'rounds' | 'leak' | 'done'
  path?: Path
  roundsDone: number
  unavailable?: boolean
  error?: string
  threads?: number
  kernels?: unknown
  samples: RowSamples
  /** The 1-minute load average when the child started timing and when it finished. */
  load?: string[]
  leak?: Leak
}

async function child(spec: ChildSpec, stateFile: string): Promise<void> {
  const state: ChildState = { stage: 'init', roundsDone: 0, samples: emptySamples() }
  const save = () => writeFileSync(stateFile, JSON.stringify(state))
  save()
  const label = `  [${spec.threads}t] ${spec.backend} ${spec.arch} batch ${spec.batch}`
  try {
    state.threads = (await initBackend(spec.backend)).threads
  } catch (err) {
    state.unavailable = true
    state.error = firstLine(err)
    save()
    return
  }
  state.kernels = fastKernelState()
  const cpu = spec.backend === 'cpu'
  const resnet = spec.arch === 'resnet20'
  const n = cpu ? cpuSteps : resnet ? resnetSteps : steps
  const nRounds = cpu ? cpuRounds : resnet ? resnetRounds : rounds
  const { ours, oursCpu, torch, torchCpu } = state.samples
  const reference = spec.torch ? new TorchReference(PYTHON, REFERENCE) : undefined
  const best = (s: Partial<Record<Path, number[]>>, p: Path) => fmt(minOf(s[p] ?? []))
  try {
    const w = workload(spec.arch, spec.batch)
    state.stage = 'warmup'
    for (const p of spec.paths) {
      state.path = p
      save()
      w.run[p]() // XNNPACK operators, heap growth
    }
    state.stage = 'rounds'
    state.load = [loadavg()[0]!.toFixed(2)]
    for (let r = 0; r < nRounds; r++) {
      // Interleaved: one short round of ours, then one of the reference, so both see the same load.
      for (const p of spec.paths) {
        state.path = p
        save()
        const t = timeSamples(w.run[p], n)
        addSamples(ours, p, t.wall)
        addSamples(oursCpu, p, t.cpu)
      }
      state.path = undefined
      if (reference) {
        const t = await reference.round(spec.arch, spec.batch, spec.threads, n)
        for (const p of PATHS) {
          addSamples(torch, p, t?.wall[p])
          addSamples(torchCpu, p, t?.cpu[p])
        }
      }
      state.roundsDone = r + 1
      save()
      console.log(
        `${label} round ${r + 1}: ` +
          spec.paths.map((p) => `${p} ${best(ours, p)} (torch ${best(torch, p)})`).join(', ')
      )
    }
    state.load.push(loadavg()[0]!.toFixed(2))
    if (spec.leak) {
      state.stage = 'leak'
      save()
      const leak = (state.leak = leakCheck(w, resnet ? leakStepsResnet : leakSteps))
      console.log(
        `${label} after ${leak.steps} steps (ortho/plain alternating): tensors ${leak.tensorsBefore} -> ` +
          `${leak.tensorsAfter}, rss ${leak.rssBeforeMB} -> ${leak.rssAfterMB} MB`
      )
    }
    w.dispose()
    state.stage = 'done'
  } catch (err) {
    state.error = firstLine(err)
  } finally {
    reference?.close()
  }
  save()
}

/** Runs one spec in a child process of this file; the tsx loader travels in execArgv. */
function runChild(spec: ChildSpec, dir: string): { state: ChildState; status: string } {
  const stateFile = join(dir, `child-${Date.now()}-${Math.random().toString(36).slice(2)}.json`)
  const t0 = performance.now()
  const res = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      ORTHOLENS_THREADS: String(spec.threads),
      BENCH_CHILD: JSON.stringify(spec),
      BENCH_CHILD_STATE: stateFile
    },
    timeout: 3_600_000
  })
  const status = res.error
    ? firstLine(res.error)
    : res.signal
      ? `killed by ${res.signal}`
      : `exit ${res.status}`
  let state: ChildState = { stage: 'init', roundsDone: 0, samples: emptySamples() }
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as ChildState
  } catch {
    // No state file: the child died before its first write; `init` with no error says so.
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(0)
  if (!state.unavailable)
    console.log(
      `  [${spec.threads}t] ${spec.backend} ${spec.arch} batch ${spec.batch} [${spec.paths.join(',')}]: ` +
        `${state.stage === 'done' ? 'done' : `died in ${state.stage}${state.path ? ` (${state.path})` : ''}, ${status}`}` +
        `${state.error ? `: ${state.error}` : ''} (${secs} s)`
    )
  return { state, status }
}

/** Why a path died: on wasm, an abort (or a death with no message) is the exhausted heap. */
function failure(backend: BackendName, state: ChildState, status: string): string {
  const why = state.error ?? status
  if (backend === 'wasm' && (!state.error || /memory|OOM|abort/i.test(state.error))) return OOM
  return `failed: ${why}`
}

/**
 * Measures every path of one (threads, backend, arch) in children, retrying around a path
 * that kills its child (see the header). Returns false when the backend does not load.
 */
function measure(
  base: Omit<ChildSpec, 'batch' | 'paths' | 'leak'>,
  dir: string,
  rows: Map<string, Entry>
): boolean {
  const queue: { batch: number; paths: Path[] }[] = [
    { batch: BATCH[base.arch]!, paths: [...PATHS] }
  ]
  while (queue.length) {
    const job = queue.shift()!
    const leak = job.paths.includes('ortho')
    const { state, status } = runChild({ ...base, ...job, leak }, dir)
    if (state.unavailable) {
      console.log(`backend ${base.backend}: not available (${state.error})`)
      return false
    }
    const key = `${base.threads}|${base.backend}|${base.arch}|${job.batch}`
    if (!rows.has(key)) {
      rows.set(key, {
        threads: base.threads,
        threadsActual: state.threads ?? null,
        backend: base.backend,
        arch: base.arch,
        batch: job.batch,
        kernels: state.kernels,
        errors: {},
        notes: [],
        samples: emptySamples()
      })
    }
    const row = rows.get(key)!
    row.threadsActual ??= state.threads ?? null
    for (const p of PATHS) {
      addSamples(row.samples.torch, p, state.samples.torch[p])
      addSamples(row.samples.torchCpu, p, state.samples.torchCpu[p])
    }
    if (state.leak) row.leak = state.leak
    if (state.load) row.load = [...((row.load as string[] | undefined) ?? []), ...state.load]
    const early =
      state.stage === 'init' ||
      state.stage === 'warmup' ||
      (state.stage === 'rounds' && !state.roundsDone)
    if (state.stage !== 'done' && early) {
      // Nothing timed: the path it died in failed at this batch, the others get a fresh child.
      const dead = state.path ? [state.path] : job.paths
      const why = failure(base.backend, state, status)
      for (const p of dead) row.errors[p] = why
      const rest = job.paths.filter((p) => !dead.includes(p))
      if (state.path && rest.length) queue.unshift({ batch: job.batch, paths: rest })
      if (job.batch > fallbackBatch) {
        queue.push({ batch: fallbackBatch, paths: dead })
        row.notes.push(
          `${dead.join(', ')} at batch ${job.batch}: ${why}; measured at batch ${fallbackBatch} instead`
        )
      } else {
        row.notes.push(`${dead.join(', ')} at batch ${job.batch}: ${why}`)
      }
      continue
    }
    if (state.stage !== 'done') {
      // Died after some rounds: keep what was timed, and say so.
      row.notes.push(
        `child died in ${state.stage}${state.path ? ` (${state.path})` : ''} after ${state.roundsDone} round(s): ` +
          `${state.error ?? status}; times are from the rounds before`
      )
    }
    for (const p of job.paths) {
      addSamples(row.samples.ours, p, state.samples.ours[p])
      addSamples(row.samples.oursCpu, p, state.samples.oursCpu[p])
    }
  }
  return true
}

async function main(): Promise<void> {
  const torch = torchAvailable()
  const native = nativeKernelStatus()
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    fastKernels: process.env.ORTHOLENS_FAST_KERNELS !== '0',
    torch,
    threads: threadCounts,
    rounds,
    steps,
    resnetRounds,
    resnetSteps,
    cpuRounds,
    cpuSteps,
    repeats,
    note: TORCH_SHAPE_NOTE,
    nativeKernels: native.active ? native.isa : null
  }
  console.log(
    `bench: threads ${threadCounts.join(',')}, rounds ${rounds} x ${steps} steps ` +
      `(resnet20 ${resnetRounds} x ${resnetSteps}, cpu ${cpuRounds} x ${cpuSteps}), repeats ${repeats}, ` +
      `torch ${torch ? 'yes' : 'no'}, native kernels ${native.active ? native.isa : `no (${native.reason})`}`
  )
  const dir = mkdtempSync(join(tmpdir(), 'ortholens-bench-'))
  const repeated: Entry[][] = []
  const loads: { start: string; end: string }[] = []
  try {
    for (let rep = 0; rep < repeats; rep++) {
      const start = loadText()
      console.log(`\nrepeat ${rep + 1}/${repeats}: load average at start ${start}`)
      const rows = new Map<string, Entry>()
      const missing = new Set<BackendName>()
      for (const threads of threadCounts) {
        for (const backend of backends) {
          if (missing.has(backend)) continue
          for (const arch of backend === 'cpu'
            ? archs.filter((a) => cpuArchs.includes(a))
            : archs) {
            if (!measure({ backend, arch, threads, torch }, dir, rows)) {
              missing.add(backend)
              break
            }
          }
        }
      }
      const all = [...rows.values()]
      for (const row of all) finish(row)
      repeated.push(all)
      printTable(all)
      loads.push({ start, end: loadText() })
      console.log(`load average (1, 5, 15 min): start ${start}, end ${loads[rep]!.end}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const strip = (rows: Entry[]) => rows.map(({ notes: _notes, samples: _samples, ...rest }) => rest)
  result.load = loads
  result.results = strip(repeated[0] ?? [])
  if (repeats > 1) {
    result.repeats = repeated.map(strip)
    const medians = (result.medianRatios = medianRatios(repeated))
    printMedianTable(medians, repeats)
  }
  const saliencyOn = process.env.BENCH_SALIENCY !== '0'
  const apgdOn = process.env.BENCH_APGD !== '0'
  const scalingOn = process.env.BENCH_SCALING !== '0' && native.active
  // The in-process measurements below run on the fastest backend here, once, at the first
  // thread count (this process has measured nothing else, so it may choose).
  process.env.ORTHOLENS_THREADS = String(threadCounts[0] ?? 1)
  // The native pool was sized when this process first asked for the kernels' status.
  loadNativeKernels()?.configure({ threads: threadCounts[0] ?? 1 })
  const info =
    saliencyOn || apgdOn || scalingOn
      ? await initBackend(backends.includes('wasm') ? 'wasm' : backends[0])
      : undefined
  if (scalingOn && info) {
    // Two threads against one in this one process, quiet and beside a busy process (issue 20).
    const scaling = await benchScaling(
      backends.filter((b) => b === 'wasm' || b === 'cpu'),
      archs.map((arch) => ({
        arch,
        batch: BATCH[arch]!,
        rounds: Number(env('BENCH_SCALING_ROUNDS', arch === 'resnet20' ? '6' : '10')),
        steps: arch === 'resnet20' ? 1 : 5
      }))
    )
    result.scaling = scaling
    console.log('')
    for (const line of scalingLines(scaling)) console.log(line)
  }
  if (apgdOn && info) {
    // APGD-CE throughput beside PGD-10's through the attack registry (issue 14).
    const apgd = await benchApgd()
    result.apgd = { ...apgd, threads: info.threads }
    console.log(`\nattack throughput on ${apgd.backend} (${info.threads} thread(s)):`)
    console.log(apgdLine(apgd))
  }
  if (saliencyOn && info) {
    // CAMERAS / Grad-CAM maps per second (issue "Explanations").
    const saliency = await benchSaliency()
    result.saliency = { ...saliency, threads: info.threads }
    const line = (
      name: string,
      t: { gradcamPerSec: number; camerasPerSec: number | null; note: string }
    ) =>
      `  ${name.padEnd(9)} Grad-CAM ${t.gradcamPerSec.toFixed(1)} maps/s, CAMERAS ${t.camerasPerSec === null ? '—' : t.camerasPerSec.toFixed(1)} maps/s (${t.note})`
    console.log(
      `\nsaliency throughput on ${saliency.backend} (${info.threads} thread(s)), batch ${saliency.batch}:`
    )
    console.log(line('cnn', saliency.cnn))
    console.log(line('resnet20', saliency.resnet20))
  }
  console.log(JSON.stringify(result))
}

const childSpec = process.env.BENCH_CHILD
const run = childSpec
  ? // Exit explicitly: the threaded wasm backend's workers must not keep a finished child alive.
    child(JSON.parse(childSpec) as ChildSpec, process.env.BENCH_CHILD_STATE!).then(() =>
      process.exit(0)
    )
  : main()
run.catch((err) => {
  console.error(err)
  process.exit(1)
})
