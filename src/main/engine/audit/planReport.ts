/**
 * The report's experiment-plan sections: Table 6.2 (δ to the reference, validation accuracy and
 * training time per λ and architecture, as mean ± std over seeds with 95 % intervals) and
 * Figures 6.6 / 6.7 (fooling ratio against ε per λ with error bars, for the reference and for
 * sources of other architectures). Data in, trusted HTML out (inline SVG, no script).
 */
import type { PlanCurve, PlanResult, PlanStat } from '../../../contract/plans'
import { attackLabel } from '../../../contract/words'
import { escapeXml } from '../render/lineChart'
import { foolingChartSvg } from './foolingChart'

const pct = (v: number) => (100 * v).toFixed(1)

/** A model's name with its architecture, unless the name says it already. */
const named = (name: string, arch: string) => (name.includes(arch) ? name : `${name} (${arch})`)

/** "86.5 ± 0.3 [85.8–87.2]" (ratios in %) or "0.512 ± 0.020 [0.46–0.56]". */
export function planStatHtml(s: PlanStat | null | undefined, percent: boolean): string {
  if (!s || !Number.isFinite(s.mean)) return '—'
  const f = (v: number) => (percent ? pct(v) : v.toFixed(3))
  const std = s.std !== null ? ` ± ${f(s.std)}` : ''
  const ci = s.ci95 ? ` <small>[${f(s.ci95[0])}–${f(s.ci95[1])}]</small>` : ''
  return `${f(s.mean)}${std}${ci}`
}

function table(headers: string[], rows: string[][], caption: string): string {
  const head = headers.map((h) => `<th>${h}</th>`).join('')
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')
  return `<table><caption>${caption}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`
}

const epsText = (e: string | number) => `${+(Number(e) * 100).toFixed(2)}`

/** Table 6.2 of one plan. */
export function planTableHtml(r: PlanResult): string {
  const first = r.rows.find((row) => Object.keys(row.fooling).length > 0)
  const cols = first
    ? Object.entries(first.fooling).flatMap(([a, byEps]) =>
        Object.keys(byEps).map((e) => [a, e] as const)
      )
    : []
  const rows = r.rows.map((row) => [
    escapeXml(row.arch),
    escapeXml(row.lambda),
    `${row.models.length}${row.collapsed.length ? ` (+${row.collapsed.length} collapsed)` : ''}${row.pending ? ` (${row.pending} not trained)` : ''}`,
    planStatHtml(row.delta, false),
    row.delta ? row.delta.withinStd.toFixed(3) : '—',
    planStatHtml(row.accuracy, true),
    row.trainSeconds
      ? `${row.trainSeconds.mean.toFixed(0)}${row.trainSeconds.std !== null ? ` ± ${row.trainSeconds.std.toFixed(0)}` : ''}`
      : '—',
    ...cols.map(([a, e]) => planStatHtml(row.fooling[a]?.[e], true))
  ])
  const ref = r.reference
  const refLine = ref
    ? `<p>Reference: ${escapeXml(named(ref.name, ref.arch))}, validation accuracy ${ref.valAccuracy !== null ? pct(ref.valAccuracy) : '—'} %${ref.accuracyCi95 ? ` [${pct(ref.accuracyCi95[0])}–${pct(ref.accuracyCi95[1])}]` : ''} of ${ref.accuracyImages ?? '?'} images.</p>`
    : ''
  const caption = `Plan “${escapeXml(r.name)}” (run ${r.runId}, ${escapeXml(r.status)}): ${r.progress.trained} of ${r.progress.total} models${r.seconds !== null ? `, ${r.seconds.toFixed(0)} s` : ''}. Mean ± std over seeds [95 % interval]; δ is each model's mean cosine to the reference, “within” the spread over images inside a model.`
  const main = table(
    [
      'architecture',
      'λ',
      'seeds',
      'similarity δ to reference',
      'within-model ± (images)',
      'validation accuracy (%)',
      'training time (s)',
      ...cols.map(([a, e]) => `${escapeXml(attackLabel(a))} ε = ${epsText(e)} %: fooling (%)`)
    ],
    rows,
    caption
  )
  const wb = r.rows.find((row) => Object.keys(row.whiteBox).length > 0)
  let extra = ''
  if (wb) {
    const wbCols = Object.entries(wb.whiteBox).flatMap(([a, byEps]) =>
      Object.keys(byEps).map((e) => [a, e] as const)
    )
    const worst = Object.keys(wb.worstCase)
    extra = table(
      [
        'architecture',
        'λ',
        ...wbCols.map(([a, e]) => `${escapeXml(attackLabel(a))} white-box ε = ${epsText(e)} %`),
        ...worst.map((e) => `worst case ε = ${epsText(e)} %`)
      ],
      r.rows.map((row) => [
        escapeXml(row.arch),
        escapeXml(row.lambda),
        ...wbCols.map(([a, e]) => planStatHtml(row.whiteBox[a]?.[e], true)),
        ...worst.map((e) => planStatHtml(row.worstCase[e], true))
      ]),
      'White-box (each model attacked on itself) and worst case per image (fooled by any attack run on it), fooling ratio (%)'
    )
  }
  return refLine + main + extra + `<p><small>${escapeXml(r.intervals)}</small></p>`
}

/** Source red, orthogonal green, ordinary black, the reference as a target grey (Figure 6.5's). */
function colourOf(role: PlanCurve['role']): string {
  return role === 'source'
    ? '#d62728'
    : role === 'orthogonal'
      ? '#2ca02c'
      : role === 'reference'
        ? '#7f7f7f'
        : '#111111'
}

/** One attack's curves under one source, with error bars (95 % intervals). */
export function planFigureSvg(title: string, curves: PlanCurve[]): string {
  return foolingChartSvg({
    title,
    description: `${title}: fooling ratio against ε with 95 % intervals`,
    width: 460,
    height: 300,
    curves: curves.map((c) => ({
      label: c.label,
      colour: colourOf(c.role),
      points: c.points
        .filter((p) => Number.isFinite(p.stat.mean))
        .map((p) => ({
          epsilon: p.epsilon,
          ratio: p.stat.mean,
          ...(p.stat.ci95 ? { low: p.stat.ci95[0], high: p.stat.ci95[1] } : {})
        }))
    }))
  })
}

/** Figures 6.6 (the reference as source) and 6.7 (sources of other architectures) of a plan. */
export function planFiguresHtml(r: PlanResult): string {
  return r.figures
    .map((f) => {
      const fig = f.kind === 'reference' ? 'Figure 6.6' : 'Figure 6.7'
      const attacks = [...new Set(f.curves.map((c) => c.attack))]
      const svgs = attacks
        .map((a) =>
          planFigureSvg(
            `${attackLabel(a)} from ${f.sourceName}`,
            f.curves.filter((c) => c.attack === a)
          )
        )
        .join('\n')
      return `<h3>${fig} — plan “${escapeXml(r.name)}”: crafted on ${escapeXml(named(f.sourceName, f.sourceArch))}, ${f.sampleCount} images correct on every model</h3><div class="figs">${svgs}</div>`
    })
    .join('\n')
}
