/**
 * Input-transformation defenses (ART's `Preprocessor`): each maps a batch of [0, 1] images to a
 * transformed batch of the same shape and declares its one tuning parameter. None of them is
 * differentiable in general (JPEG, quantisation); like ART we declare `estimateGradient:
 * 'identity'` (BPDA), so an adaptive attack can still run through them.
 */
import type { Tensor4D } from '../tf'

/** Images as plain floats in [0, 1], NHWC, row-major. */
export interface FloatImageBatch {
  data: Float32Array
  shape: [number, number, number, number]
}

export interface DefenseParamSpec {
  name: string
  label: string
  min: number
  max: number
  integer: boolean
  default: number
  /** The variants Table 6.3 reports, in its row order. */
  tableValues: number[]
}

export interface DefenseDefinition {
  id: string
  name: string
  /** The paper proposing the defense. */
  paper: string
  param: DefenseParamSpec
  /** Implementation choices a reader needs to reproduce the numbers. */
  notes: string
  estimateGradient: 'identity'
  /** Row label in words (contract/words.ts), e.g. "JPEG quality 95" (Table 6.3 writes "JPEG-Quality=95"). */
  label(value: number): string
  apply(x: Tensor4D | FloatImageBatch, value: number): Tensor4D
}
