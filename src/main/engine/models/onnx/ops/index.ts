/**
 * The operators Ortholens imports, one table per family, registered into one checked
 * registry (a second registration of the same operator throws at load).
 */
import { OperatorRegistry, registerAll } from '../registry'
import { activationOps } from './activations'
import { arithmeticOps } from './arithmetic'
import { convOps } from './conv'
import { linearOps } from './linear'
import { normalizationOps } from './normalization'
import { poolOps } from './pool'
import { reduceOps } from './reduce'
import { reshapeOps } from './reshape'
import { shapeOps } from './shapeOps'

export function defaultRegistry(): OperatorRegistry {
  const registry = new OperatorRegistry()
  for (const table of [
    convOps,
    poolOps,
    normalizationOps,
    activationOps,
    arithmeticOps,
    linearOps,
    reduceOps,
    reshapeOps,
    shapeOps
  ]) {
    registerAll(registry, table)
  }
  return registry
}

/** The registry every ONNX model is built with. */
export const ONNX_OPERATORS = defaultRegistry()
