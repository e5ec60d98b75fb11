/**
 * How an engine output is held against its float64 reference, and the tolerance of each op.
 *
 * Metrics (each a number that must stay at or below the tolerance):
 *  - 'max': max |a - b| / max |b| over the whole output (the helpers' maxRelError): errors
 *    relative to the output's scale, for outputs where tiny entries carry no meaning alone;
 *  - 'elementwise': max |a - b| / |b| entry by entry: every entry keeps its own digits (the
 *    cross-entropy's point: losses and gradients of confident examples are tiny);
 *  - 'abs': max |a - b|: images, whose values live on the fixed [0, 1] scale.
 * Sampled outputs (fixture entries with `indices`) compare those entries, scaled by the full
 * output's largest magnitude.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface ReferenceOutput {
  shape: number[]
  absMax: number
  indices?: number[]
  values: number[]
}

export interface ReferenceCase {
  name: string
  checksum: [number, number]
  weightChecksum?: number
  reluMargin?: number
  signMargin?: number
  /** Model cases: PyTorch's own float32 gradient against float64 (the case's conditioning). */
  torchFloat32Error?: number
  outputs: Record<string, ReferenceOutput>
}

export type Metric = 'max' | 'elementwise' | 'abs'

export interface Tolerance {
  metric: Metric
  tolerance: number
}

/** The committed references (scripts/conformance/make-fixtures.sh). */
export function loadReferences(): Map<string, ReferenceCase> {
  const file = fileURLToPath(
    new URL('../../../fixtures/conformance/references.json', import.meta.url)
  )
  const json = JSON.parse(readFileSync(file, 'utf8')) as { cases: ReferenceCase[] }
  return new Map(json.cases.map((c) => [c.name, c]))
}

/**
 * Tolerances per op and output. float32 carries 6e-8 relative per rounding; these leave room
 * for the sums of a convolution or a batch (a few hundred terms) and no more. Every one is
 * below 1e-3, so an injected error of that size fails (conformance.test.ts checks it).
 */
export function toleranceFor(op: string, output: string): Tolerance {
  const max = (tolerance: number): Tolerance => ({ metric: 'max', tolerance })
  switch (op) {
    case 'conv':
      return max(1e-5)
    case 'maxPool':
    case 'avgPool':
      return max(1e-6)
    case 'batchNormTrain':
      return output === 'mean' ? max(1e-6) : max(2e-5)
    case 'batchNormInference':
      return max(1e-6)
    case 'crossEntropy':
      return output === 'hvp' ? max(1e-5) : { metric: 'elementwise', tolerance: 1e-5 }
    case 'penalty':
      return max(1e-5)
    case 'attack':
      return { metric: 'abs', tolerance: 1e-6 }
    case 'jpeg':
    case 'bitDepth':
      // Exact levels: a one-level difference is 1/255.
      return { metric: 'abs', tolerance: 1e-6 }
    case 'tvm':
      return { metric: 'abs', tolerance: 1e-5 }
    case 'bilateral':
      return { metric: 'abs', tolerance: 1e-6 }
    case 'model':
      // Double backprop through a whole network in float32 (target of issue 21: 1e-4).
      return output === 'objective' ? { metric: 'elementwise', tolerance: 1e-5 } : max(1e-4)
    default:
      throw new Error(`no tolerance for op ${op}`)
  }
}

/** The metric's value for `actual` against the reference. */
export function measure(actual: Float32Array, ref: ReferenceOutput, metric: Metric): number {
  const expectedSize = ref.shape.reduce((a, b) => a * b, 1)
  if (actual.length !== expectedSize) return Infinity
  const at = (k: number) => (ref.indices ? ref.indices[k]! : k)
  let worst = 0
  ref.values.forEach((b, k) => {
    const a = actual[at(k)]!
    const diff = Math.abs(a - b)
    const err =
      metric === 'abs'
        ? diff
        : metric === 'max'
          ? diff / Math.max(ref.absMax, 1e-30)
          : b === 0
            ? diff === 0
              ? 0
              : Infinity
            : diff / Math.abs(b)
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err)
  })
  return worst
}

/**
 * `actual` with an error of 1e-3 injected into one entry (the sampled entry of largest
 * reference magnitude), relative to the scale the metric measures against: the output's
 * largest magnitude ('max'), the entry itself ('elementwise'), the [0, 1] range ('abs').
 * What a subtly wrong kernel does.
 */
export function injectError(
  actual: Float32Array,
  ref: ReferenceOutput,
  metric: Metric
): Float32Array {
  let k = 0
  ref.values.forEach((b, j) => {
    if (Math.abs(b) > Math.abs(ref.values[k]!)) k = j
  })
  const index = ref.indices ? ref.indices[k]! : k
  const b = ref.values[k]!
  const scale = metric === 'abs' ? 1 : metric === 'max' ? ref.absMax : Math.abs(b)
  const out = actual.slice()
  out[index] = b + 1e-3 * (scale || 1)
  return out
}
