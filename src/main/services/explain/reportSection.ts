/**
 * The explanations section of the HTML audit report: side-by-side maps, adversarial vs
 * original, the sanity study (scores and curves) and saliency-enhanced vs vanilla PGD, from the
 * project's newest finished studies.
 */
import { epsilonPercent } from '../../../contract/words'
import type { SaliencyMethodName } from '../../../contract/names'
import type { ReportSection } from '../../engine/audit/report'
import { lineChartSvg, escapeXml } from '../../engine/render/lineChart'
import { pngDataUrl } from '../../engine/render/png'
import type { ArrayData } from '../../engine/saliency'
import { getRun, listRuns, type ProjectDb } from '../../store'
import type { AdversarialExplanation } from './adversarial'
import { METHOD_LABEL, slice } from './common'
import { gridColumns, heatmapPng } from './images'
import type { ModelPgdOutcome, PgdSummary, SaliencyPgdStudyResult } from './saliencyPgd'
import type { SanityStudyResult } from './sanity'
import {
  decodeExplanation,
  loadExplanation,
  type Explanation,
  type StoredAdversarialExplanation
} from './stored'

export interface ExplanationsReportData {
  explanation?: Explanation
  adversarial?: AdversarialExplanation
  sanity?: SanityStudyResult
  pgd?: SaliencyPgdStudyResult
}

const esc = escapeXml
const fmt = (v: number, d = 3): string => (Number.isFinite(v) ? v.toFixed(d) : '—')
const pctf = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '—')
const dataUri = pngDataUrl

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
          cells.push(
            `<td class="refused">${esc(map && 'error' in map ? map.error : 'not computed')}</td>`
          )
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

/** Probability vs share of pixels removed, per ordering (the sanity score's curves), as inline SVG. */
function curvesSvg(
  fractions: number[],
  series: { label: string; color: string; curve: number[]; dash?: boolean }[]
): string {
  const pct = (f: number) => ({ value: f, label: `${Math.round(f * 100)}` })
  return lineChartSvg({
    description: 'probability vs pixels removed',
    width: 360,
    height: 220,
    x: { title: 'pixels removed (%)', min: 0, max: 1, ticks: [0, 0.25, 0.5, 0.75, 1].map(pct) },
    y: {
      title: 'probability',
      min: 0,
      max: 1,
      grid: true,
      ticks: [0, 0.5, 1].map((p) => ({ value: p, label: String(p) }))
    },
    series: series
      .filter((s) => s.curve.length === fractions.length && s.curve.length > 0)
      .map((s) => ({
        label: s.label,
        colour: s.color,
        ...(s.dash ? { dash: '4 3' } : {}),
        points: fractions.map((f, i) => ({ x: f, y: s.curve[i]! }))
      }))
  })
}

function pgdRows(o: ModelPgdOutcome): string {
  const row = (label: string, s: PgdSummary): string =>
    `<tr><td>${esc(o.modelName)}</td><td>${pctf(o.cleanErrorRate)}</td><td>${label}</td><td>${fmt(s.meanL2)}</td><td>${epsilonPercent(s.meanLinf)}</td><td>${pctf(s.foolingRate)}${s.foolingCi95 ? ` <small>[${(100 * s.foolingCi95[0]).toFixed(1)}–${(100 * s.foolingCi95[1]).toFixed(1)}]</small>` : ''}</td><td>${pctf(s.meanFoolingConfidence)}</td></tr>`
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
  if (data.explanation)
    parts.push(
      comparisonTable(data.explanation, 'Saliency of each model for the same samples (Figure 6.3)')
    )
  if (data.adversarial) {
    parts.push(comparisonTable(data.adversarial.original, 'Original images (true class explained)'))
    parts.push(
      comparisonTable(data.adversarial.adversarial, 'Adversarial images (true class explained)')
    )
  }
  if (data.sanity) {
    const s = data.sanity
    const rows = Object.entries(s.methods).map(([m, r]) =>
      r!.error
        ? `<tr><td>${METHOD_LABEL[m as SaliencyMethodName]}</td><td colspan="3" class="refused">${esc(r!.error)}</td></tr>`
        : `<tr><td>${METHOD_LABEL[m as SaliencyMethodName]}${r!.variant ? ' (adaptive-pool)' : ''}</td><td>${fmt(r!.mean)} ± ${fmt(r!.std)}</td><td>${fmt(r!.median)}</td><td>${r!.scores.length}</td></tr>`
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
      `<h3>Saliency-enhanced PGD vs PGD at ε = ${epsilonPercent(p.epsilon)} of the pixel range, ${p.steps} steps (${esc(p.method)} weighting; Figure 5.13)</h3>
<table><tr><th>Model</th><th>clean error</th><th>Attack</th><th>mean ‖δ‖₂</th><th>mean ‖δ‖∞ (% of range)</th><th>fooling rate</th><th>fooling confidence</th></tr>${[p.source, ...p.targets].map(pgdRows).join('')}</table>
<p>${p.sampleIndices.length} of ${p.drawn} drawn validation images were correct on the source model and attacked; the first row pair is the source (white box), the others transfer.</p>`
    )
  }
  const style =
    '<style>table.saliency img{image-rendering:pixelated;width:96px;height:96px}table.saliency td{text-align:center;font-size:11px;vertical-align:top}td.refused{max-width:140px;font-size:11px;color:#8a2b2b}</style>'
  return {
    id: 'explanations',
    title: 'Explanations (Grad-CAM, CAMERAS)',
    html: style + parts.join('\n')
  }
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
      StoredAdversarialExplanation | undefined
    if (stored?.original && stored.adversarial) {
      data.adversarial = {
        original: decodeExplanation(stored.original),
        adversarial: decodeExplanation(stored.adversarial)
      }
    }
  }
  const sanity = newest('sanity')
  if (sanity) data.sanity = getRun(project.db, sanity.id)?.results as SanityStudyResult
  const pgd = newest('saliency-pgd')
  if (pgd) data.pgd = getRun(project.db, pgd.id)?.results as SaliencyPgdStudyResult
  return Object.keys(data).length > 0 ? explanationsReportSection(data) : undefined
}
