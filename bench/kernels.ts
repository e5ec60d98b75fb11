/**
 * Conv kernel timings on wasm (batch 64, the `cnn` architecture's layers of
 * shared/reference/torch_step_bench.py, beside the repository): forward conv vs the stock Conv2DBackpropInput
 * vs the forward-convolution decompositions of dx and dW (engine/kernels/convGradOps). The
 * wasm backend has no stock Conv2DBackpropFilter at all. Prints the best of a few runs, in ms.
 * Run: npx tsx bench/kernels.ts
 */
import { tf } from '../src/main/engine/tf'
import { initBackend } from '../src/main/engine/backend'
import {
  conv2dBackpropFilterOps,
  conv2dBackpropInputOps
} from '../src/main/engine/kernels/convGradOps'

const layers = [
  { name: '1->32 s1', hw: 28, ci: 1, co: 32, s: 1 },
  { name: '32->32 s2', hw: 28, ci: 32, co: 32, s: 2 },
  { name: '32->64 s1', hw: 14, ci: 32, co: 64, s: 1 },
  { name: '64->64 s2', hw: 14, ci: 64, co: 64, s: 2 }
]
const batch = 64
const reps = Number(process.env.BENCH_REPS ?? 3)

function best(fn: () => tf.Tensor): number {
  tf.dispose(fn()) // warm-up (XNNPACK operator creation, memory growth)
  let min = Infinity
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    const out = fn()
    out.dataSync()
    min = Math.min(min, performance.now() - t0)
    out.dispose()
  }
  return min
}

async function main(): Promise<void> {
  await initBackend((process.env.ORTHOLENS_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm')
  console.log(`backend ${tf.getBackend()}, batch ${batch}, best of ${reps} (ms)`)
  console.log('layer        in        fwd   bpInput(stock)   dx(ours)   dW(ours)')
  for (const l of layers) {
    const x = tf.randomNormal([batch, l.hw, l.hw, l.ci]) as tf.Tensor4D
    const f = tf.randomNormal([3, 3, l.ci, l.co]) as tf.Tensor4D
    const y = tf.conv2d(x, f, l.s, 'same')
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D
    const fwd = best(() => tf.conv2d(x, f, l.s, 'same'))
    const stockDx = best(() => tf.conv2dTranspose(dy, f, x.shape, l.s, 'same'))
    const dx = best(() => conv2dBackpropInputOps(x.shape, dy, f, l.s, 'same'))
    const dw = best(() => conv2dBackpropFilterOps(x, dy, f.shape, l.s, 'same'))
    const cell = (v: number): string => v.toFixed(1).padStart(9)
    console.log(
      `${l.name.padEnd(10)} ${`${l.hw}x${l.hw}`.padEnd(7)}${cell(fwd)}${cell(stockDx).padStart(17)}${cell(dx).padStart(11)}${cell(dw).padStart(11)}`
    )
    tf.dispose([x, f, y, dy])
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
