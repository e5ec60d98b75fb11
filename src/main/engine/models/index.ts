import { architectureFor, type ArchitectureId, type ModelArchitecture } from './architecture'
import { Network } from './network'

export * from './architecture'
export * from './network'
export type { Classifier, StagedClassifier } from './types'
export {
  modelFromStored,
  isNetwork,
  datasetMismatch,
  type LoadedModel,
  type DatasetFit,
  type ModelFit
} from './stored'

/** A fresh, Glorot-initialised network for the given architecture. */
export function buildModel(
  arch: ArchitectureId,
  inputShape: [number, number, number],
  numClasses: number,
  options: { seed: number; id?: string; name?: string }
): Network {
  const architecture = architectureFor(arch, inputShape, numClasses)
  return new Network(
    architecture,
    options.id ?? `${arch}-${options.seed}`,
    options.name ?? arch,
    options.seed
  )
}

/** Rebuilds a stored model: its architecture JSON, then its weights. */
export function networkFromArchitecture(
  architecture: ModelArchitecture,
  options: { seed?: number; id: string; name: string }
): Network {
  if (architecture.format !== 1) {
    throw new Error(
      `Model format ${String(architecture.format)} is newer than this version of Ortholens understands`
    )
  }
  return new Network(architecture, options.id, options.name, options.seed ?? 0)
}
