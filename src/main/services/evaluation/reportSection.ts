/**
 * The report's "Robustness verdict" section (issue 14), placed right after the models: per
 * evaluated model a verdict card (its plain-words verdict and its flags), then its table of
 * robust accuracy per threat model and ε, each figure with its count and 95 % interval and the
 * cascade figures labelled as such. Everything comes from the stored evaluation's numbers.
 */
import type { EvaluationModelView, EvaluationView, RatioView } from '../../../contract/evaluation'
import { escapeHtml, type ReportSection } from '../../engine/audit/report'
import { CASCADE_NOTE } from './words'

const pct1 = (v: number) => (100 * v).toFixed(1)
const epsText = (e: number) => `${+(e * 100).toFixed(2)} %`

function cell(r: RatioView): string {
  return `${pct1(r.value)} <small>(${pct1(r.ci95[0])}–${pct1(r.ci95[1])}; ${r.count}/${r.total})</small>`
}

function modelCard(view: EvaluationView, m: EvaluationModelView): string {
  const threats = m.byEpsilon[0]?.threats ?? []
  const kind = m.kind === 'orthogonal' ? `orthogonal, λ = ${m.lambda}` : m.kind
  const rows = threats.map(
    (t, i) =>
      `<tr><td>${escapeHtml(t.label)}${t.basis === 'cascade' ? ' *' : ''}</td>${m.byEpsilon
        .map((e) => `<td>${cell(e.threats[i]!.robust)}</td>`)
        .join('')}</tr>`
  )
  rows.push(
    `<tr><td><b>Worst case per image</b> (every attack above)</td>${m.byEpsilon
      .map((e) => `<td><b>${cell(e.worst)}</b></td>`)
      .join('')}</tr>`
  )
  const flags = m.flags.length
    ? `<ul>${m.flags.map((f) => `<li class="flag">⚠ ${escapeHtml(f.message)}</li>`).join('')}</ul>`
    : '<p>No sanity flag raised.</p>'
  const cascade = threats.some((t) => t.basis === 'cascade')
    ? `<p class="note">* Cascade: ran only on the images every attack above it left unfooled, so its figure is ${CASCADE_NOTE}.</p>`
    : ''
  return (
    // No colour for "no flag": a model without flags may still be fooled on every image.
    `<div class="verdict${m.flags.length ? ' flagged' : ''}" data-model="${m.modelId}">` +
    `<h3>${escapeHtml(m.name)} <small>(${escapeHtml(kind)})</small></h3>` +
    m.verdict.map((line) => `<p>${escapeHtml(line)}</p>`).join('') +
    flags +
    '</div>' +
    `<table><caption>Robust accuracy (%) of “${escapeHtml(m.name)}” over all ${view.samples} drawn images: (95 % Wilson interval; robust/images)</caption>` +
    `<thead><tr><th>Threat model</th>${m.byEpsilon.map((e) => `<th>ε = ${epsText(e.epsilon)}</th>`).join('')}</tr></thead>` +
    `<tbody><tr><td>Clean accuracy</td>${m.byEpsilon.map(() => `<td>${cell(m.clean)}</td>`).join('')}</tr>${rows.join('')}</tbody></table>` +
    cascade
  )
}

/** The section for the given evaluations (newest first), or undefined when there are none. */
export function evaluationReportSection(views: EvaluationView[]): ReportSection | undefined {
  if (views.length === 0) return undefined
  const html = views
    .map(
      (v) =>
        `<h3>Run ${v.runId}: ${v.samples} validation images, ε = ${v.epsilons.map(epsText).join(', ')}</h3>` +
        `<p>Every accuracy is over all ${v.samples} images drawn (the same for every model), so robust ≤ clean. ` +
        'An image counts as robust in the worst case only if it survives every attack run on it (AutoAttack’s rule). ' +
        `Settings: ${v.settings.map(escapeHtml).join('; ')}.</p>` +
        v.models.map((m) => modelCard(v, m)).join('\n')
    )
    .join('\n')
  return { id: 'verdict', title: 'Robustness verdict (all threat models)', html }
}
