/**
 * What the bench times: one architecture's model, reference model and data, with the three
 * paths as closures (orthogonal step, ordinary step, 10 PGD iterations), and a timer that
 * records each run's wall and process CPU time.
 */
import { tf } from '../src/main/engine/tf'
import { buildModel, type ArchitectureId, type Network } from '../src/main/engine/models'
import { trainStep } from '../src/main/engine/training/steps'
import { attackLoss } from '../src/main/engine/attacks/loss'
import { signStep } from '../src/main/engine/ops/signStep'
import type { Path } from './torchReference'

const SHAPE: Record<string, [number, number, number]> = { cnn: [28, 28, 1], resnet20: [32, 32, 3] }

/** One architecture's models and data, with the three paths as closures. */
export interface Workload {
  run: Record<Path, () => void>
  dispose: () => void
}

export function workload(arch: ArchitectureId, batch: number): Workload {
  const shape = SHAPE[arch]!
  const net: Network = buildModel(arch, shape, 10, { seed: 1 })
  const ref: Network = buildModel(arch, shape, 10, { seed: 2 })
  const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 3) as tf.Tensor4D
  const y = tf.randomUniform([batch], 0, 10, 'int32', 4) as tf.Tensor1D
  // SGD with momentum 0.9, lr 0.01, λ = 30: the reference's settings.
  const opt = tf.train.momentum(0.01, 0.9)
  const ortho = { reference: ref, lambda: 30, form: 'signed' as const }
  const gradOf = tf.grad((xa: tf.Tensor) => attackLoss(net.predictLogits(xa as tf.Tensor4D), y))
  return {
    run: {
      ortho: () => void trainStep(net, opt, x, y, ortho),
      plain: () => void trainStep(net, opt, x, y),
      // The attack engine's PGD iteration: input gradient (inference mode), then its step
      // (ops/signStep: strict sign, step, projection onto the ε-ball and [0, 1], one kernel);
      // read back at the end like the reference.
      pgd10: () => {
        let xa = x.clone()
        for (let t = 0; t < 10; t++) {
          const next = tf.tidy(() => signStep(xa, gradOf(xa) as tf.Tensor4D, x, 0.01, 0.03))
          xa.dispose()
          xa = next
        }
        xa.dataSync()
        xa.dispose()
      }
    },
    dispose: () => {
      tf.dispose([x, y])
      net.dispose()
      ref.dispose()
      opt.dispose()
    }
  }
}

/** Wall and process CPU time (ms; all threads, the pools' spinning included) of each of `n` runs. */
export function timeSamples(fn: () => void, n: number): { wall: number[]; cpu: number[] } {
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    fn()
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  return { wall, cpu }
}
