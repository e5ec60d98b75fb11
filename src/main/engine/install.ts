/**
 * installEngine(): puts the project's kernels and gradients into TensorFlow.js, on purpose
 * and once. No engine module changes global state when imported; initBackend() (backend.ts)
 * calls this first, and so does anything that runs tensor code without a backend choice of
 * its own (the test set-up). What it installs, and which compute path runs when, is in
 * src/main/engine/README.md.
 *
 * Order: tfjs-backend-wasm must have registered its stock kernels before ours wrap them
 * (importing it does; tfjs's own packages register their backends and stock kernels when
 * first imported, which is theirs, not ours), then the kernels, then the gradients (which
 * name our kernels but do not need them registered).
 */
import '@tensorflow/tfjs-backend-wasm'
import { installKernels } from './kernels'
import { installGradients } from './gradients'

let installed = false

/** Registers every kernel and gradient of the project; later calls do nothing. */
export function installEngine(): void {
  if (installed) return
  installKernels()
  installGradients()
  installed = true
}

/** Whether installEngine() has run in this process. */
export function engineInstalled(): boolean {
  return installed
}
