/**
 * Before an imported model is built, every parameter its architecture declares must match,
 * name and shape, a weight read from its files, whose sizes were in turn checked against the
 * files' real length. Building a layer allocates by its declared size; a hand-edited topology
 * (1,000,000 filters over a weight file of 8) would otherwise cost tens of seconds and
 * gigabytes before the mismatch showed. Shared by the Layers and ONNX importers.
 */
import type { ModelArchitecture } from './architecture'
import { architectureParameters, ModelError } from './network'

/** Parameters of one imported model at most: 256 M float32 = 1 GB. */
export const MAX_IMPORTED_PARAMETERS = 256 * 1024 * 1024

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1)

/**
 * Throws a ModelError naming the layer whose declared parameters do not match the weights
 * (`manifest`: names and shapes of the weights read), or when the model is larger than
 * MAX_IMPORTED_PARAMETERS. Allocates nothing.
 */
export function assertWeightsFitArchitecture(
  architecture: ModelArchitecture,
  manifest: readonly { name: string; shape: number[] }[]
): void {
  const declared = architectureParameters(architecture)
  const real = new Map(manifest.map((e) => [e.name, e.shape]))
  let total = 0
  for (const d of declared) {
    const layer = d.name.slice(0, d.name.lastIndexOf('/')) || d.name
    const have = real.get(d.name)
    const n = count(d.shape)
    if (!have) {
      throw new ModelError(
        `layer "${layer}" needs a weight "${d.name}" of shape [${d.shape.join(', ')}] that the weight files do not hold`
      )
    }
    if (have.join('x') !== d.shape.join('x')) {
      throw new ModelError(
        `layer "${layer}" declares weights of shape [${d.shape.join(', ')}] (${n.toLocaleString('en')} values) for "${d.name}", but the weight files hold [${have.join(', ')}] (${count(have).toLocaleString('en')} values)`
      )
    }
    total += n
    if (total > MAX_IMPORTED_PARAMETERS) {
      throw new ModelError(
        `the model has more than ${MAX_IMPORTED_PARAMETERS.toLocaleString('en')} parameters, more than an imported model may have`
      )
    }
  }
}
