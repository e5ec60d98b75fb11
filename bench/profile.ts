/**
 * Per-kernel time of one training step or PGD iteration (tf.profile), to find where the time
 * goes. Run: npx tsx bench/profile.ts [wasm|cpu] [cnn|resnet20] [ortho|plain|pgd]
 * (PROFILE_BATCH overrides the batch: 64 for cnn, 128 for resnet20; PROFILE_SHAPES=1 splits
 * every kernel by its input shapes)
 */
import { tf } from '../src/main/engine/tf'
import { initBackend } from '../src/main/engine/backend'
import { buildModel, type ArchitectureId } from '../src/main/engine/models'
import { trainStep } from '../src/main/engine/training/steps'
import { attackLoss } from '../src/main/engine/attacks/loss'

async function main(): Promise<void> {
  const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu'
  const arch = (process.argv[3] ?? 'cnn') as ArchitectureId
  const path = process.argv[4] ?? 'ortho'
  await initBackend(backend)
  const shape: [number, number, number] = arch === 'cnn' ? [28, 28, 1] : [32, 32, 3]
  const batch = Number(process.env.PROFILE_BATCH ?? (arch === 'cnn' ? 64 : 128))
  const net = buildModel(arch, shape, 10, { seed: 1 })
  const ref = buildModel(arch, shape, 10, { seed: 2 })
  const x = tf.randomUniform([batch, ...shape]) as tf.Tensor4D
  const y = tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D
  const opt = tf.train.momentum(0.01, 0.9)
  const run = (): void => {
    if (path === 'pgd') {
      tf.tidy(() => {
        const g = tf.grad((xx) => attackLoss(net.predictLogits(xx as tf.Tensor4D), y))(x)
        g.dataSync()
      })
    } else {
      trainStep(
        net,
        opt,
        x,
        y,
        path === 'ortho' ? { reference: ref, lambda: 30, form: 'squared' } : undefined
      )
    }
  }
  for (let i = 0; i < 2; i++) run()
  let best = Infinity
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    run()
    best = Math.min(best, performance.now() - t)
  }
  const info = await tf.profile(run)
  const byKernel = new Map<string, { ms: number; n: number }>()
  let total = 0
  for (const k of info.kernels) {
    const ms = Number(k.kernelTimeMs) || 0
    total += ms
    const withShapes =
      process.env.PROFILE_SHAPES === '1' ||
      k.name.startsWith('Conv') ||
      k.name.startsWith('Fused') ||
      ['Slice', 'BatchMatMul', 'Transpose', 'PadV2'].includes(k.name)
    const key = `${k.name} ${withShapes ? JSON.stringify(k.inputShapes) : ''}`
    const e = byKernel.get(key) ?? { ms: 0, n: 0 }
    e.ms += ms
    e.n++
    byKernel.set(key, e)
  }
  console.log(
    `${backend} ${arch} ${path}: best wall ${best.toFixed(1)} ms, kernels ${total.toFixed(1)} ms in ${info.kernels.length} calls`
  )
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)
  for (const [k, v] of rows)
    console.log(`${v.ms.toFixed(1).padStart(8)} ${String(v.n).padStart(4)}  ${k}`)
}

// Exits explicitly: the threaded wasm build's workers keep Node alive after main returns.
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
