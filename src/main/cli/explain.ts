/**
 * How the command line prints explanations: `explain`, `explain-adversarial`, `sanity` and
 * `saliency-pgd`. Human-readable by default; with --json one JSON document, the maps left out
 * (they are in the run, and --out writes them as a grid PNG).
 */
import { epsilonPercent } from '../../contract/words'
import type { Explanation } from '../services/explain/stored'
import { gridColumns } from '../services/explain/images'
import type { SanityStudyResult } from '../services/explain/sanity'
import type { SaliencyPgdStudyResult } from '../services/explain/saliencyPgd'
import { pct, pctCi, table } from './output'

const f3 = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3)

/** An explanation as JSON without its maps (their shapes, or why a method was refused). */
export function explanationSummary(e: Explanation & { runId: number }, png: string | null) {
  return {
    runId: e.runId,
    sampleIndices: e.sampleIndices,
    labels: e.labels,
    columns: gridColumns(e),
    png,
    models: e.models.map((m) => ({
      modelId: m.modelId,
      modelName: m.modelName,
      predicted: m.predicted,
      classIndex: m.classIndex,
      camerasVariant: m.camerasVariant ?? null,
      methods: Object.fromEntries(
        Object.entries(m.maps).map(([k, map]) => [
          k,
          map && 'error' in map ? { error: map.error } : { shape: map?.shape }
        ])
      )
    }))
  }
}

export function explanationText(
  e: Explanation & { runId: number },
  png: string | null,
  title = 'Explanation'
): string {
  const rows = e.models.flatMap((m) =>
    e.methods.map((method) => {
      const map = m.maps[method]
      const status =
        map && 'error' in map
          ? `refused: ${map.error}`
          : method === 'cameras' && m.camerasVariant
            ? 'ok (adaptive-pool variant)'
            : 'ok'
      return [
        m.modelId,
        m.modelName,
        method,
        m.predicted.map((p) => e.classNames[p] ?? p).join(', '),
        status
      ]
    })
  )
  return (
    `${title} run ${e.runId}: validation samples ${e.sampleIndices.join(', ')} (true: ${e.labels.map((l) => e.classNames[l] ?? l).join(', ')})\n` +
    table(['model', 'name', 'method', 'predicted', 'status'], rows) +
    (png
      ? `\nGrid PNG written to ${png} (rows: samples; columns: image, ${gridColumns(e).join(' | ')})`
      : '')
  )
}

export function sanitySummary(r: SanityStudyResult & { runId: number }) {
  const { sampleIndices: _s, ...rest } = r
  return {
    ...rest,
    count: r.sampleIndices.length,
    methods: Object.fromEntries(
      Object.entries(r.methods).map(([k, m]) => [k, { ...m, scores: undefined }])
    )
  }
}

export function sanityText(r: SanityStudyResult & { runId: number }): string {
  const rows = Object.entries(r.methods).map(([k, m]) =>
    m!.error
      ? [k, '—', '—', m!.error]
      : [
          k + (m!.variant ? ' (adaptive-pool)' : ''),
          `${f3(m!.mean)} ± ${f3(m!.std)}`,
          f3(m!.median),
          `${m!.scores.length} images`
        ]
  )
  return (
    `Sanity run ${r.runId} on "${r.modelName}" (${r.sampleIndices.length} validation images; in [0, 1], lower is saner)\n` +
    table(['method', 'mean ± std', 'median', ''], rows) +
    (r.wins
      ? `\nPer image: Grad-CAM saner on ${r.wins.gradcam}, CAMERAS on ${r.wins.cameras}, ${r.wins.ties} ties`
      : '')
  )
}

export function saliencyPgdSummary(r: SaliencyPgdStudyResult & { runId: number }) {
  const { sampleIndices: _s, ...compact } = r
  return { ...compact, attacked: r.sampleIndices.length }
}

export function saliencyPgdText(r: SaliencyPgdStudyResult & { runId: number }): string {
  const rows = [r.source, ...r.targets].flatMap((o) =>
    (['vanilla', 'enhanced'] as const).map((k) => [
      o.modelName,
      pct(o.cleanErrorRate),
      k === 'vanilla' ? 'PGD' : 'saliency PGD',
      f3(o[k].meanL2),
      epsilonPercent(o[k].meanLinf),
      pctCi(o[k].foolingRate, o[k].images),
      pct(o[k].meanFoolingConfidence)
    ])
  )
  return (
    `Saliency-PGD run ${r.runId}: ε = ${epsilonPercent(r.epsilon)} of the pixel range, ${r.steps} steps, ${r.method} weighting, ${r.sampleIndices.length} of ${r.drawn} drawn images correct on the source\n` +
    table(
      [
        'model',
        'clean error',
        'attack',
        'mean L2',
        'mean L∞ (% of range)',
        'fooling rate [95 % CI]',
        'fooling conf.'
      ],
      rows
    )
  )
}
