import { tf } from '/work/main/src/main/engine/tf'
import { initBackend } from '/work/main/src/main/engine/backend'
await initBackend('wasm')
const a = tf.randomNormal([128, 32, 32, 16]), b = tf.randomNormal([128, 32, 32, 16])
for (const name of ['mul', 'add', 'relu']) {
  let best = 1e9
  for (let i = 0; i < 20; i++) {
    const t = performance.now()
    const c = name === 'mul' ? tf.mul(a, b) : name === 'add' ? tf.add(a, b) : tf.relu(a)
    c.dataSync; best = Math.min(best, performance.now() - t); c.dispose()
  }
  console.log(process.env.ORTHOLENS_THREADS, name, best.toFixed(3), 'ms')
}
