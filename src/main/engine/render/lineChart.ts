/**
 * The one SVG chart builder of the reports: lines over a framed plot with a grid, ticks, axis
 * titles and a legend inside the top-left corner. Self-contained inline SVG (no script, no
 * external URL, not even an SVG namespace: inline SVG in HTML needs none), so the HTML report
 * opens anywhere and passes the window's CSP.
 */

export interface ChartSeries {
  /** Legend text; also the line's tooltip. */
  label: string
  colour: string
  /** SVG stroke-dasharray, e.g. '6 3'; solid when absent. */
  dash?: string
  /** `low`/`high`: a 95 % interval, drawn as an error bar with caps. */
  points: { x: number; y: number; low?: number; high?: number }[]
  /** Dots at the data points (a sweep's ε values). */
  markers?: boolean
}

export interface ChartAxis {
  title: string
  min: number
  max: number
  ticks: { value: number; label: string }[]
  /** Horizontal grid lines at the ticks (y axis only). */
  grid?: boolean
}

export interface LineChart {
  title?: string
  /** Accessible name of the picture. */
  description: string
  width?: number
  height?: number
  x: ChartAxis
  y: ChartAxis
  series: ChartSeries[]
}

export function escapeXml(text: unknown): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const f1 = (v: number): string => v.toFixed(1)

/** The chart as one `<svg>` element. */
export function lineChartSvg(chart: LineChart): string {
  const width = chart.width ?? 420
  const height = chart.height ?? 280
  const m = { left: 48, right: 12, top: chart.title ? 26 : 12, bottom: 40 }
  const pw = width - m.left - m.right
  const ph = height - m.top - m.bottom
  const span = (a: ChartAxis) => Math.max(1e-12, a.max - a.min)
  const sx = (v: number) => m.left + ((v - chart.x.min) / span(chart.x)) * pw
  const sy = (v: number) => m.top + (1 - (v - chart.y.min) / span(chart.y)) * ph
  const parts: string[] = []
  if (chart.title) {
    parts.push(
      `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(chart.title)}</text>`
    )
  }
  for (const t of chart.y.ticks) {
    const y = f1(sy(t.value))
    if (chart.y.grid)
      parts.push(`<line x1="${m.left}" y1="${y}" x2="${width - m.right}" y2="${y}" stroke="#ddd"/>`)
    parts.push(
      `<text x="${m.left - 6}" y="${f1(sy(t.value) + 4)}" text-anchor="end" font-size="10">${escapeXml(t.label)}</text>`
    )
  }
  for (const t of chart.x.ticks) {
    const x = f1(sx(t.value))
    parts.push(
      `<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 4}" stroke="#333"/>`
    )
    parts.push(
      `<text x="${x}" y="${m.top + ph + 15}" text-anchor="middle" font-size="10">${escapeXml(t.label)}</text>`
    )
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`
  )
  parts.push(
    `<text x="${m.left + pw / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${escapeXml(chart.x.title)}</text>`
  )
  parts.push(
    `<text x="12" y="${m.top + ph / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${m.top + ph / 2})">${escapeXml(chart.y.title)}</text>`
  )
  chart.series.forEach((s, i) => {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : ''
    const pts = [...s.points].sort((a, b) => a.x - b.x)
    if (pts.length > 0) {
      const d = pts.map((p) => `${f1(sx(p.x))},${f1(sy(p.y))}`).join(' ')
      parts.push(
        `<polyline points="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${dash}><title>${escapeXml(s.label)}</title></polyline>`
      )
      for (const p of pts) {
        if (p.low === undefined || p.high === undefined) continue
        const x = sx(p.x)
        const [y0, y1] = [f1(sy(p.low)), f1(sy(p.high))]
        parts.push(
          `<path d="M${f1(x)} ${y0}V${y1}M${f1(x - 3)} ${y0}H${f1(x + 3)}M${f1(x - 3)} ${y1}H${f1(x + 3)}" stroke="${s.colour}" stroke-width="1" fill="none"/>`
        )
      }
      if (s.markers)
        for (const p of pts)
          parts.push(`<circle cx="${f1(sx(p.x))}" cy="${f1(sy(p.y))}" r="2.5" fill="${s.colour}"/>`)
    }
    const ly = m.top + 12 + i * 14
    parts.push(
      `<line x1="${m.left + 8}" y1="${ly - 4}" x2="${m.left + 28}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${dash}/>`
    )
    parts.push(`<text x="${m.left + 32}" y="${ly}" font-size="10">${escapeXml(s.label)}</text>`)
  })
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.description)}">${parts.join('')}</svg>`
}
