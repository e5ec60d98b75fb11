/**
 * Saliency throughput on the current backend: Grad-CAM and CAMERAS maps per second for the
 * `cnn` (28×28×1, flatten head: CAMERAS runs as the adaptive-pool variant) and `resnet20`
 * (32×32×3, global pooling: plain CAMERAS, 6 scales up to ~2.4×). Batch 16, randomly
 * initialised weights (throughput does not depend on training), best of a few repetitions
 * after a warm-up.
 * Run alone: npx tsx bench/saliency.ts   (BENCH_REPS, BENCH_BACKEND to override)
 */
import { tf } from '../src/main/engine/tf'
import type { Tensor4D } from '../src/main/engine/tf'
import { initBackend, type BackendName } from '../src/main/engine/backend'
import { buildModel, type ArchitectureId } from '../src/main/engine/models'
import { cameras, gradCam } from '../src/main/engine/saliency'

export interface SaliencyThroughput {
  gradcamPerSec: number
  /** null when CAMERAS cannot run on the architecture. */
  camerasPerSec: number | null
  note: string
}

export interface SaliencyBench {
  backend: string
  batch: number
  cnn: SaliencyThroughput
  resnet20: SaliencyThroughput
}

const BATCH = 16

async function bestSeconds(fn: () => tf.Tensor, reps: number): Promise<number> {
  const warm = fn()
  await warm.data()
  warm.dispose()
  let best = Infinity
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    const out = fn()
    await out.data()
    best = Math.min(best, (performance.now() - t0) / 1000)
    out.dispose()
  }
  return best
}

async function measure(
  arch: ArchitectureId,
  shape: [number, number, number],
  reps: number
): Promise<SaliencyThroughput> {
  const net = buildModel(arch, shape, 10, { seed: 1 })
  const x = tf.randomUniform([BATCH, ...shape], 0, 1, 'float32', 3) as Tensor4D
  try {
    const g = await bestSeconds(() => gradCam(net, x), reps)
    const fixed = !net.acceptsAnyInputSize()
    const c = await bestSeconds(() => cameras(net, x, { fixedSizeHead: 'adaptive-pool' }), reps)
    return {
      gradcamPerSec: BATCH / g,
      camerasPerSec: BATCH / c,
      note: fixed
        ? 'flatten head: CAMERAS as the adaptive-pool variant (last feature map pooled to its native grid)'
        : 'global pooling: plain CAMERAS'
    }
  } finally {
    x.dispose()
    net.dispose()
  }
}

/** Maps per second for `cnn` and `resnet20` on the backend already initialised. */
export async function benchSaliency(
  reps = Number(process.env.BENCH_REPS ?? 3)
): Promise<SaliencyBench> {
  return {
    backend: tf.getBackend(),
    batch: BATCH,
    cnn: await measure('cnn', [28, 28, 1], reps),
    resnet20: await measure('resnet20', [32, 32, 3], reps)
  }
}

const isEntry = process.argv[1]?.replace(/\\/g, '/').endsWith('bench/saliency.ts')
if (isEntry) {
  await initBackend((process.env.BENCH_BACKEND as BackendName | undefined) ?? undefined)
  const r = await benchSaliency()
  const line = (name: string, t: SaliencyThroughput): string =>
    `${name.padEnd(9)} Grad-CAM ${t.gradcamPerSec.toFixed(1).padStart(7)} maps/s   CAMERAS ${t.camerasPerSec === null ? '—' : t.camerasPerSec.toFixed(1).padStart(7)} maps/s   (${t.note})`
  console.log(`Saliency throughput on ${r.backend}, batch ${r.batch}`)
  console.log(line('cnn', r.cnn))
  console.log(line('resnet20', r.resnet20))
}
