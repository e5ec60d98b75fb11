/**
 * The gallery out of the project: the labelled sheet (read back glyph by glyph: title, attack,
 * ε in %, the source, every model's name, prediction and confidence, fooled and 8-bit survival
 * as the store has them) and the folder of 8-bit images with its CSV manifest.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { parseCsv } from '../../../src/main/engine/audit/report'
import { toBytes } from '../../../src/main/engine/render/png'
import { galleryOf } from '../../../src/main/services/audits/gallery'
import {
  galleryFolderFiles,
  galleryForExport,
  galleryManifestCsv,
  gallerySheet,
  SHEET_MAX_ROWS
} from '../../../src/main/services/audits/galleryExport'
import { runAttackSweep, type AttackSweepOutcome } from '../../../src/main/services/audits/sweep'
import { crispAt, decodePng, readText } from '../../helpers/readPngText'
import { tinyProject, type TinyProject } from './fixtures'

await initBackend('cpu')

let t: TinyProject
let sweep: AttackSweepOutcome

beforeAll(async () => {
  t = tinyProject()
  sweep = await runAttackSweep(t.project, {
    datasetId: t.datasetId,
    sourceId: t.sourceId,
    targetIds: [t.ordinaryId, t.orthogonalId],
    attacks: ['fgsm', 'pgd'],
    epsilons: [0.03, 0.2],
    sampleCount: 30,
    seed: 4,
    gallerySamples: 3,
    attackSettings: { pgd: { steps: 3 } }
  })
})
afterAll(() => t.cleanup())

/** Every text the sheet says it drew is there, glyph for glyph, at its place. */
function expectTextsDrawn(
  png: Buffer,
  texts: { text: string; x: number; y: number; scale: number; face: 'regular' | 'bold' }[]
): void {
  const pic = decodePng(png)
  for (const l of texts) {
    expect(
      readText(pic, l.x, l.y, [...l.text].length, l.scale, l.face),
      `"${l.text}" at ${l.x},${l.y}`
    ).toBe(l.text)
    expect(crispAt(pic, l.x, l.y, [...l.text].length, l.scale)).toBe(true)
  }
}

describe('the labelled gallery sheet', () => {
  it('says which attack, ε (in %), source and dataset, and per model its predictions, fooled and 8-bit survival', () => {
    const { items, ctx } = galleryForExport(t.project, sweep.runId, {
      attack: 'fgsm',
      epsilon: 0.2
    })
    expect(items).toHaveLength(3)
    const sheet = gallerySheet(items, ctx)
    const pic = decodePng(sheet.png)
    expect([pic.width, pic.height]).toEqual([sheet.width, sheet.height])
    const said = sheet.texts.map((x) => x.text)
    expect(said[0]).toBe(`Ortholens · adversarial gallery of sweep #${sweep.runId}`)
    expect(said[1]).toMatch(
      /^FGSM at ε = 20 % of the pixel range \(each pixel moved by at most 51 of 255 levels\)/
    )
    expect(said.join(' ')).toContain('Crafted on “source” (the source) · dataset “tiny”')
    expect(said.join(' ')).toContain(
      `drawn from the ${sweep.sampleCount} every model classified correctly`
    )
    for (const h of [
      'Original',
      'Adversarial',
      'Perturbation',
      'Model',
      'On the original',
      'On the adversarial',
      'Fooled',
      'Survives 8-bit'
    ])
      expect(said).toContain(h)
    // Per item: its number, true class, and one line per model with the stored numbers.
    for (const item of items) {
      expect(said).toContain(`#${item.sampleIndex}`)
      expect(said).toContain(`true: ${item.className}`)
      for (const [m, clean] of item.predictions.clean.entries()) {
        const adv = item.predictions.adversarial[m]!
        expect(said).toContain(`${clean.className} ${Math.round(clean.confidence * 100)} %`)
        expect(said).toContain(`${adv.className} ${Math.round(adv.confidence * 100)} %`)
        expect(said).toContain(clean.modelName === 'source' ? 'source (source)' : clean.modelName)
      }
    }
    const fooledCells = items.flatMap((i) =>
      i.predictions.adversarial.map((p) => (p.fooled ? 'yes' : 'no'))
    )
    const survives = items.flatMap((i) =>
      i.predictions.adversarial.filter((p) => p.fooled).map((p) => (p.fooledRounded ? 'yes' : 'no'))
    )
    // ε = 20 % fools the source on these images: "yes" appears in the Fooled column.
    expect(fooledCells).toContain('yes')
    const ys = sheet.texts.filter((x) => x.text === 'yes' || x.text === 'no')
    expect(ys.map((x) => x.text).sort()).toEqual([...fooledCells, ...survives].sort())
    expectTextsDrawn(sheet.png, sheet.texts)
  })

  it('shows the 8-bit images themselves in the three picture columns', () => {
    const { items, ctx } = galleryForExport(t.project, sweep.runId, {
      attack: 'pgd',
      epsilon: 0.03
    })
    const sheet = gallerySheet(items.slice(0, 1), ctx)
    const pic = decodePng(sheet.png)
    const original = toBytes(items[0]!.original)
    // The original's pixel (row 3, col 5), enlarged 11× (84 px / 8 rounds to 11), sits in the
    // first picture column, level with the row's image number.
    const header = sheet.texts.find((x) => x.text === 'Original')!
    const top = sheet.texts.find((x) => x.text === `#${items[0]!.sampleIndex}`)!.y
    const o = ((top + 3 * 11 + 4) * pic.width + header.x + 5 * 11 + 4) * 4
    expect(pic.data[o]).toBe(original[3 * 8 + 5])
  })

  it('doubles every pixel at scale 2 and stays crisp and readable', () => {
    const { items, ctx } = galleryForExport(t.project, sweep.runId, {
      attack: 'fgsm',
      epsilon: 0.03
    })
    const one = gallerySheet(items, ctx, { scale: 1 })
    const two = gallerySheet(items, ctx, { scale: 2 })
    expect(two.width).toBe(2 * one.width)
    expect(two.height).toBe(2 * one.height)
    expectTextsDrawn(two.png, two.texts)
  })

  it('takes every attack and ε without a filter, names them per row, and refuses an empty choice', () => {
    const { items, ctx } = galleryForExport(t.project, sweep.runId)
    expect(items).toHaveLength(3 * 2 * 2)
    const sheet = gallerySheet(items, ctx)
    expect(sheet.rows).toBe(12)
    expect(sheet.texts[1]!.text).toBe('FGSM, PGD at ε = 3 %, 20 % of the pixel range')
    expect(sheet.texts.map((x) => x.text)).toContain('PGD, ε = 20 %')
    expect(SHEET_MAX_ROWS).toBeGreaterThanOrEqual(12)
    expect(() => galleryForExport(t.project, sweep.runId, { attack: 'mifgsm' })).toThrow(
      /kept no gallery image for MI-FGSM/
    )
  })
})

describe('the gallery folder', () => {
  it('writes each image at 8 bits, the manifest that describes those files, and the sheet', () => {
    const { items, ctx } = galleryForExport(t.project, sweep.runId, { epsilon: 0.2 })
    const files = galleryFolderFiles(items, ctx)
    const dir = join(t.dir, 'gallery-out')
    mkdirSync(dir)
    expect(files.size).toBe(items.length * 3 + 2)
    const manifest = parseCsv(files.get('manifest.csv') as string)
    expect(manifest[0]).toEqual([
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
    ])
    expect(manifest).toHaveLength(1 + items.length * 3)
    manifest.slice(1).forEach((row, r) => {
      const item = items[Math.floor(r / 3)]!
      const adv = item.predictions.adversarial[r % 3]!
      expect(row.slice(3, 8)).toEqual([
        String(item.sampleIndex),
        item.className,
        item.attack === 'fgsm' ? 'FGSM' : 'PGD',
        '20',
        adv.modelName
      ])
      expect(Number(row[11])).toBeCloseTo(adv.confidence * 100, 3)
      expect(row[12]).toBe(adv.fooled ? 'yes' : 'no')
      expect(row[13]).toBe(adv.fooled ? (adv.fooledRounded ? 'yes' : 'no') : '')
      // The adversarial file is the image at 8 bits, grey stays one channel, 8×8.
      const png = PNG.sync.read(files.get(row[1]!) as Buffer)
      expect([png.width, png.height]).toEqual([8, 8])
      const bytes = toBytes(item.adversarial)
      for (let p = 0; p < 64; p++) expect(png.data[p * 4]).toBe(bytes[p])
    })
    expect(readdirSync(dir)).toEqual([])
    expect(galleryManifestCsv(items)).toBe(files.get('manifest.csv'))
    const sheet = PNG.sync.read(files.get('sheet.png') as Buffer)
    expect(sheet.width).toBeGreaterThan(600)
    expect(galleryOf(t.project, sweep.runId).length).toBe(12)
    expect(readFileSync).toBeDefined()
  })
})
