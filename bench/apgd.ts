/**
 * APGD throughput beside PGD-10's (issue 14): images per second through APGD-CE (100
 * iterations, Croce & Hein 2020) and through PGD with 10 steps, both through the attack
 * registry (runAttack) on the `cnn` (28×28×1, batch 64, random weights, labels = its own
 * predictions) on the backend already initialised, best of a few repetitions after a warm-up.
 * APGD stops once every image is fooled, so its figure is scaled by the iterations it really
 * ran (counted from its progress) to 100; "per 10 iterations" puts it on PGD-10's footing.
 * Run alone: npx tsx bench/apgd.ts   (BENCH_REPS, BENCH_BACKEND to override)
 */
import { tf } from '../src/main/engine/tf'
import type { Tensor1D, Tensor4D } from '../src/main/engine/tf'
import { initBackend, type BackendName } from '../src/main/engine/backend'
import { runAttack } from '../src/main/engine/attacks'
import { buildModel } from '../src/main/engine/models'

export interface ApgdBench {
  backend: string
  batch: number
  /** Images through 10 PGD steps per second. */
  pgd10ImagesPerSec: number
  /** Images through 100 APGD-CE iterations per second. */
  apgdCe100ImagesPerSec: number
  /** The same APGD-CE throughput per 10 iterations, comparable with PGD-10's. */
  apgdCePer10ImagesPerSec: number
  /** Iterations APGD-CE ran in its best repetition (100 unless every image was fooled first). */
  apgdIterations: number
}

const BATCH = 64
const EPSILON = 0.03

/** Best seconds per run of `fn` over `reps` (after one warm-up), and what the best run reported. */
async function best<T>(fn: () => Promise<T>, reps: number): Promise<{ seconds: number; value: T }> {
  await fn()
  let out = { seconds: Infinity, value: undefined as T }
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    const value = await fn()
    const seconds = (performance.now() - t0) / 1000
    if (seconds < out.seconds) out = { seconds, value }
  }
  return out
}

export async function benchApgd(reps = Number(process.env.BENCH_REPS ?? 3)): Promise<ApgdBench> {
  const net = buildModel('cnn', [28, 28, 1], 10, { seed: 1 })
  const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 3) as Tensor4D
  // Its own predictions as labels: every image starts correctly classified.
  const y = tf.tidy(() => tf.argMax(net.predictLogits(x), 1)) as Tensor1D
  try {
    const pgd = await best(async () => {
      const adv = await runAttack('pgd', net, x, y, {
        epsilon: EPSILON,
        steps: 10,
        batchSize: BATCH
      })
      adv.dispose()
    }, reps)
    const apgd = await best(async () => {
      let steps = 0
      const adv = await runAttack(
        'apgd-ce',
        net,
        x,
        y,
        { epsilon: EPSILON, steps: 100, batchSize: BATCH },
        { onProgress: (p) => (steps = p.completed) }
      )
      adv.dispose()
      return Math.max(1, steps)
    }, reps)
    const perIteration = apgd.seconds / apgd.value
    return {
      backend: tf.getBackend(),
      batch: BATCH,
      pgd10ImagesPerSec: BATCH / pgd.seconds,
      apgdCe100ImagesPerSec: BATCH / (perIteration * 100),
      apgdCePer10ImagesPerSec: BATCH / (perIteration * 10),
      apgdIterations: apgd.value
    }
  } finally {
    tf.dispose([x, y])
    net.dispose()
  }
}

/** One line for the bench's output. */
export function apgdLine(r: ApgdBench): string {
  return (
    `  cnn batch ${r.batch}: PGD-10 ${r.pgd10ImagesPerSec.toFixed(1)} img/s; APGD-CE (100 iterations) ` +
    `${r.apgdCe100ImagesPerSec.toFixed(1)} img/s = ${r.apgdCePer10ImagesPerSec.toFixed(1)} img/s per 10 iterations` +
    (r.apgdIterations < 100
      ? ` (ran ${r.apgdIterations} iterations before every image was fooled)`
      : '')
  )
}

const isEntry = process.argv[1]?.replace(/\\/g, '/').endsWith('bench/apgd.ts')
if (isEntry) {
  // Not a top-level await: the threaded wasm backend starts its workers while this module is
  // still evaluating, and a standalone run then never got going. Exit explicitly: the
  // backend's worker threads would keep the process alive.
  void (async () => {
    await initBackend((process.env.BENCH_BACKEND as BackendName | undefined) ?? undefined)
    const r = await benchApgd()
    console.log(`Attack throughput on ${r.backend}`)
    console.log(apgdLine(r))
    process.exit(0)
  })()
}
