/**
 * What every explanation study shares: the methods and samples it runs on, running as a stored
 * run with progress and cancellation, loading networks, and small statistics.
 *
 * CAMERAS on the `cnn` (flatten + dense head, fixed input size): by default the studies use
 * the engine's adaptive-pool variant (engine/saliency/nativeGrid.ts: the last feature map is
 * average-pooled back to its native grid before the head, as torchvision's VGG does), and mark
 * the result `camerasVariant: 'adaptive-pool'`; `fixedSizeHead: 'refuse'` gives the plain
 * refusal instead, reported in place of the map.
 */
import { SALIENCY_METHODS, type SaliencyMethodName } from '../../../contract/names'
import { toFloatBatch } from '../../engine/data/batches'
import { range, seededShuffle } from '../../engine/data/split'
import type { ImageDataset } from '../../engine/data/types'
import type { LoadedModel } from '../../engine/models'
import type { ArrayData } from '../../engine/saliency'
import { tf } from '../../engine/tf'
import { createRun, finishRun, updateRunProgress, type NewRun, type ProjectDb } from '../../store'
import { JobCancelledError, type JobHooks } from '../hooks'
import { loadClassifier } from '../models'
import { closeFailedRun } from '../runFailure'

export const METHOD_LABEL: Record<SaliencyMethodName, string> = {
  gradcam: 'Grad-CAM',
  cameras: 'CAMERAS'
}

/** Seed of the sample draws when a request gives none. */
export const DEFAULT_EXPLAIN_SEED = 7

/** The methods asked for (all when none), checked. */
export function checkMethods(methods: readonly string[] | undefined): SaliencyMethodName[] {
  const m = methods && methods.length > 0 ? [...methods] : [...SALIENCY_METHODS]
  for (const x of m) {
    if (!SALIENCY_METHODS.includes(x as SaliencyMethodName)) {
      throw new RangeError(`unknown saliency method "${x}" (${SALIENCY_METHODS.join(', ')})`)
    }
  }
  return m as SaliencyMethodName[]
}

/** Validation indices: the given ones (checked), or a seeded draw of `count`. */
export function pickSamples(
  ds: ImageDataset,
  indices: number[] | undefined,
  count: number,
  seed: number
): number[] {
  if (indices && indices.length > 0) {
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= ds.validation.count) {
        throw new RangeError(
          `sample index ${i} outside the validation split [0, ${ds.validation.count})`
        )
      }
    }
    return [...indices]
  }
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be ≥ 1, got ${count}`)
  return seededShuffle(range(ds.validation.count), seed).slice(0, count)
}

export function checkCancel(hooks: JobHooks): void {
  if (hooks.signal?.aborted) throw new JobCancelledError()
}

/** Runs `body` as a stored run: 'done' with its stored part, 'cancelled' or 'failed' otherwise. */
export async function asRun<T>(
  project: ProjectDb,
  run: NewRun,
  body: (
    runId: number,
    progress: (fraction: number, stage: string) => void
  ) => Promise<{ stored: object; value: T }>,
  hooks: JobHooks
): Promise<T & { runId: number }> {
  const db = project.writable()
  const runId = createRun(db, run)
  let last = 0
  const progress = (fraction: number, stage: string): void => {
    hooks.onProgress?.({ fraction, stage })
    const now = Date.now()
    if (now - last > 1000) {
      updateRunProgress(db, runId, { fraction, stage })
      last = now
    }
  }
  try {
    const { stored, value } = await body(runId, progress)
    finishRun(db, runId, { status: 'done', results: stored })
    hooks.onProgress?.({ fraction: 1, stage: 'Done' })
    return { ...value, runId }
  } catch (err) {
    throw closeFailedRun(db, runId, err, hooks.signal)
  }
}

/** Loads the models, runs `fn`, and disposes them whatever happens. */
export function withModels<T>(
  project: ProjectDb,
  ids: number[],
  fn: (nets: LoadedModel[]) => Promise<T>
): Promise<T> {
  const nets: LoadedModel[] = []
  try {
    for (const id of ids) nets.push(loadClassifier(project, id))
  } catch (err) {
    nets.forEach((n) => n.dispose())
    throw err
  }
  return fn(nets).finally(() => nets.forEach((n) => n.dispose()))
}

/** The validation images of `indices` the model classifies correctly, in order. */
export async function correctOnes(
  net: LoadedModel,
  ds: ImageDataset,
  indices: number[],
  batch: number
): Promise<number[]> {
  const keep: number[] = []
  for (let s = 0; s < indices.length; s += batch) {
    const part = indices.slice(s, s + batch)
    const pred = tf.tidy(() => {
      const x = toFloatBatch(ds.validation, part, ds)
      return tf.argMax(net.predictLogits(x), 1)
    })
    const p = await pred.data()
    pred.dispose()
    part.forEach((idx, i) => {
      if (p[i] === ds.validation.labels[idx]) keep.push(idx)
    })
  }
  return keep
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN
}

/** Sample standard deviation (n − 1); 0 below two values. */
export function std(xs: number[]): number {
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))
}

/** The point-wise mean of curves of equal length. */
export function meanCurves(curves: number[][]): number[] {
  if (curves.length === 0) return []
  return curves[0]!.map((_, i) => mean(curves.map((c) => c[i]!)))
}

/** Image (or map) `index` of a batch. */
export function slice(batch: ArrayData, index: number): Float32Array {
  const size = batch.shape.slice(1).reduce((a, b) => a * b, 1)
  return batch.data.subarray(index * size, (index + 1) * size)
}
