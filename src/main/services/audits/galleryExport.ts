/**
 * A sweep's gallery out of the project, as evidence a reviewer reads without the app:
 *
 * - a labelled sheet (one PNG): which attack, at which ε, crafted on which model; per image the
 *   original, the adversarial image and the amplified perturbation; per model its prediction
 *   and confidence on both, whether it was fooled, and whether the attack survives 8-bit
 *   rounding (what saving the image as a PNG does to it);
 * - a folder of the individual images at 8 bits (as they are when saved, so the manifest's
 *   "fooled after 8-bit rounding" describes these very files) with a CSV manifest, and the sheet.
 *
 * The gallery is read through gallery.ts (galleryOf), the pictures drawn with engine/render.
 */
import type { Prediction } from '../../../contract/entities'
import type { AttackSweepRequest } from '../../../contract/requests'
import {
  attackLabel,
  epsilonPctValue,
  epsilonPercent,
  ratioPctValue,
  ratioPercent
} from '../../../contract/words'
import {
  BAND,
  GREEN,
  INK,
  MUTED,
  RED,
  RULE,
  RgbaCanvas,
  textPlacer,
  type PlacedText,
  type Rgb
} from '../../engine/render/canvas'
import { toCsv } from '../../engine/audit/report'
import { toRgba } from '../../engine/render/grid'
import { amplifiedPerturbation } from '../../engine/render/perturbation'
import { encodePng, toBytes, type PngChannels } from '../../engine/render/png'
import { fitText, lineHeight, textWidth, wrapText, type FontFace } from '../../engine/render/text'
import {
  getDatasetSummary,
  getRun,
  listModels,
  RecordNotFoundError,
  type ProjectDb
} from '../../store'
import { storedRequest } from '../runs'
import { galleryOf, type GalleryEntry } from './gallery'

/** Rows a sheet holds at most; a larger gallery is cut and the sheet says so. */
export const SHEET_MAX_ROWS = 64

/** Which items of a sweep's gallery to export (the window's attack and ε choice). */
export interface GalleryFilter {
  attack?: string
  epsilon?: number
}

/** What the sheet says about the sweep besides its items. */
export interface SheetContext {
  runId: number
  sourceName: string | null
  datasetName: string | null
  /** Images of the sweep (all classified correctly by every model before the attack). */
  sampleCount: number | null
}

/** A piece of text on the sheet, where it was drawn (for tests that read the picture back). */
export type SheetText = PlacedText

export interface GallerySheet {
  png: Buffer
  width: number
  height: number
  rows: number
  texts: SheetText[]
}

/** The gallery items a filter keeps, in the window's order (attack, ε, then sample). */
export function filterGallery(items: GalleryEntry[], filter: GalleryFilter = {}): GalleryEntry[] {
  return items.filter(
    (i) =>
      (filter.attack === undefined || i.attack === filter.attack) &&
      (filter.epsilon === undefined || Math.abs(i.epsilon - filter.epsilon) < 1e-9)
  )
}

/** The sheet's context of a stored sweep: its source, dataset and image count. */
export function sheetContext(project: ProjectDb, runId: number): SheetContext {
  const run = getRun(project.db, runId)
  if (!run) throw new RecordNotFoundError('run', runId)
  const request = storedRequest(run) as Partial<AttackSweepRequest> | undefined
  const sourceId = Number(
    request?.sourceId ?? (run.config as { sourceModelId?: unknown }).sourceModelId
  )
  const source = listModels(project.db).find((m) => m.id === sourceId)
  const results = (run.results ?? {}) as { sampleCount?: number }
  return {
    runId,
    sourceName: source?.name ?? null,
    datasetName:
      run.datasetId !== null ? (getDatasetSummary(project.db, run.datasetId)?.name ?? null) : null,
    sampleCount: typeof results.sampleCount === 'number' ? results.sampleCount : null
  }
}

const list = (xs: string[]): string => [...new Set(xs)].join(', ')

/** "yes" / "no" / "—" for whether a model stays fooled after 8-bit rounding. */
function survives(p: Prediction | undefined): { text: string; colour: Rgb } {
  if (!p?.fooled) return { text: '—', colour: MUTED }
  if (p.fooledRounded === undefined) return { text: '?', colour: MUTED }
  return p.fooledRounded ? { text: 'yes', colour: RED } : { text: 'no', colour: GREEN }
}

/**
 * The labelled sheet of `items` (at most SHEET_MAX_ROWS). `scale` 1 draws 13-pixel text and
 * 28-pixel images 3× enlarged; 2 doubles everything, for print.
 */
export function gallerySheet(
  items: GalleryEntry[],
  ctx: SheetContext,
  options: { scale?: number } = {}
): GallerySheet {
  const s = Math.max(1, Math.round(options.scale ?? 1))
  const shown = items.slice(0, SHEET_MAX_ROWS)
  const lh = lineHeight(s)
  const ch = textWidth('x', s)
  const margin = 12 * s
  const gap = 10 * s
  const [h, w] = shown[0]?.shape ?? [28, 28, 1]
  const imgScale = Math.max(1, Math.round(84 / Math.max(h, w))) * s
  const imageW = Math.max(w * imgScale, 12 * ch)
  // The source's row says so: its fooling is white-box, the others' is transfer.
  const modelLabel = (name: string): string => (name === ctx.sourceName ? `${name} (source)` : name)
  const models = shown[0]?.predictions.clean.map((p) => modelLabel(p.modelName)) ?? []
  const nameChars = Math.min(24, Math.max(5, ...models.map((m) => [...m].length)))
  const classChars = Math.min(
    22,
    Math.max(
      11,
      ...shown.flatMap((i) =>
        [...i.predictions.clean, ...i.predictions.adversarial].map(
          (p) => [...p.className].length + 5
        )
      )
    )
  )
  // Columns: image label, three pictures, then the predictions table.
  const cols = {
    label: margin,
    images: [0, 1, 2].map((k) => margin + 17 * ch + gap + k * (imageW + gap)),
    model: margin + 17 * ch + gap + 3 * (imageW + gap),
    clean: 0,
    adv: 0,
    fooled: 0,
    survives: 0
  }
  // Each column as wide as its heading or its widest cell.
  cols.clean = cols.model + (nameChars + 2) * ch
  cols.adv = cols.clean + (Math.max(classChars, 'On the original'.length) + 2) * ch
  cols.fooled = cols.adv + (Math.max(classChars, 'On the adversarial'.length) + 2) * ch
  cols.survives = cols.fooled + 8 * ch
  const width = cols.survives + 14 * ch + margin

  const attacks = list(shown.map((i) => attackLabel(i.attack)))
  const epsilons = [...new Set(shown.map((i) => i.epsilon))].sort((a, b) => a - b)
  const single = epsilons.length === 1 ? epsilons[0]! : null
  const header: { text: string; face: FontFace; colour: Rgb }[] = [
    { text: `Ortholens · adversarial gallery of sweep #${ctx.runId}`, face: 'bold', colour: INK },
    {
      text:
        single !== null
          ? `${attacks} at ε = ${epsilonPercent(single)} of the pixel range (each pixel moved by at most ${+(single * 255).toFixed(1)} of 255 levels)`
          : `${attacks} at ε = ${epsilons.map(epsilonPercent).join(', ')} of the pixel range`,
      face: 'regular',
      colour: INK
    },
    {
      text: [
        ctx.sourceName
          ? `Crafted on “${ctx.sourceName}” (the source)`
          : 'Crafted on the source model',
        ctx.datasetName ? `dataset “${ctx.datasetName}”` : '',
        `${shown.length} image${shown.length === 1 ? '' : 's'} shown${items.length > shown.length ? ` (the first ${shown.length} of ${items.length})` : ''}${ctx.sampleCount ? `, drawn from the ${ctx.sampleCount} every model classified correctly` : ''}`
      ]
        .filter(Boolean)
        .join(' · '),
      face: 'regular',
      colour: INK
    },
    {
      text: 'Each model’s prediction and confidence on the original and on the adversarial image. Fooled: the prediction changed. Survives 8-bit: still fooled once the pixels are rounded to 8 bits, as in a saved PNG. Perturbation: the change, amplified; mid-grey is unchanged.',
      face: 'regular',
      colour: MUTED
    }
  ]
  const headerLines = header.flatMap((l) =>
    wrapText(l.text, width - 2 * margin, s).map((text) => ({ ...l, text }))
  )
  const bandTop = margin + headerLines.length * lh + 8 * s
  const bandH = 2 * lh + 6 * s
  const rowHeights = shown.map(
    (i) => Math.max(h * imgScale, 3 * lh, (1 + i.predictions.clean.length) * lh) + 2 * gap
  )
  const height = bandTop + bandH + rowHeights.reduce((a, b) => a + b, 0) + margin

  const canvas = new RgbaCanvas(width, Math.max(height, bandTop + bandH + margin))
  const texts: SheetText[] = []
  const put = textPlacer(canvas, s, texts)
  headerLines.forEach((l, i) => put(l.text, margin, margin + i * lh, l))

  canvas.fillRect(0, bandTop, width, bandH, BAND)
  const bandY = bandTop + 3 * s
  put('Image', cols.label, bandY, { face: 'bold' })
  ;['Original', 'Adversarial', 'Perturbation'].forEach((t, k) =>
    put(t, cols.images[k]!, bandY, { face: 'bold' })
  )
  put('(amplified)', cols.images[2]!, bandY + lh, { colour: MUTED })
  put('Model', cols.model, bandY, { face: 'bold' })
  put('On the original', cols.clean, bandY, { face: 'bold' })
  put('On the adversarial', cols.adv, bandY, { face: 'bold' })
  put('Fooled', cols.fooled, bandY, { face: 'bold' })
  put('Survives 8-bit', cols.survives, bandY, { face: 'bold' })

  let y = bandTop + bandH
  shown.forEach((item, r) => {
    const top = y + gap
    put(`#${item.sampleIndex}`, cols.label, top, { face: 'bold' })
    put(fitText(`true: ${item.className}`, 17 * ch, s), cols.label, top + lh)
    put(
      fitText(`${attackLabel(item.attack)}, ε = ${epsilonPercent(item.epsilon)}`, 17 * ch, s),
      cols.label,
      top + 2 * lh,
      { colour: MUTED }
    )
    const [ih, iw, ic] = item.shape
    const pictures = [
      item.original,
      item.adversarial,
      amplifiedPerturbation(item.original, item.adversarial)
    ]
    pictures.forEach((p, k) => {
      canvas.drawImage(toRgba(toBytes(p), ih, iw, ic), iw, ih, cols.images[k]!, top, imgScale)
      canvas.strokeRect(cols.images[k]! - 1, top - 1, iw * imgScale + 2, ih * imgScale + 2, RULE)
    })
    item.predictions.clean.forEach((clean, m) => {
      const adv = item.predictions.adversarial[m]
      const ly = top + m * lh
      put(fitText(modelLabel(clean.modelName), nameChars * ch, s), cols.model, ly)
      put(
        fitText(
          `${clean.className} ${ratioPercent(clean.confidence, 0)}`,
          (classChars + 1) * ch,
          s
        ),
        cols.clean,
        ly
      )
      if (adv) {
        put(
          fitText(`${adv.className} ${ratioPercent(adv.confidence, 0)}`, (classChars + 1) * ch, s),
          cols.adv,
          ly,
          { colour: adv.fooled ? RED : INK }
        )
        put(adv.fooled ? 'yes' : 'no', cols.fooled, ly, {
          colour: adv.fooled ? RED : GREEN,
          face: 'bold'
        })
        const sv = survives(adv)
        put(sv.text, cols.survives, ly, { colour: sv.colour })
      }
    })
    y += rowHeights[r]!
    if (r < shown.length - 1) canvas.fillRect(margin, y, width - 2 * margin, Math.max(1, s), RULE)
  })
  return {
    png: canvas.toPng(),
    width: canvas.width,
    height: canvas.height,
    rows: shown.length,
    texts
  }
}

/** File-name-safe ε: 0.03 → "3pct", 0.005 → "0_5pct". */
const epsName = (e: number): string => `${String(epsilonPctValue(e)).replace('.', '_')}pct`

/** Files of one item in the folder export, and the item's manifest rows. */
function itemFiles(
  item: GalleryEntry,
  position: number
): Record<'original' | 'adversarial' | 'perturbation', string> {
  const stem = `${String(position + 1).padStart(3, '0')}_image-${item.sampleIndex}_${item.attack}_eps-${epsName(item.epsilon)}`
  return {
    original: `${stem}_original.png`,
    adversarial: `${stem}_adversarial.png`,
    perturbation: `${stem}_perturbation.png`
  }
}

/** The manifest: one line per (item, model), the files of the item on each. */
export function galleryManifestCsv(items: GalleryEntry[]): string {
  const yesNo = (b: boolean | undefined): string => (b === undefined ? '' : b ? 'yes' : 'no')
  return toCsv(
    [
      'original_file',
      'adversarial_file',
      'perturbation_file',
      'image_index',
      'true_class',
      'attack',
      'epsilon_pct',
      'model',
      'prediction_original',
      'confidence_original_pct',
      'prediction_adversarial',
      'confidence_adversarial_pct',
      'fooled',
      'fooled_after_8bit_rounding'
    ],
    items.flatMap((item, i) => {
      const f = itemFiles(item, i)
      return item.predictions.clean.map((clean, m) => {
        const adv = item.predictions.adversarial[m]
        return [
          f.original,
          f.adversarial,
          f.perturbation,
          item.sampleIndex,
          item.className,
          attackLabel(item.attack),
          epsilonPctValue(item.epsilon),
          clean.modelName,
          clean.className,
          ratioPctValue(clean.confidence),
          adv?.className ?? '',
          ratioPctValue(adv?.confidence),
          yesNo(adv?.fooled),
          adv?.fooled === undefined ? '' : yesNo(adv.fooledRounded)
        ]
      })
    })
  )
}

/** One 8-bit PNG of a float image in [0, 1] at its own size (grey stays one channel). */
function png8(data: ArrayLike<number>, shape: readonly [number, number, number]): Buffer {
  const [h, w, c] = shape
  return encodePng(toBytes(data), h, w, c as PngChannels)
}

/**
 * Every file of the folder export, name → bytes: per item its original, adversarial and
 * amplified perturbation at 8 bits, `manifest.csv`, and `sheet.png`.
 */
export function galleryFolderFiles(
  items: GalleryEntry[],
  ctx: SheetContext
): Map<string, Buffer | string> {
  const files = new Map<string, Buffer | string>()
  items.forEach((item, i) => {
    const f = itemFiles(item, i)
    files.set(f.original, png8(item.original, item.shape))
    files.set(f.adversarial, png8(item.adversarial, item.shape))
    files.set(
      f.perturbation,
      png8(amplifiedPerturbation(item.original, item.adversarial), item.shape)
    )
  })
  files.set('manifest.csv', galleryManifestCsv(items))
  files.set('sheet.png', gallerySheet(items, ctx).png)
  return files
}

/** A stored sweep's gallery items under a filter, with the sheet's context. */
export function galleryForExport(
  project: ProjectDb,
  runId: number,
  filter: GalleryFilter = {}
): { items: GalleryEntry[]; ctx: SheetContext } {
  const items = filterGallery(galleryOf(project, runId), filter)
  if (items.length === 0) {
    throw new RangeError(
      filter.attack !== undefined || filter.epsilon !== undefined
        ? `Sweep ${runId} kept no gallery image for ${filter.attack !== undefined ? attackLabel(filter.attack) : 'that attack'}${filter.epsilon !== undefined ? ` at ε = ${epsilonPercent(filter.epsilon)}` : ''}`
        : `Sweep ${runId} kept no gallery images (it was run with no gallery samples)`
    )
  }
  return { items, ctx: sheetContext(project, runId) }
}
