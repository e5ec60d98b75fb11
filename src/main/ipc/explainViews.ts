/**
 * Stored explanation runs → the contract's views: heat maps drawn over their images as PNG
 * data URLs (the CSP allows `data:` images only), numbers passed through, NaN as null.
 */
import type {
  AdversarialExplainView,
  ExplainGrid,
  SaliencyPgdView,
  SanityView
} from '../../contract/entities'
import type { ExplainAdversarialRequest } from '../../contract/requests'
import type { SaliencyMethodName } from '../../contract/names'
import { ContractError } from '../../contract/errors'
import { ratioInterval } from '../services/intervals'
import { floatPngDataUrl, pngDataUrl } from '../engine/render/png'
import type { ArrayData } from '../engine/saliency'
import { heatmapPng } from '../services/explain/images'
import { explanationRunPng } from '../services/explain/labelledPng'
import type { PgdSummary, SaliencyPgdStudyResult } from '../services/explain/saliencyPgd'
import type { SanityStudyResult } from '../services/explain/sanity'
import {
  decodeExplanation,
  type Explanation,
  type StoredAdversarialExplanation,
  type StoredExplanation
} from '../services/explain/stored'
import { storedRequest } from '../services/runs'
import type { RunRecord } from '../store'

const finite = (x: number | undefined): number | null =>
  typeof x === 'number' && Number.isFinite(x) ? x : null

function doneResults<T>(run: RunRecord, kind: string): T {
  if (run.kind !== kind)
    throw new ContractError('not-found', `Run ${run.id} is a ${run.kind} run, not ${kind}`)
  if (run.status === 'running') throw new ContractError('busy', `Run ${run.id} is still running`)
  if (run.status !== 'done' || !run.results) {
    throw new ContractError(
      'not-found',
      `Run ${run.id} has no results (${run.status}${run.error ? `: ${run.error}` : ''})`
    )
  }
  return run.results as T
}

function imageOf(e: Explanation, i: number): ArrayData {
  const [, h, w, c] = e.images.shape as [number, number, number, number]
  const size = h * w * c
  return { data: e.images.data.subarray(i * size, (i + 1) * size), shape: [h, w, c] }
}

/** An explanation as rows of images and, per model, a heat map per method. */
export function gridOf(runId: number, e: Explanation): ExplainGrid {
  const [, h, w, c] = e.images.shape as [number, number, number, number]
  const name = (k: number | undefined) => (k === undefined ? '—' : (e.classNames[k] ?? String(k)))
  return {
    runId,
    methods: e.methods,
    models: e.models.map((m) => ({
      modelId: m.modelId,
      modelName: m.modelName,
      ...(m.camerasVariant
        ? { note: 'CAMERAS as the adaptive-pool variant (the model has a fixed-size head)' }
        : {})
    })),
    rows: e.sampleIndices.map((sampleIndex, i) => {
      const image = imageOf(e, i)
      return {
        sampleIndex,
        trueClassName: name(e.labels[i]),
        image: floatPngDataUrl(image.data, [h, w, c]),
        cells: e.models.map((m) => ({
          modelId: m.modelId,
          modelName: m.modelName,
          predictedClassName: name(m.predicted[i]),
          explainedClassName: name(m.classIndex[i]),
          maps: e.methods.map((method) => {
            const map = m.maps[method]
            if (!map)
              return { method: method as SaliencyMethodName, src: null, error: 'not computed' }
            if ('error' in map)
              return { method: method as SaliencyMethodName, src: null, error: map.error }
            const png = heatmapPng(image, map.data.subarray(i * h * w, (i + 1) * h * w))
            return { method: method as SaliencyMethodName, src: pngDataUrl(png) }
          })
        }))
      }
    })
  }
}

export function explainGridView(run: RunRecord): ExplainGrid {
  return gridOf(run.id, decodeExplanation(doneResults<StoredExplanation>(run, 'explain')))
}

export function adversarialView(run: RunRecord): AdversarialExplainView {
  const r = doneResults<StoredAdversarialExplanation>(run, 'explain-adversarial')
  // What the attack resolved to (its defaults filled in); runs recorded before kept it flat.
  const resolved = (run.config as { resolved?: unknown }).resolved
  const c = (resolved ?? storedRequest(run) ?? run.config) as Partial<ExplainAdversarialRequest>
  return {
    runId: run.id,
    attack: c.attack ?? 'pgd',
    epsilon: c.epsilon ?? 0,
    steps: c.steps ?? 0,
    original: gridOf(run.id, decodeExplanation(r.original)),
    adversarial: gridOf(run.id, decodeExplanation(r.adversarial))
  }
}

export function sanityView(run: RunRecord): SanityView {
  const r = doneResults<SanityStudyResult>(run, 'sanity')
  return {
    runId: run.id,
    modelId: r.modelId,
    modelName: r.modelName,
    sampleCount: r.sampleIndices.length,
    fractions: r.fractions,
    methods: Object.entries(r.methods).map(([method, m]) => ({
      method: method as SaliencyMethodName,
      mean: finite(m?.mean),
      std: finite(m?.std),
      median: finite(m?.median),
      meanCurve: m?.meanCurve ?? [],
      ...(m?.error ? { error: m.error } : {})
    })),
    idealCurve: r.meanIdealCurve,
    worstCurve: r.meanWorstCurve,
    ...(r.wins ? { wins: r.wins } : {})
  }
}

/** A PGD summary as the window shows it; runs stored before intervals rest on the attacked images. */
function summary(s: PgdSummary, attacked: number) {
  const images = typeof s.images === 'number' ? s.images : attacked
  return {
    meanL2: finite(s.meanL2) ?? 0,
    meanLinf: finite(s.meanLinf) ?? 0,
    foolingRate: finite(s.foolingRate) ?? 0,
    images,
    foolingCi95: ratioInterval(finite(s.foolingRate), images),
    meanFoolingConfidence: finite(s.meanFoolingConfidence) ?? 0
  }
}

export function saliencyPgdView(run: RunRecord): SaliencyPgdView {
  const r = doneResults<SaliencyPgdStudyResult>(run, 'saliency-pgd')
  const row = (o: SaliencyPgdStudyResult['source'], role: 'source' | 'target') => ({
    modelId: o.modelId,
    modelName: o.modelName,
    role,
    vanilla: summary(o.vanilla, r.sampleIndices.length),
    enhanced: summary(o.enhanced, r.sampleIndices.length)
  })
  return {
    runId: run.id,
    epsilon: r.epsilon,
    steps: r.steps,
    method: r.method,
    sampleCount: r.sampleIndices.length,
    drawn: r.drawn,
    models: [row(r.source, 'source'), ...r.targets.map((t) => row(t, 'target'))]
  }
}

/**
 * The labelled PNG of an explanation run (services/explain/labelledPng.ts): title, colour
 * scale, column headings and every image's number, true class and predictions.
 */
export function explanationPng(
  run: RunRecord,
  datasetName?: string | null,
  scale?: number
): { png: Buffer; width: number; height: number } {
  if (run.kind === 'explain') doneResults<StoredExplanation>(run, 'explain')
  else doneResults<StoredAdversarialExplanation>(run, 'explain-adversarial')
  return explanationRunPng(run, { datasetName, scale })
}
