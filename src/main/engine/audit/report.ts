/**
 * The self-contained HTML audit report (SPEC §2.8): data in, one HTML string out — no store,
 * no network. Images are PNG data URIs, curves inline SVG, styles inline; no script and no
 * external URL, so the file opens offline and passes a strict CSP.
 *
 * The report is a list of sections, so other parts (e.g. the saliency "Explanations") can add
 * theirs: build `ReportSection`s and pass them to `renderReport` via `extraSections`.
 */
import { attackLabel, epsilonPercent } from '../../../contract/words'
import { escapeXml } from '../render/lineChart'
import { foolingChartSvg } from './foolingChart'
import { ratioCi } from './reportCsv'
import type { ReportCurve, ReportData, ReportPrediction, ReportSection } from './reportTypes'

export * from './reportCsv'
export type * from './reportTypes'

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = escapeXml

/** A ratio in [0, 1] as the thesis prints it: percent with one decimal. */
export function percent(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : (100 * v).toFixed(digits)
}

/** "12.0 [8.1–17.3]": a ratio in percent with its 95 % interval over `n` images. */
export function percentCi(v: number | null | undefined, n: number | null | undefined): string {
  const ci = ratioCi(v, n)
  return ci ? `${percent(v)} <small>[${percent(ci[0])}–${percent(ci[1])}]</small>` : percent(v)
}

function fixed(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
}

function htmlTable(headers: string[], rows: string[][], caption?: string): string {
  const head = headers.map((h) => `<th>${h}</th>`).join('')
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')
  return `<table>${caption ? `<caption>${caption}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`
}

// ---- SVG curves -----------------------------------------------------------------------------

/** Figure 6.5's colours: source red, ordinary black, orthogonal green. */
export function curveColour(role: string): string {
  if (role === 'source' || role === 'reference') return '#d62728'
  if (role === 'orthogonal') return '#2ca02c'
  return '#111111'
}

/** Fooling ratio (%) vs ε (%) for one attack, one polyline per model, as inline SVG. */
export function curvesSvg(
  title: string,
  curves: ReportCurve[],
  width = 420,
  height = 280,
  images?: number
): string {
  return foolingChartSvg({
    title,
    description: title,
    width,
    height,
    curves: curves.map((c) => ({
      label: `${c.modelName} (${c.role})`,
      colour: curveColour(c.role),
      points: c.points.map((p) => {
        const ci = ratioCi(p.foolingRatio, images)
        return {
          epsilon: p.epsilon,
          ratio: p.foolingRatio,
          ...(ci ? { low: ci[0], high: ci[1] } : {})
        }
      })
    }))
  })
}

// ---- Sections -------------------------------------------------------------------------------

function modelsSection(data: ReportData): ReportSection {
  const rows = data.models.map((m) => [
    escapeHtml(m.id),
    escapeHtml(m.name),
    escapeHtml(m.architecture),
    escapeHtml(m.kind),
    m.lambda === null ? '—' : escapeHtml(m.lambda),
    m.referenceId === null ? '—' : escapeHtml(m.referenceId),
    escapeHtml(m.status),
    percentCi(m.accuracy, m.accuracyImages),
    m.accuracyImages ? escapeHtml(m.accuracyImages) : '—',
    fixed(m.delta),
    flagList(m.flags)
  ])
  return {
    id: 'models',
    title: 'Models',
    html: htmlTable(
      [
        'id',
        'name',
        'architecture',
        'kind',
        'λ',
        'reference',
        'status',
        'validation accuracy (%) [95 % CI]',
        'images',
        'δ to reference',
        'flags'
      ],
      rows
    )
  }
}

/** Flags as a warning list ('—' when none). */
function flagList(flags: string[] | undefined): string {
  return flags?.length
    ? flags.map((f) => `<span class="flag">⚠ ${escapeHtml(f)}</span>`).join('<br>')
    : '—'
}

/** "⚠" after a model's name wherever a table shows it, when it carries a flag. */
function flagMark(data: ReportData, modelId: number): string {
  const flags = data.models.find((m) => m.id === modelId)?.flags ?? []
  return flags.length ? ` <span class="flag" title="${escapeHtml(flags.join(' '))}">⚠</span>` : ''
}

function similaritySection(data: ReportData): ReportSection {
  const rows = data.similarity.map((s) => [
    escapeHtml(s.modelA),
    escapeHtml(s.modelB),
    `${fixed(s.mean)} ± ${fixed(s.std)}`,
    escapeHtml(s.count),
    percentCi(s.accuracyA, s.count),
    percentCi(s.accuracyB, s.count)
  ])
  return {
    id: 'similarity',
    title: 'Similarity of input gradients (Table 6.1)',
    html:
      '<p>δ: mean cosine similarity of the input gradients of the two models (thesis Eq. 6.3); near 0 means orthogonal.</p>' +
      htmlTable(
        [
          'Model-1',
          'Model-2',
          'Similarity δ (mean ± std)',
          'images',
          'accuracy 1 (%) [95 % CI]',
          'accuracy 2 (%) [95 % CI]'
        ],
        rows
      )
  }
}

function sweepSection(data: ReportData): ReportSection {
  const html = data.sweeps
    .map((sw) => {
      const figures = sw.attacks
        .map((a) =>
          curvesSvg(
            `${attackLabel(a)} (run ${sw.runId})`,
            sw.curves.filter((c) => c.attack === a),
            420,
            280,
            sw.sampleCount
          )
        )
        .join('\n')
      const tables = sw.attacks
        .map((a) => {
          const curves = sw.curves.filter((c) => c.attack === a)
          const rows = sw.epsilons.map((e) => [
            `${+(e * 100).toFixed(2)}`,
            ...curves.map((c) =>
              percentCi(c.points.find((p) => p.epsilon === e)?.foolingRatio, sw.sampleCount)
            )
          ])
          return htmlTable(
            [
              'ε (%)',
              ...curves.map(
                (c) =>
                  `${escapeHtml(c.modelName)} (${escapeHtml(c.role)})${flagMark(data, c.modelId)}`
              )
            ],
            rows,
            `${escapeHtml(attackLabel(a))}: fooling ratio (%) [95 % interval over the ${sw.sampleCount} images, Wilson]`
          )
        })
        .join('\n')
      return `<h3>Run ${escapeHtml(sw.runId)}: ${sw.sampleCount} samples correct on every model</h3><div class="figs">${figures}</div>${tables}`
    })
    .join('\n')
  return {
    id: 'transfer',
    title: 'Transfer attacks: fooling ratio vs ε (Figures 6.5–6.7)',
    html:
      '<p>Perturbations crafted on the source, evaluated on the source (red), ordinary targets (black) and orthogonal targets (green). Fooling ratio: share of samples whose prediction changes.</p>' +
      (html || '<p>No attack sweep in this audit.</p>')
  }
}

function defenseSection(data: ReportData): ReportSection {
  const html = data.defenseTables
    .map((t) => {
      const rows = t.rows.map((r) => [
        escapeHtml(r.label) +
          (t.rowFlags?.[r.key]?.length
            ? ` <span class="flag" title="${escapeHtml(t.rowFlags[r.key]!.join(' '))}">⚠</span>`
            : ''),
        ...t.columns.map((c) => {
          const v = percentCi(r.values[c.key], t.sampleCount)
          return r.best?.[c.key] ? `<b>${v} ★</b>` : v
        })
      ])
      const flagged = Object.values(t.rowFlags ?? {}).flat()
      const notes = [...(t.note ?? []), ...[...new Set(flagged)].map((f) => `⚠ ${f}`)]
      // What the table measures comes first: read after a column of bold figures, it came too late.
      return (
        notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('') +
        htmlTable(
          ['Defense', ...t.columns.map((c) => escapeHtml(c.label))],
          rows,
          `Run ${escapeHtml(t.runId)}: fooling ratio (%) over ${t.sampleCount} images [95 % Wilson interval]. ★ (bold) marks a column's lowest only where it is clearly lower than every other row given ${t.sampleCount} images (95 % intervals do not overlap)`
        )
      )
    })
    .join('\n')
  return {
    id: 'defenses',
    title: 'Defenses compared (Table 6.3)',
    html: html || '<p>No defense table in this audit.</p>'
  }
}

function predictionList(preds: ReportPrediction[]): string {
  return preds
    .map((p) => {
      const flags =
        p.fooled === undefined
          ? ''
          : p.fooled
            ? p.fooledRounded === false
              ? ' — fooled (not after 8-bit rounding)'
              : ' — fooled'
            : ''
      return `${escapeHtml(p.modelName)}: ${escapeHtml(p.className)} ${percent(p.confidence)} %${flags}`
    })
    .join('<br>')
}

function gallerySection(data: ReportData): ReportSection {
  const rows = data.gallery.map((g) => [
    `${escapeHtml(attackLabel(g.attack))}<br>ε = ${epsilonPercent(g.epsilon)}<br>true: ${escapeHtml(g.trueClassName)}`,
    `<img src="${g.original}" alt="original"><br>${predictionList(g.clean)}`,
    `<img src="${g.adversarial}" alt="adversarial"><br>${predictionList(g.adversarialPredictions)}`,
    `<img src="${g.perturbation}" alt="amplified perturbation">`
  ])
  return {
    id: 'gallery',
    title: 'Gallery',
    html: rows.length
      ? `<div class="gallery">${htmlTable(['sample', 'original', 'adversarial', 'amplified perturbation'], rows)}</div>`
      : '<p>No gallery items.</p>'
  }
}

function settingsSection(data: ReportData): ReportSection {
  const html = data.runs
    .map(
      (r) =>
        `<h3>Run ${escapeHtml(r.runId)} — ${escapeHtml(r.kind)} (${escapeHtml(r.status)})</h3>` +
        `<p>backend ${escapeHtml(r.backend)}, seed ${escapeHtml(r.seed ?? '—')}, started ${escapeHtml(r.startedAt)}, ` +
        `duration ${r.durationMs === null ? '—' : (r.durationMs / 1000).toFixed(1) + ' s'}</p>` +
        `<pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre>`
    )
    .join('\n')
  return {
    id: 'settings',
    title: 'Settings, seeds, backend and durations',
    html: html || '<p>No runs.</p>'
  }
}

/** The standard sections, in report order (Explanations etc. go before the settings). */
export function standardSections(data: ReportData): {
  body: ReportSection[]
  settings: ReportSection
} {
  return {
    body: [
      modelsSection(data),
      similaritySection(data),
      sweepSection(data),
      defenseSection(data),
      gallerySection(data)
    ],
    settings: settingsSection(data)
  }
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#111}
table{border-collapse:collapse;margin:0.8em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f0f0f0}caption{text-align:left;font-style:italic;padding:4px 0}
td:first-child,th:first-child{text-align:left}img{width:112px;image-rendering:pixelated}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}.figs svg{margin:4px}nav a{margin-right:1em}
.gallery td{text-align:center}.gallery td:first-child{text-align:left}
.flag{color:#92400e;font-weight:600}.note{max-width:900px}
.verdict{border:2px solid #6b7280;border-radius:6px;padding:8px 14px;margin:10px 0}
.verdict.flagged{border-color:#92400e;background:#fffbeb}.verdict h3{margin:4px 0}.verdict ul{margin:4px 0;padding-left:1.2em}`

/**
 * The whole report as one HTML document; `extraSections` are inserted before the settings,
 * `leadSections` (e.g. the robustness verdict) right after the models.
 */
export function renderReport(
  data: ReportData,
  extraSections: ReportSection[] = [],
  leadSections: ReportSection[] = []
): string {
  const { body, settings } = standardSections(data)
  const sections = [body[0]!, ...leadSections, ...body.slice(1), ...extraSections, settings]
  const ids = new Set<string>()
  for (const s of sections) {
    if (ids.has(s.id)) throw new Error(`Report: two sections have the id "${s.id}"`)
    ids.add(s.id)
  }
  const nav = sections
    .map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`)
    .join('')
  const content = sections
    .map(
      (s) =>
        `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`
    )
    .join('\n')
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(data.title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(data.title)}</h1>
<p>Project “${escapeHtml(data.projectName)}”, report generated ${escapeHtml(data.generatedAt)}${data.appVersion ? ` by Ortholens ${escapeHtml(data.appVersion)}` : ''}.</p>
<nav>${nav}</nav>
${content}
</body></html>
`
}
