import { tf } from '/work/main/src/main/engine/tf'
import { initBackend } from '/work/main/src/main/engine/backend'
import { buildModel } from '/work/main/src/main/engine/models'
import { attackLoss } from '/work/main/src/main/engine/attacks/loss'
import { loadNativeKernels } from '/work/main/src/main/engine/kernels/nativeKernels'
async function main() {
  await initBackend('wasm')
  const native = loadNativeKernels()!
  const net = buildModel('resnet20', [32, 32, 3], 10, { seed: 1 })
  const x = tf.randomUniform([128, 32, 32, 3]) as tf.Tensor4D
  const y = tf.randomUniform([128], 0, 10, 'int32') as tf.Tensor1D
  const iter = () => tf.tidy(() => { const g = tf.grad((xx) => attackLoss(net.predictLogits(xx as tf.Tensor4D), y))(x); g.dataSync() })
  const configs: Record<string, () => void> = {
    'fused+wg': () => { (globalThis as any).NOFUSE = false; native.configure({ winograd: true }) },
    'unfused+wg': () => { (globalThis as any).NOFUSE = true; native.configure({ winograd: true }) },
    'unfused+direct': () => { (globalThis as any).NOFUSE = true; native.configure({ winograd: false }) },
  }
  const best: Record<string, number[]> = {}
  for (let r = 0; r < 8; r++) for (const [k, set] of Object.entries(configs)) {
    set(); iter()
    const t = performance.now(); for (let i = 0; i < 3; i++) iter(); const ms = (performance.now() - t) / 3
    ;(best[k] ??= []).push(ms)
  }
  for (const [k, v] of Object.entries(best)) { v.sort((a, b) => a - b); console.log(k, 'min', v[0].toFixed(1), 'median', v[4].toFixed(1)) }
}
main()
