/**
 * An explanation run as one labelled PNG a reader understands on its own: a title saying what
 * the maps show, a colour scale (blue = least, red = most of what the prediction rests on),
 * column headings (each model and method), and under every picture the image number, its true
 * class and what each model predicts. An adversarial run shows its original and adversarial
 * rows as two labelled sections. Drawn with engine/render (canvas, bitmap font).
 */
import type { SaliencyMethodName } from '../../../contract/names'
import { attackLabel, epsilonPercent, TERM_HELP } from '../../../contract/words'
import {
  BAND,
  INK,
  MUTED,
  RULE,
  RgbaCanvas,
  textPlacer,
  type PlacedText,
  type Rgb
} from '../../engine/render/canvas'
import { toRgba } from '../../engine/render/grid'
import { toBytes } from '../../engine/render/png'
import { fitText, lineHeight, textWidth, wrapText, type FontFace } from '../../engine/render/text'
import { jetColor, renderHeatmap, type ArrayData } from '../../engine/saliency'
import { METHOD_LABEL, slice } from './common'
import {
  decodeExplanation,
  type Explanation,
  type StoredAdversarialExplanation,
  type StoredExplanation
} from './stored'

/** One block of rows: a heading ("Original", "Adversarial …") and its explanation. */
export interface ExplainSection {
  heading?: string
  explanation: Explanation
}

export type LabelledText = PlacedText

export interface LabelledPng {
  png: Buffer
  width: number
  height: number
  texts: LabelledText[]
  /** Where the colour scale was drawn (its left end is the lowest value). */
  scale: { x: number; y: number; width: number; height: number }
}

/** Enlargement that makes an image cell at least 96 px at 1× (28 px images: 4×). */
const cellScale = (h: number): number => Math.max(1, Math.ceil(96 / h))

/**
 * The labelled PNG of `sections` (all with the same models and methods). `title` and
 * `subtitle` say which run and study it is; `scale` 2 doubles every pixel, for print.
 */
export function labelledExplanationPng(
  sections: ExplainSection[],
  options: { title: string; subtitle?: string; scale?: number }
): LabelledPng {
  const s = Math.max(1, Math.round(options.scale ?? 1))
  const first = sections[0]!.explanation
  const [, h, w, c] = first.images.shape as [number, number, number, number]
  const k = cellScale(h) * s
  const lh = lineHeight(s)
  const ch = textWidth('x', s)
  const margin = 12 * s
  const gap = 8 * s
  const cellW = Math.max(w * k, 16 * ch)
  const methods: SaliencyMethodName[] = first.methods
  const models = first.models
  const columns = models.flatMap((m) => methods.map((method) => ({ model: m, method })))
  const colX = (i: number): number => margin + (i + 1) * (cellW + gap)
  const width = colX(columns.length) + margin - gap
  const texts: LabelledText[] = []

  const notes = [
    ...new Set(
      models
        .filter((m) => m.camerasVariant === 'adaptive-pool' && methods.includes('cameras'))
        .map((m) => m.modelName)
    )
  ]
  const textBlock = (text: string): string[] => wrapText(text, width - 2 * margin, s)
  const head: { text: string; face: FontFace; colour: Rgb }[] = [
    ...textBlock(options.title).map((t) => ({ text: t, face: 'bold' as const, colour: INK })),
    ...(options.subtitle ? textBlock(options.subtitle) : []).map((t) => ({
      text: t,
      face: 'regular' as const,
      colour: INK
    })),
    ...textBlock(
      'Heat map over each image: the pixels each model’s prediction rests on most, normalised per map (see the scale).'
    ).map((t) => ({ text: t, face: 'regular' as const, colour: MUTED }))
  ]
  const scaleTop = margin + head.length * lh + 6 * s
  const bar = {
    x: margin,
    y: scaleTop + lh,
    width: Math.min(240 * s, width - 2 * margin),
    height: 12 * s
  }
  const gridTop = bar.y + bar.height + lh + 10 * s
  const bandH = 2 * lh + 6 * s
  const rowH = h * k + 2 * lh + 2 * gap
  const sectionH = sections.map(
    (sec) => (sec.heading ? lh + gap : 0) + sec.explanation.sampleIndices.length * rowH
  )
  const noteLines = notes.length
    ? textBlock(
        `CAMERAS on ${notes.join(', ')}: ${TERM_HELP.adaptivePool.label.toLowerCase()}. ${TERM_HELP.adaptivePool.help}`
      )
    : []
  const height =
    gridTop +
    bandH +
    sectionH.reduce((a, b) => a + b, 0) +
    (noteLines.length ? gap + noteLines.length * lh : 0) +
    margin

  const canvas = new RgbaCanvas(width, height)
  const put = textPlacer(canvas, s, texts)
  head.forEach((l, i) => put(l.text, margin, margin + i * lh, l))

  // The colour scale: the same colour map the heat maps are drawn with (engine/saliency jetColor).
  put('Colour scale:', bar.x, scaleTop, { face: 'bold' })
  for (let x = 0; x < bar.width; x++) {
    const [r, g, b] = jetColor(x / Math.max(1, bar.width - 1))
    canvas.fillRect(bar.x + x, bar.y, 1, bar.height, [r, g, b])
  }
  canvas.strokeRect(bar.x - 1, bar.y - 1, bar.width + 2, bar.height + 2, RULE)
  const below = bar.y + bar.height + 2 * s
  put('least', bar.x, below, { colour: MUTED })
  put('most', bar.x + bar.width - textWidth('most', s), below, { colour: MUTED })
  put('the prediction rests on', bar.x + bar.width + gap, bar.y, { colour: MUTED })

  // Column headings: the image, then each model's name over its methods.
  canvas.fillRect(0, gridTop, width, bandH, BAND)
  const bandY = gridTop + 3 * s
  put('Image', margin, bandY, { face: 'bold' })
  models.forEach((m, i) => {
    const x = colX(i * methods.length)
    const span = methods.length * (cellW + gap) - gap
    put(fitText(m.modelName, span, s), x, bandY, { face: 'bold' })
  })
  columns.forEach((col, i) => put(METHOD_LABEL[col.method], colX(i), bandY + lh, { colour: MUTED }))

  const grey = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : 200))
  let y = gridTop + bandH
  sections.forEach((sec) => {
    const e = sec.explanation
    const name = (ci: number | undefined): string =>
      ci === undefined ? '—' : (e.classNames[ci] ?? String(ci))
    if (sec.heading) {
      y += gap
      put(sec.heading, margin, y, { face: 'bold' })
      y += lh
    }
    e.sampleIndices.forEach((sampleIndex, row) => {
      const top = y + gap
      const image: ArrayData = { data: slice(e.images, row), shape: [h, w, c] }
      canvas.drawImage(toRgba(toBytes(image.data), h, w, c), w, h, margin, top, k)
      put(fitText(`#${sampleIndex}`, cellW, s), margin, top + h * k + 2 * s, { face: 'bold' })
      put(fitText(`true: ${name(e.labels[row])}`, cellW, s), margin, top + h * k + 2 * s + lh, {
        colour: MUTED
      })
      columns.forEach((col, i) => {
        const m = e.models.find((x) => x.modelId === col.model.modelId) ?? col.model
        const map = m.maps[col.method]
        const x = colX(i)
        if (map && !('error' in map))
          canvas.drawImage(renderHeatmap(image, slice(map, row), 0.5), w, h, x, top, k)
        else {
          canvas.drawImage(grey, w, h, x, top, k)
          put(fitText('not available', w * k, s), x + 2 * s, top + (h * k) / 2 - lh / 2, {
            colour: MUTED
          })
        }
        put(fitText(`predicts ${name(m.predicted[row])}`, cellW, s), x, top + h * k + 2 * s)
        if (m.classIndex[row] !== m.predicted[row])
          put(
            fitText(`explains ${name(m.classIndex[row])}`, cellW, s),
            x,
            top + h * k + 2 * s + lh,
            { colour: MUTED }
          )
      })
      y += rowH
      canvas.fillRect(margin, y - 1, width - 2 * margin, Math.max(1, s), RULE)
    })
  })
  if (noteLines.length) {
    y += gap
    noteLines.forEach((t, i) => put(t, margin, y + i * lh, { colour: MUTED }))
  }
  return { png: canvas.toPng(), width, height, texts, scale: bar }
}

/** What a stored explanation run needs to be drawn (a RunRecord has all of it). */
export interface ExplanationRun {
  id: number
  kind: string
  config: unknown
  results: unknown
}

/**
 * The labelled PNG of an 'explain' or 'explain-adversarial' run; `datasetName` names where the
 * images come from. The adversarial run's attack, ε and steps are what it resolved to.
 */
export function explanationRunPng(
  run: ExplanationRun,
  options: { datasetName?: string | null; scale?: number } = {}
): LabelledPng {
  const from = options.datasetName ? ` of “${options.datasetName}”` : ''
  if (run.kind === 'explain') {
    const stored = run.results as StoredExplanation
    const request =
      (run.config as { request?: { stage?: string; classIndex?: number } }).request ?? {}
    return labelledExplanationPng([{ explanation: decodeExplanation(stored) }], {
      title: `Ortholens · where each model looks (explanation run #${run.id})`,
      subtitle: `Validation images${from}; maps of ${request.stage ? `layer “${request.stage}”` : 'each model’s last spatial layer'}; ${request.classIndex !== undefined ? `every map explains class “${stored.classNames[request.classIndex] ?? request.classIndex}”` : 'each map explains the model’s own prediction'}.`,
      scale: options.scale
    })
  }
  if (run.kind !== 'explain-adversarial')
    throw new RangeError(`Run ${run.id} is a ${run.kind} run: only explanation maps export as PNG`)
  const stored = run.results as StoredAdversarialExplanation
  const config = run.config as { resolved?: { attack?: string; epsilon?: number; steps?: number } }
  const r = config.resolved ?? {}
  const attack = attackLabel(r.attack ?? 'pgd')
  const eps = r.epsilon !== undefined ? `, ε = ${epsilonPercent(r.epsilon)} of the pixel range` : ''
  return labelledExplanationPng(
    [
      { heading: 'Original image', explanation: decodeExplanation(stored.original) },
      {
        heading: `Adversarial image (${attack}${eps})`,
        explanation: decodeExplanation(stored.adversarial)
      }
    ],
    {
      title: `Ortholens · an adversarial image next to its original (run #${run.id})`,
      subtitle: `${attack}${eps}${r.steps ? `, ${r.steps} steps` : ''}; image${from}. Both maps explain the true class: where did the evidence go after the attack?`,
      scale: options.scale
    }
  )
}
