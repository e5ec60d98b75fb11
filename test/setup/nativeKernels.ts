/**
 * Vitest global set-up: rebuilds the native kernels when their sources are newer than the
 * build (a checkout update or an edit), so the tests never run a stale binary. Optional like
 * the install step: with no compiler the tests run on the WebAssembly kernels, and the
 * native-kernel test checks that this only happens where no compiler exists.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/build-native-kernels.mjs', import.meta.url))
  const run = spawnSync(process.execPath, [script, '--quiet'], { stdio: 'inherit' })
  if (run.status !== 0) throw new Error(`${script} failed (exit ${run.status})`)
}
