/**
 * Explanations (SPEC §2.7, thesis §5.7 and Figure 6.3): Grad-CAM / CAMERAS maps of several
 * models side by side, the sanity study (Grad-CAM vs CAMERAS), saliency-enhanced PGD beside
 * vanilla PGD (Figure 5.13), the adversarial-vs-original view, PNG export and a
 * self-contained HTML report section. Every study is stored as a run.
 *
 * CAMERAS on the `cnn` (flatten + dense head, fixed input size): by default the services use
 * the engine's adaptive-pool variant (engine/saliency/nativeGrid.ts: the last feature map is
 * average-pooled back to its native grid before the head, as torchvision's VGG does), and mark
 * the result `camerasVariant: 'adaptive-pool'`; `fixedSizeHead: 'refuse'` gives the plain
 * refusal instead, reported in place of the map.
 */
import { backendInfo } from '../engine/backend'
import { toFloatBatch } from '../engine/data/batches'
import { range, seededShuffle } from '../engine/data/split'
import type { ImageDataset } from '../engine/data/types'
import type { Network } from '../engine/models'
import {
  cameras,
  encodePng,
  explainAdversarial,
  explainModels,
  gradCam,
  pgdReport,
  renderHeatmap,
  sanityScores,
  saliencyPgd,
  weightedPgd,
  type ArrayData,
  type ModelExplanation,
  type PgdReport,
  type SaliencyMethod
} from '../engine/saliency'
import { SaliencyError } from '../engine/saliency/errors'
import { tf } from '../engine/tf'
import type { Tensor3D, Tensor4D } from '../engine/tf'
import { createRun, finishRun, getRun, listRuns, updateRunProgress, type NewRun, type ProjectDb } from '../store'
import { datasetOf } from './datasets'
import { JobCancelledError, type JobHooks } from './hooks'
import { closeFailedRun } from './runFailure'
import { loadNetwork } from './models'

export type FixedSizeHead = 'refuse' | 'adaptive-pool'
export const SALIENCY_METHODS: readonly SaliencyMethod[] = ['gradcam', 'cameras']
const METHOD_LABEL: Record<SaliencyMethod, string> = { gradcam: 'Grad-CAM', cameras: 'CAMERAS' }

// ---------------------------------------------------------------- common

function checkMethods(methods: readonly string[] | undefined): SaliencyMethod[] {
  const m = methods && methods.length > 0 ? [...methods] : [...SALIENCY_METHODS]
  for (const x of m) {
    if (!SALIENCY_METHODS.includes(x as SaliencyMethod)) {
      throw new RangeError(`unknown saliency method "${x}" (gradcam, cameras)`)
    }
  }
  return m as SaliencyMethod[]
}

/** Validation indices: the given ones (checked), or a seeded draw of `count`. */
function pickSamples(ds: ImageDataset, indices: number[] | undefined, count: number, seed: number): number[] {
  if (indices && indices.length > 0) {
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= ds.validation.count) {
        throw new RangeError(`sample index ${i} outside the validation split [0, ${ds.validation.count})`)
      }
    }
    return [...indices]
  }
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be ≥ 1, got ${count}`)
  return seededShuffle(range(ds.validation.count), seed).slice(0, count)
}

function checkCancel(hooks: JobHooks): void {
  if (hooks.signal?.aborted) throw new JobCancelledError()
}

/** Runs `body` as a stored run: 'done' with its stored part, 'cancelled' or 'failed' otherwise. */
async function asRun<T>(
  project: ProjectDb,
  run: NewRun,
  body: (runId: number, progress: (fraction: number, stage: string) => void) => Promise<{ stored: object; value: T }>,
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

function withNetworks<T>(project: ProjectDb, ids: number[], fn: (nets: Network[]) => Promise<T>): Promise<T> {
  const nets: Network[] = []
  try {
    for (const id of ids) nets.push(loadNetwork(project, id))
  } catch (err) {
    nets.forEach((n) => n.dispose())
    throw err
  }
  return fn(nets).finally(() => nets.forEach((n) => n.dispose()))
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN
}

function std(xs: number[]): number {
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))
}

function meanCurves(curves: number[][]): number[] {
  if (curves.length === 0) return []
  return curves[0]!.map((_, i) => mean(curves.map((c) => c[i]!)))
}

const toB64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

/** [0, 1] floats as bytes: maps and images are stored 8-bit (display precision, 4× smaller). */
function quantise(data: Float32Array): Uint8Array {
  return Uint8Array.from(data, (v) => Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0))))
}

function dequantise(bytes: Uint8Array): Float32Array {
  return Float32Array.from(bytes, (b) => b / 255)
}

function slice(batch: ArrayData, index: number): Float32Array {
  const size = batch.shape.slice(1).reduce((a, b) => a * b, 1)
  return batch.data.subarray(index * size, (index + 1) * size)
}

// ---------------------------------------------------------------- side-by-side explanations

export interface ExplainRequest {
  datasetId: number
  modelIds: number[]
  /** Validation indices; else a seeded draw of `count` (default 4). */
  sampleIndices?: number[]
  count?: number
  seed?: number
  methods?: SaliencyMethod[]
  /** One class explained for every sample and model; default each model's own prediction. */
  classIndex?: number
  /** Feature stage (same name for every model); default each model's last feature stage. */
  stage?: string
  /** CAMERAS on flatten-head models; default 'adaptive-pool'. */
  fixedSizeHead?: FixedSizeHead
}

/** One model's maps as stored: 8-bit maps (base64, one per sample) or the refusal. */
export interface StoredModelMaps {
  modelId: number
  modelName: string
  predicted: number[]
  classIndex: number[]
  camerasVariant?: 'adaptive-pool'
  maps: Partial<Record<SaliencyMethod, string[] | { error: string }>>
}

/** What an 'explain' run keeps: small enough for a project (8-bit images and maps, base64). */
export interface StoredExplanation {
  datasetId: number
  split: 'validation'
  sampleIndices: number[]
  labels: number[]
  classNames: string[]
  /** [height, width, channels] */
  shape: [number, number, number]
  methods: SaliencyMethod[]
  /** One base64 8-bit HWC image per sample. */
  images: string[]
  models: StoredModelMaps[]
}

/** An explanation with float maps, ready for rendering. */
export interface Explanation {
  sampleIndices: number[]
  labels: number[]
  classNames: string[]
  methods: SaliencyMethod[]
  /** [N, H, W, C] in [0, 1]. */
  images: ArrayData
  /** Per model (numeric ids); maps [N, H, W] in [0, 1] or the refusal text. */
  models: (Omit<ModelExplanation, 'modelId'> & { modelId: number })[]
}

function storeExplanation(e: Explanation, datasetId: number, shape: [number, number, number]): StoredExplanation {
  const n = e.sampleIndices.length
  return {
    datasetId,
    split: 'validation',
    sampleIndices: e.sampleIndices,
    labels: e.labels,
    classNames: e.classNames,
    shape,
    methods: e.methods,
    images: range(n).map((i) => toB64(quantise(slice(e.images, i)))),
    models: e.models.map((m) => ({
      modelId: m.modelId,
      modelName: m.modelName,
      predicted: m.predicted,
      classIndex: m.classIndex,
      ...(m.camerasVariant ? { camerasVariant: m.camerasVariant } : {}),
      maps: Object.fromEntries(
        Object.entries(m.maps).map(([method, v]) => [
          method,
          'error' in v! ? { error: v.error } : range(n).map((i) => toB64(quantise(slice(v!, i))))
        ])
      )
    }))
  }
}

/** Float maps back from a stored 'explain' run (8-bit precision). */
export function decodeExplanation(s: StoredExplanation): Explanation {
  const [h, w, c] = s.shape
  const n = s.sampleIndices.length
  const joined = (parts: string[], size: number): Float32Array => {
    const out = new Float32Array(parts.length * size)
    parts.forEach((p, i) => out.set(dequantise(fromB64(p)), i * size))
    return out
  }
  return {
    sampleIndices: s.sampleIndices,
    labels: s.labels,
    classNames: s.classNames,
    methods: s.methods,
    images: { data: joined(s.images, h * w * c), shape: [n, h, w, c] },
    models: s.models.map((m) => ({
      modelId: m.modelId,
      modelName: m.modelName,
      predicted: m.predicted,
      classIndex: m.classIndex,
      ...(m.camerasVariant ? { camerasVariant: m.camerasVariant } : {}),
      maps: Object.fromEntries(
        Object.entries(m.maps).map(([method, v]) => [
          method,
          Array.isArray(v) ? { data: joined(v, h * w), shape: [n, h, w] } : v
        ])
      )
    }))
  }
}

/** Reloads an 'explain' run from the project. */
export function loadExplanation(project: ProjectDb, runId: number): Explanation {
  const run = getRun(project.db, runId)
  if (!run || run.kind !== 'explain') throw new RangeError(`run ${runId} is not an explanation run`)
  if (run.status !== 'done') throw new RangeError(`explanation run ${runId} is ${run.status}`)
  return decodeExplanation(run.results as StoredExplanation)
}

/**
 * Grad-CAM / CAMERAS maps of each model for the chosen validation samples (Figure 6.3: the
 * reference, the ordinary retrained and the orthogonal model side by side). Stored as an
 * 'explain' run.
 */
export async function explainSamples(
  project: ProjectDb,
  req: ExplainRequest,
  hooks: JobHooks = {}
): Promise<Explanation & { runId: number }> {
  if (req.modelIds.length === 0) throw new RangeError('explain needs at least one model')
  const ds = datasetOf(project, req.datasetId)
  const seed = req.seed ?? 7
  const methods = checkMethods(req.methods)
  const indices = pickSamples(ds, req.sampleIndices, req.count ?? 4, seed)
  const fixedSizeHead = req.fixedSizeHead ?? 'adaptive-pool'
  const config = { ...req, sampleIndices: indices, seed, methods, fixedSizeHead }
  return asRun(
    project,
    { kind: 'explain', config, seed, backend: (await backendInfo()).name, datasetId: req.datasetId, modelIds: req.modelIds },
    (_runId, progress) =>
      withNetworks(project, req.modelIds, async (nets) => {
        const x = toFloatBatch(ds.validation, indices, ds)
        try {
          const models: Explanation['models'] = []
          let images: ArrayData | undefined
          for (const [k, net] of nets.entries()) {
            checkCancel(hooks)
            progress(k / nets.length, `Explaining "${net.name}" (${k + 1}/${nets.length})`)
            if (req.stage !== undefined && !net.featureStages().includes(req.stage)) {
              throw new SaliencyError(`Stage "${req.stage}" is not a feature stage of "${net.name}"`)
            }
            const r = await explainModels([net], x, {
              methods,
              classIndex: req.classIndex !== undefined ? indices.map(() => req.classIndex!) : undefined,
              stages: req.stage ? { [net.id]: req.stage } : undefined,
              fixedSizeHead
            })
            images = r.images
            models.push({ ...r.models[0]!, modelId: req.modelIds[k]! })
          }
          const value: Explanation = {
            sampleIndices: indices,
            labels: indices.map((i) => ds.validation.labels[i]!),
            classNames: ds.classNames,
            methods,
            images: images!,
            models
          }
          return { stored: storeExplanation(value, req.datasetId, [ds.height, ds.width, ds.channels]), value }
        } finally {
          x.dispose()
        }
      }),
    hooks
  )
}

// ---------------------------------------------------------------- PNG export

/** Nearest-neighbour upscaling factor that makes a cell at least `min` pixels tall. */
function cellScale(h: number, min = 96): number {
  return Math.max(1, Math.ceil(min / h))
}

/** One heat map over its image as a PNG (nearest-neighbour upscaled for small images). */
export function heatmapPng(image: ArrayData, map: Float32Array, options: { alpha?: number; scale?: number } = {}): Buffer {
  const [h, w] = image.shape.length === 4 ? image.shape.slice(1) : image.shape
  const rgba = renderHeatmap(image, map, options.alpha ?? 0.5)
  const s = options.scale ?? cellScale(h!)
  return encodePng(upscale(rgba, w!, h!, s), w! * s, h! * s)
}

function upscale(rgba: Uint8Array, w: number, h: number, s: number): Uint8Array {
  if (s === 1) return rgba
  const out = new Uint8Array(w * s * h * s * 4)
  for (let y = 0; y < h * s; y++)
    for (let x = 0; x < w * s; x++) {
      const src = (Math.floor(y / s) * w + Math.floor(x / s)) * 4
      out.set(rgba.subarray(src, src + 4), (y * w * s + x) * 4)
    }
  return out
}

function imageRgba(image: ArrayData): Uint8Array {
  const [h, w, c] = image.shape
  const out = new Uint8Array(h! * w! * 4)
  for (let p = 0; p < h! * w!; p++) {
    for (let k = 0; k < 3; k++) out[p * 4 + k] = Math.round(255 * image.data[p * c! + (c === 1 ? 0 : k)]!)
    out[p * 4 + 3] = 255
  }
  return out
}

/** Column headers of explanationGrid, in order (after the image column). */
export function gridColumns(e: Explanation): string[] {
  return e.models.flatMap((m) => e.methods.map((method) => `${m.modelName} · ${METHOD_LABEL[method]}`))
}

/**
 * The comparison as one PNG: a row per sample; columns: the image, then each model's map for
 * each method (heat map over the image). A method refused for a model is a flat grey cell.
 * Cells are separated by 2 white pixels and upscaled to ≥ 96 px.
 */
export function explanationGridPng(e: Explanation, options: { scale?: number; alpha?: number } = {}): Buffer {
  const [n, h, w, c] = e.images.shape as [number, number, number, number]
  const s = options.scale ?? cellScale(h)
  const cols = 1 + e.models.length * e.methods.length
  const gap = 2
  const cw = w * s
  const ch = h * s
  const width = cols * cw + (cols - 1) * gap
  const height = n * ch + (n - 1) * gap
  const out = new Uint8Array(width * height * 4).fill(255)
  const place = (rgba: Uint8Array, row: number, col: number): void => {
    const big = upscale(rgba, w, h, s)
    const x0 = col * (cw + gap)
    const y0 = row * (ch + gap)
    for (let y = 0; y < ch; y++) out.set(big.subarray(y * cw * 4, (y + 1) * cw * 4), ((y0 + y) * width + x0) * 4)
  }
  const grey = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : 160))
  for (let i = 0; i < n; i++) {
    const image: ArrayData = { data: slice(e.images, i), shape: [h, w, c] }
    place(imageRgba(image), i, 0)
    let col = 1
    for (const m of e.models)
      for (const method of e.methods) {
        const map = m.maps[method]
        place(map && !('error' in map) ? renderHeatmap(image, slice(map, i), options.alpha ?? 0.5) : grey, i, col)
        col++
      }
  }
  return encodePng(out, width, height)
}

// ---------------------------------------------------------------- sanity study

export interface SanityStudyRequest {
  datasetId: number
  modelId: number
  /** Validation images (seeded draw); default 100 as in the thesis' note. */
  count?: number
  methods?: SaliencyMethod[]
  seed?: number
  /** Patch side of the ideal ordering's ablation; default the engine's (1 px below 64 px). */
  idealPatch?: number
  fixedSizeHead?: FixedSizeHead
  /** Images per saliency batch; default 16. */
  batchSize?: number
}

export interface MethodSanity {
  /** Mean ± sample std of the per-image scores, in [0, 1]; lower is saner. */
  mean: number
  std: number
  median: number
  scores: number[]
  /** Mean probability-vs-pixels curve over the images. */
  meanCurve: number[]
  /** Set when the method could not run on this model (then there are no scores). */
  error?: string
  variant?: 'adaptive-pool'
}

export interface SanityStudyResult {
  modelId: number
  modelName: string
  datasetId: number
  sampleIndices: number[]
  fractions: number[]
  methods: Partial<Record<SaliencyMethod, MethodSanity>>
  meanIdealCurve: number[]
  meanWorstCurve: number[]
  /** How many images each method scored strictly better (lower) than the other; ties apart. */
  wins?: { gradcam: number; cameras: number; ties: number }
}

/** Sanity scores of Grad-CAM vs CAMERAS on `count` validation images (run kind 'sanity'). */
export async function sanityStudy(
  project: ProjectDb,
  req: SanityStudyRequest,
  hooks: JobHooks = {}
): Promise<SanityStudyResult & { runId: number }> {
  const ds = datasetOf(project, req.datasetId)
  const seed = req.seed ?? 7
  const methods = checkMethods(req.methods)
  const indices = pickSamples(ds, undefined, Math.min(req.count ?? 100, ds.validation.count), seed)
  const fixedSizeHead = req.fixedSizeHead ?? 'adaptive-pool'
  const batch = req.batchSize ?? 16
  const config = { ...req, count: indices.length, seed, methods, fixedSizeHead }
  return asRun(
    project,
    { kind: 'sanity', config, seed, backend: (await backendInfo()).name, datasetId: req.datasetId, modelIds: [req.modelId] },
    (_runId, progress) =>
      withNetworks(project, [req.modelId], async ([net]) => {
        const scores: Record<string, number[]> = {}
        const curves: Record<string, number[][]> = {}
        const errors: Record<string, string> = {}
        const ideal: number[][] = []
        const worst: number[][] = []
        let fractions: number[] = []
        for (let start = 0; start < indices.length; start += batch) {
          const part = indices.slice(start, start + batch)
          const x = toFloatBatch(ds.validation, part, ds)
          const maps: Partial<Record<SaliencyMethod, Tensor3D>> = {}
          try {
            for (const method of methods) {
              if (errors[method]) continue
              try {
                maps[method] =
                  method === 'gradcam'
                    ? gradCam(net!, x)
                    : cameras(net!, x, { fixedSizeHead })
              } catch (err) {
                if (!(err instanceof SaliencyError)) throw err
                errors[method] = err.message
              }
            }
            const ran = methods.filter((m) => maps[m])
            const arrays = await Promise.all(ran.map(async (m) => (await maps[m]!.data()) as Float32Array))
            const size = ds.height * ds.width
            for (let i = 0; i < part.length; i++) {
              checkCancel(hooks)
              progress((start + i) / indices.length, `Sanity of ${ran.map((m) => METHOD_LABEL[m]).join(' and ')} on "${net!.name}": image ${start + i + 1}/${indices.length}`)
              if (ran.length === 0) continue
              const image = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as Tensor4D
              try {
                const results = await sanityScores(
                  net!,
                  image,
                  arrays.map((a) => a.subarray(i * size, (i + 1) * size)),
                  { idealPatch: req.idealPatch }
                )
                results.forEach((r, k) => {
                  const m = ran[k]!
                  ;(scores[m] ??= []).push(r.score)
                  ;(curves[m] ??= []).push(r.curve)
                })
                ideal.push(results[0]!.idealCurve)
                worst.push(results[0]!.worstCurve)
                fractions = results[0]!.fractions
              } finally {
                image.dispose()
              }
            }
          } finally {
            x.dispose()
            Object.values(maps).forEach((t) => t?.dispose())
          }
        }
        const perMethod: SanityStudyResult['methods'] = {}
        for (const m of methods) {
          const sc = scores[m] ?? []
          const sorted = [...sc].sort((a, b) => a - b)
          perMethod[m] = {
            mean: mean(sc),
            std: std(sc),
            median: sorted.length ? (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2 : NaN,
            scores: sc,
            meanCurve: meanCurves(curves[m] ?? []),
            ...(errors[m] ? { error: errors[m] } : {}),
            ...(m === 'cameras' && !net!.acceptsAnyInputSize() && !errors[m] ? { variant: 'adaptive-pool' as const } : {})
          }
        }
        let wins: SanityStudyResult['wins']
        const g = scores.gradcam
        const cm = scores.cameras
        if (g && cm && g.length === cm.length) {
          wins = { gradcam: 0, cameras: 0, ties: 0 }
          g.forEach((v, i) => {
            if (v < cm[i]!) wins!.gradcam++
            else if (cm[i]! < v) wins!.cameras++
            else wins!.ties++
          })
        }
        const value: SanityStudyResult = {
          modelId: req.modelId,
          modelName: net!.name,
          datasetId: req.datasetId,
          sampleIndices: indices,
          fractions,
          methods: perMethod,
          meanIdealCurve: meanCurves(ideal),
          meanWorstCurve: meanCurves(worst),
          ...(wins ? { wins } : {})
        }
        return { stored: value, value }
      }),
    hooks
  )
}

// ---------------------------------------------------------------- saliency-enhanced PGD

export interface SaliencyPgdStudyRequest {
  datasetId: number
  sourceModelId: number
  /** Models the adversarial images are also tried on (transfer). */
  targetModelIds?: number[]
  /** L∞ radius in [0, 1] units; default 12/255 (Figure 5.13). */
  epsilon?: number
  steps?: number
  /** Validation images drawn (seeded); only those the source classifies correctly are attacked. Default 100. */
  count?: number
  seed?: number
  /** The map weighting the steps; default CAMERAS (adaptive-pool variant on flatten heads). */
  saliency?: SaliencyMethod
  fixedSizeHead?: FixedSizeHead
  batchSize?: number
}

export interface PgdSummary {
  meanL2: number
  meanLinf: number
  maxLinf: number
  foolingRate: number
  /** Mean over all images of the highest probability of a wrong class. */
  meanFoolingConfidence: number
  /** The same, over the fooled images only (NaN when none). */
  meanFooledConfidence: number
}

export interface ModelPgdOutcome {
  modelId: number
  modelName: string
  /**
   * Share of the attacked (clean) images this model already gets wrong: 0 for the source by
   * construction; for a target its fooling rates include these, so read them against it.
   */
  cleanErrorRate: number
  vanilla: PgdSummary
  enhanced: PgdSummary
}

export interface SaliencyPgdStudyResult {
  epsilon: number
  steps: number
  method: string
  /** Validation images attacked (correct on the source). */
  sampleIndices: number[]
  drawn: number
  source: ModelPgdOutcome
  targets: ModelPgdOutcome[]
}

function summarise(rs: PgdReport[]): PgdSummary {
  const l2 = rs.flatMap((r) => r.l2)
  const linf = rs.flatMap((r) => r.linf)
  const conf = rs.flatMap((r) => r.foolingConfidence)
  const fooled = rs.flatMap((r) => r.fooled)
  return {
    meanL2: mean(l2),
    meanLinf: mean(linf),
    maxLinf: linf.length ? Math.max(...linf) : NaN,
    foolingRate: fooled.length ? fooled.filter(Boolean).length / fooled.length : NaN,
    meanFoolingConfidence: mean(conf),
    meanFooledConfidence: mean(conf.filter((_, i) => fooled[i]))
  }
}

async function correctOnes(net: Network, ds: ImageDataset, indices: number[], batch: number): Promise<number[]> {
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

/**
 * Vanilla vs saliency-enhanced PGD at the same ε, steps and seed (Figure 5.13): perturbation
 * norms, fooling rate and fooling confidence on the source, and transfer to the targets.
 * Stored as a 'saliency-pgd' run.
 */
export async function saliencyPgdStudy(
  project: ProjectDb,
  req: SaliencyPgdStudyRequest,
  hooks: JobHooks = {}
): Promise<SaliencyPgdStudyResult & { runId: number }> {
  const ds = datasetOf(project, req.datasetId)
  const seed = req.seed ?? 7
  const epsilon = req.epsilon ?? 12 / 255
  const steps = req.steps ?? 10
  const batch = req.batchSize ?? 25
  const fixedSizeHead = req.fixedSizeHead ?? 'adaptive-pool'
  const targets = req.targetModelIds ?? []
  const drawn = pickSamples(ds, undefined, Math.min(req.count ?? 100, ds.validation.count), seed)
  const config = { ...req, epsilon, steps, seed, count: drawn.length, fixedSizeHead }
  return asRun(
    project,
    {
      kind: 'saliency-pgd',
      config,
      seed,
      backend: (await backendInfo()).name,
      datasetId: req.datasetId,
      modelIds: [req.sourceModelId, ...targets]
    },
    (_runId, progress) =>
      withNetworks(project, [req.sourceModelId, ...targets], async ([source, ...others]) => {
        const indices = await correctOnes(source!, ds, drawn, batch)
        const reports = [source!, ...others].map(() => ({
          vanilla: [] as PgdReport[],
          enhanced: [] as PgdReport[],
          cleanErrors: 0
        }))
        let method: string = req.saliency ?? 'cameras'
        for (let s = 0; s < indices.length; s += batch) {
          checkCancel(hooks)
          progress(s / Math.max(1, indices.length), `PGD and saliency-enhanced PGD at ε = ${(epsilon * 255).toFixed(1)}/255: image ${s + 1}/${indices.length}`)
          const part = indices.slice(s, s + batch)
          const labels = part.map((i) => ds.validation.labels[i]!)
          const x = toFloatBatch(ds.validation, part, ds)
          const common = { epsilon, steps, seed: seed + s, labels }
          const vanilla = weightedPgd(source!, x, common)
          let enhanced: Tensor4D | undefined
          let map: Tensor3D | undefined
          try {
            const r = saliencyPgd(source!, x, { ...common, saliency: req.saliency ?? 'cameras', fixedSizeHead })
            enhanced = r.adversarial
            map = r.saliency
            method = r.method
            for (const [k, net] of [source!, ...others].entries()) {
              const clean = await pgdReport(net, x, x, labels)
              reports[k]!.cleanErrors += clean.fooled.filter(Boolean).length
              reports[k]!.vanilla.push(await pgdReport(net, x, vanilla, labels))
              reports[k]!.enhanced.push(await pgdReport(net, x, enhanced, labels))
            }
          } finally {
            x.dispose()
            vanilla.dispose()
            enhanced?.dispose()
            map?.dispose()
          }
        }
        const outcome = (k: number, net: Network, id: number): ModelPgdOutcome => ({
          modelId: id,
          modelName: net.name,
          cleanErrorRate: indices.length ? reports[k]!.cleanErrors / indices.length : NaN,
          vanilla: summarise(reports[k]!.vanilla),
          enhanced: summarise(reports[k]!.enhanced)
        })
        const value: SaliencyPgdStudyResult = {
          epsilon,
          steps,
          method,
          sampleIndices: indices,
          drawn: drawn.length,
          source: outcome(0, source!, req.sourceModelId),
          targets: others.map((net, k) => outcome(k + 1, net, targets[k]!))
        }
        return { stored: value, value }
      }),
    hooks
  )
}

// ---------------------------------------------------------------- adversarial vs original

export interface AdversarialExplainRequest {
  datasetId: number
  modelId: number
  /** Validation indices to show. */
  sampleIndices: number[]
  /** 'pgd' (vanilla) or 'saliency-pgd'; default 'pgd'. */
  attack?: 'pgd' | 'saliency-pgd'
  epsilon?: number
  steps?: number
  seed?: number
  methods?: SaliencyMethod[]
  fixedSizeHead?: FixedSizeHead
}

export interface AdversarialExplanation {
  /** Explanations of the original images (first) and the adversarial ones, same layout. */
  original: Explanation
  adversarial: Explanation
}

/**
 * An adversarial image next to its original, with the model's maps of both, both explaining
 * the TRUE class (where did the evidence go). Stored as an 'explain-adversarial' run.
 */
export async function explainAdversarialSample(
  project: ProjectDb,
  req: AdversarialExplainRequest,
  hooks: JobHooks = {}
): Promise<AdversarialExplanation & { runId: number }> {
  const ds = datasetOf(project, req.datasetId)
  const seed = req.seed ?? 7
  const methods = checkMethods(req.methods)
  const indices = pickSamples(ds, req.sampleIndices, 1, seed)
  const epsilon = req.epsilon ?? 12 / 255
  const steps = req.steps ?? 10
  const fixedSizeHead = req.fixedSizeHead ?? 'adaptive-pool'
  const attack = req.attack ?? 'pgd'
  const config = { ...req, sampleIndices: indices, seed, methods, epsilon, steps, attack, fixedSizeHead }
  return asRun(
    project,
    { kind: 'explain-adversarial', config, seed, backend: (await backendInfo()).name, datasetId: req.datasetId, modelIds: [req.modelId] },
    (_runId, progress) =>
      withNetworks(project, [req.modelId], async ([net]) => {
        progress(0, `Attacking and explaining "${net!.name}"`)
        const labels = indices.map((i) => ds.validation.labels[i]!)
        const x = toFloatBatch(ds.validation, indices, ds)
        let adv: Tensor4D | undefined
        try {
          const common = { epsilon, steps, seed, labels }
          if (attack === 'pgd') adv = weightedPgd(net!, x, common)
          else {
            const r = saliencyPgd(net!, x, { ...common, fixedSizeHead })
            r.saliency.dispose()
            adv = r.adversarial
          }
          const r = await explainAdversarial(net!, x, adv, { methods, classIndex: labels, fixedSizeHead })
          const make = (images: ArrayData, m: ModelExplanation): Explanation => ({
            sampleIndices: indices,
            labels,
            classNames: ds.classNames,
            methods,
            images,
            models: [{ ...m, modelId: req.modelId }]
          })
          const value = { original: make(r.images, r.original), adversarial: make(r.adversarialImages, r.adversarial) }
          const shape: [number, number, number] = [ds.height, ds.width, ds.channels]
          return {
            stored: {
              original: storeExplanation(value.original, req.datasetId, shape),
              adversarial: storeExplanation(value.adversarial, req.datasetId, shape)
            },
            value
          }
        } finally {
          x.dispose()
          adv?.dispose()
        }
      }),
    hooks
  )
}

// ---------------------------------------------------------------- HTML report section

/** Structural twin of the audit report's pluggable section. */
export interface ReportSection {
  id: string
  title: string
  html: string
}

export interface ExplanationsReportData {
  explanation?: Explanation
  adversarial?: AdversarialExplanation
  sanity?: SanityStudyResult
  pgd?: SaliencyPgdStudyResult
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)
const fmt = (v: number, d = 3): string => (Number.isFinite(v) ? v.toFixed(d) : '—')
const pctf = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '—')
const dataUri = (png: Buffer): string => `data:image/png;base64,${png.toString('base64')}`

function comparisonTable(e: Explanation, caption: string): string {
  const [, h, w, c] = e.images.shape as number[]
  const head = ['Sample', ...gridColumns(e)].map((t) => `<th>${esc(t)}</th>`).join('')
  const rows = e.sampleIndices.map((idx, i) => {
    const image: ArrayData = { data: slice(e.images, i), shape: [h!, w!, c!] }
    const cells = [
      `<td><img alt="sample ${idx}" src="${dataUri(heatmapPng(image, new Float32Array(h! * w!), { alpha: 0 }))}"><br>#${idx} ${esc(e.classNames[e.labels[i]!] ?? String(e.labels[i]))}</td>`
    ]
    for (const m of e.models)
      for (const method of e.methods) {
        const map = m.maps[method]
        const pred = esc(e.classNames[m.predicted[i]!] ?? String(m.predicted[i]))
        if (!map || 'error' in map) {
          cells.push(`<td class="refused">${esc(map && 'error' in map ? map.error : 'not computed')}</td>`)
        } else {
          const variant = method === 'cameras' && m.camerasVariant ? ' (adaptive-pool)' : ''
          cells.push(
            `<td><img alt="${esc(METHOD_LABEL[method])}" src="${dataUri(heatmapPng(image, slice(map, i)))}"><br>pred. ${pred}${variant}</td>`
          )
        }
      }
    return `<tr>${cells.join('')}</tr>`
  })
  return `<table class="saliency"><caption>${esc(caption)}</caption><tr>${head}</tr>${rows.join('')}</table>`
}

/** Inline SVG of probability-vs-fraction curves (no external assets). */
function curvesSvg(fractions: number[], series: { label: string; color: string; curve: number[]; dash?: boolean }[]): string {
  const W = 360
  const H = 220
  const L = 40
  const B = 30
  const x = (f: number): number => L + f * (W - L - 10)
  const y = (p: number): number => H - B - p * (H - B - 10)
  const lines = series
    .filter((s) => s.curve.length === fractions.length && s.curve.length > 0)
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="4 3"' : ''} points="${fractions.map((f, i) => `${x(f).toFixed(1)},${y(s.curve[i]!).toFixed(1)}`).join(' ')}"/>`
    )
  const legend = series.map(
    (s, i) => `<text x="${W - 150}" y="${20 + i * 14}" font-size="11" fill="${s.color}">${esc(s.label)}</text>`
  )
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="probability vs pixels removed">
<line x1="${L}" y1="${y(0)}" x2="${W - 10}" y2="${y(0)}" stroke="#444"/><line x1="${L}" y1="${y(0)}" x2="${L}" y2="10" stroke="#444"/>
<text x="${L}" y="${H - 8}" font-size="11">0</text><text x="${W - 24}" y="${H - 8}" font-size="11">100 %</text>
<text x="${(W + L) / 2 - 40}" y="${H - 8}" font-size="11">pixels removed</text>
<text x="4" y="${y(1) + 4}" font-size="11">1</text><text x="4" y="${y(0)}" font-size="11">0</text>
${lines.join('\n')}
${legend.join('\n')}
</svg>`
}

function pgdRows(o: ModelPgdOutcome): string {
  const row = (label: string, s: PgdSummary): string =>
    `<tr><td>${esc(o.modelName)}</td><td>${pctf(o.cleanErrorRate)}</td><td>${label}</td><td>${fmt(s.meanL2)}</td><td>${fmt(s.meanLinf * 255, 1)}/255</td><td>${pctf(s.foolingRate)}</td><td>${pctf(s.meanFoolingConfidence)}</td></tr>`
  return row('PGD', o.vanilla) + row('saliency-enhanced PGD', o.enhanced)
}

/**
 * The explanations section of the HTML report: side-by-side maps, adversarial vs original,
 * the sanity study (scores and inline SVG curves) and saliency-enhanced vs vanilla PGD.
 * Self-contained: images are PNG data URIs, charts inline SVG, no external URLs.
 */
export function explanationsReportSection(data: ExplanationsReportData): ReportSection {
  const parts: string[] = []
  parts.push(
    '<p>Grad-CAM weights each feature channel by its mean gradient; CAMERAS accumulates activations and gradients over several input resolutions and fuses them element-wise. On models with a fixed-size head (flatten + dense) CAMERAS runs as an adaptive-pool variant: the last feature map is averaged back to its native grid before the head.</p>'
  )
  if (data.explanation) parts.push(comparisonTable(data.explanation, 'Saliency of each model for the same samples (Figure 6.3)'))
  if (data.adversarial) {
    parts.push(comparisonTable(data.adversarial.original, 'Original images (true class explained)'))
    parts.push(comparisonTable(data.adversarial.adversarial, 'Adversarial images (true class explained)'))
  }
  if (data.sanity) {
    const s = data.sanity
    const rows = Object.entries(s.methods).map(([m, r]) =>
      r!.error
        ? `<tr><td>${METHOD_LABEL[m as SaliencyMethod]}</td><td colspan="3" class="refused">${esc(r!.error)}</td></tr>`
        : `<tr><td>${METHOD_LABEL[m as SaliencyMethod]}${r!.variant ? ' (adaptive-pool)' : ''}</td><td>${fmt(r!.mean)} ± ${fmt(r!.std)}</td><td>${fmt(r!.median)}</td><td>${r!.scores.length}</td></tr>`
    )
    const wins = s.wins
      ? `<p>Per image, Grad-CAM was saner on ${s.wins.gradcam}, CAMERAS on ${s.wins.cameras} (${s.wins.ties} ties).</p>`
      : ''
    parts.push(
      `<h3>Sanity score on "${esc(s.modelName)}" (${s.sampleIndices.length} validation images; in [0, 1], lower is saner)</h3>
<table><tr><th>Method</th><th>mean ± std</th><th>median</th><th>images</th></tr>${rows.join('')}</table>${wins}
${curvesSvg(s.fractions, [
  { label: 'ideal ordering', color: '#2a9d4a', curve: s.meanIdealCurve, dash: true },
  { label: 'worst ordering', color: '#999999', curve: s.meanWorstCurve, dash: true },
  { label: 'Grad-CAM', color: '#1f5fbf', curve: s.methods.gradcam?.meanCurve ?? [] },
  { label: 'CAMERAS', color: '#d1352b', curve: s.methods.cameras?.meanCurve ?? [] }
])}`
    )
  }
  if (data.pgd) {
    const p = data.pgd
    parts.push(
      `<h3>Saliency-enhanced PGD vs PGD at ε = ${fmt(p.epsilon * 255, 1)}/255, ${p.steps} steps (${esc(p.method)} weighting; Figure 5.13)</h3>
<table><tr><th>Model</th><th>clean error</th><th>Attack</th><th>mean ‖δ‖₂</th><th>mean ‖δ‖∞</th><th>fooling rate</th><th>fooling confidence</th></tr>${[p.source, ...p.targets].map(pgdRows).join('')}</table>
<p>${p.sampleIndices.length} of ${p.drawn} drawn validation images were correct on the source model and attacked; the first row pair is the source (white box), the others transfer.</p>`
    )
  }
  const style =
    '<style>table.saliency img{image-rendering:pixelated;width:96px;height:96px}table.saliency td{text-align:center;font-size:11px;vertical-align:top}td.refused{max-width:140px;font-size:11px;color:#8a2b2b}</style>'
  return { id: 'explanations', title: 'Explanations (Grad-CAM, CAMERAS)', html: style + parts.join('\n') }
}

/**
 * The explanations section built from the newest finished 'explain', 'explain-adversarial',
 * 'sanity' and 'saliency-pgd' runs of the project, or undefined when there are none. The audit
 * report adds it by default, so `ortholens report` and the window's export include it.
 */
export function latestExplanationsSection(project: ProjectDb): ReportSection | undefined {
  const newest = (kind: string) => listRuns(project.db, { kind, status: 'done' })[0]
  const data: ExplanationsReportData = {}
  const explain = newest('explain')
  if (explain) data.explanation = loadExplanation(project, explain.id)
  const adversarial = newest('explain-adversarial')
  if (adversarial) {
    const stored = getRun(project.db, adversarial.id)?.results as
      | { original: StoredExplanation; adversarial: StoredExplanation }
      | undefined
    if (stored?.original && stored.adversarial) {
      data.adversarial = { original: decodeExplanation(stored.original), adversarial: decodeExplanation(stored.adversarial) }
    }
  }
  const sanity = newest('sanity')
  if (sanity) data.sanity = getRun(project.db, sanity.id)?.results as SanityStudyResult
  const pgd = newest('saliency-pgd')
  if (pgd) data.pgd = getRun(project.db, pgd.id)?.results as SaliencyPgdStudyResult
  return Object.keys(data).length > 0 ? explanationsReportSection(data) : undefined
}
