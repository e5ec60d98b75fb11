/**
 * Issue 16 in Chromium (the browser-hosted app): exports from Attacks, Defenses and Explain
 * with an empty path, a missing folder and a good one (plain messages, files written), the
 * confined folder browser and a bare name landing in Documents/Ortholens; every screen usable
 * at 1,024 px without horizontal scroll; the dark palette when the system prefers it.
 * Screenshots and the exported pictures land in /tmp/words-shots/.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/engine/backend'
import { buildModel } from '../../src/main/engine/models'
import { runAttackSweep } from '../../src/main/services/audits/sweep'
import { runDefenseTable } from '../../src/main/services/audits/defenseTable'
import { importDataset } from '../../src/main/services/datasets'
import { explainSamples } from '../../src/main/services/explain/samples'
import { createProject, saveModel } from '../../src/main/store'
import { decodePng, readText } from '../helpers/readPngText'
import { startHarness, type Harness, tab } from './harness'

const SHOTS = '/tmp/words-shots'
let h: Harness
const work = mkdtempSync(join(tmpdir(), 'ortholens-words-'))
const projectPath = join(work, 'exports.ortholens')

beforeAll(async () => {
  await initBackend('cpu')
  mkdirSync(SHOTS, { recursive: true })
  const project = createProject(projectPath, { name: 'exports' })
  const datasetId = (await importDataset(project, { source: { kind: 'builtin' }, maxPerClass: 20 }))
    .datasetId
  // Three copies of one untrained CNN: they agree on every image, so the images the first
  // gets right are right on all three, and the sweep and table have samples to attack.
  const ids: number[] = []
  for (const [name, extra] of [
    ['Reference', {}],
    ['Ordinary', {}],
    ['Orthogonal', { lambda: 30 }]
  ] as const) {
    const net = buildModel('cnn', [28, 28, 1], 10, { seed: 1, name })
    ids.push(
      saveModel(project.writable(), {
        name,
        architecture: net.architecture,
        weights: net.exportWeights(),
        datasetId,
        ...('lambda' in extra ? { referenceModelId: ids[0], trainingConfig: { lambda: 30 } } : {}),
        status: 'ready'
      })
    )
    net.dispose()
  }
  await runAttackSweep(project, {
    datasetId,
    sourceId: ids[0]!,
    targetIds: [ids[1]!, ids[2]!],
    attacks: ['fgsm'],
    epsilons: [0.03, 0.1],
    sampleCount: 8,
    seed: 3,
    gallerySamples: 2
  })
  await runDefenseTable(project, {
    datasetId,
    sourceId: ids[0]!,
    ordinaryId: ids[1]!,
    orthogonalId: ids[2]!,
    attacks: ['fgsm'],
    defenses: ['bitDepth'],
    sampleCount: 8,
    seed: 3
  })
  await explainSamples(project, {
    datasetId,
    modelIds: [ids[0]!, ids[2]!],
    sampleIndices: [0, 1],
    methods: ['gradcam', 'cameras']
  })
  project.close()
  h = await startHarness()
}, 600_000)

afterAll(async () => {
  await h?.close()
  rmSync(work, { recursive: true, force: true })
})

/** Whether the page scrolls sideways (the issue: it needed 1,280 px). */
const scrollsSideways = (page: Page): Promise<boolean> =>
  page.evaluate(() => {
    const e = document.scrollingElement!
    return e.scrollWidth > e.clientWidth
  })

async function exportThrough(page: Page, testid: string, path: string): Promise<void> {
  const box = page.getByTestId(testid)
  await box.getByRole('textbox').fill(path)
  await box.getByRole('button', { name: /^Export/ }).click()
}

describe('exports, layout and dark mode in Chromium', () => {
  it('opens the project and every screen fits 1,024 px without sideways scrolling', async () => {
    const { page } = h
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.getByLabel('Existing project file', { exact: true }).fill(projectPath)
    await page.getByRole('button', { name: 'Open project' }).click()
    await page.getByTestId('project-header').getByText('exports').first().waitFor()
    for (const screen of [
      'Data',
      'Models',
      'Attacks',
      'Defenses',
      'Evaluate',
      'Explain',
      'Results'
    ]) {
      await tab(page, screen).click()
      await page.waitForTimeout(300)
      if (screen === 'Attacks') await page.getByTestId('gallery').waitFor()
      if (screen === 'Defenses') await page.getByTestId('defense-table').waitFor()
      if (screen === 'Explain') await page.getByTestId('explain-grid').waitFor()
      await page.screenshot({
        path: join(SHOTS, `1024-${screen.toLowerCase()}.png`),
        fullPage: true
      })
      expect(await scrollsSideways(page), `${screen} at 1,024 px`).toBe(false)
    }
    // Results (the last screen): every row names its dataset, and the import took its time.
    const rows = await page.getByTestId('runs').locator('tbody tr').allInnerTexts()
    for (const kind of ['attack-sweep', 'defense-table', 'explain']) {
      const row = rows.find((r) => r.includes(kind))!
      expect(row, kind).toMatch(/on “Fashion-MNIST/)
      expect(row, kind).toMatch(/Reference/)
    }
    expect(rows.find((r) => /\bimport\b/.test(r))).not.toMatch(/\t0\.0 s\t/)
  })

  it('Attacks: an empty path and a missing folder get plain messages; a good path writes the sheet and the folder', async () => {
    const { page } = h
    await tab(page, 'Attacks').click()
    await page.getByTestId('gallery').waitFor()
    // The job bar and tables name their models and dataset, ε in %.
    expect(await page.getByTestId('sweep-about').innerText()).toMatch(
      /on “Fashion-MNIST[^”]*”, crafted on “Reference”/
    )
    expect(await page.getByTestId('sweep-table').locator('thead').innerText()).toMatch(
      /ε = 3 %\s+ε = 10 %/
    )

    const sheet = page.getByTestId('export-gallery-sheet')
    await exportThrough(page, 'export-gallery-sheet', '')
    expect(await sheet.getByTestId('export-error').innerText()).toMatch(
      /^Type where to save the gallery sheet first/
    )

    const missing = join(work, 'no-such-folder', 'sheet.png')
    await exportThrough(page, 'export-gallery-sheet', missing)
    const refusal = await sheet.getByTestId('export-error').innerText()
    expect(refusal).toContain(`The folder “${join(work, 'no-such-folder')}” does not exist`)
    expect(refusal).not.toMatch(/ENOENT/)
    expect(existsSync(missing)).toBe(false)

    const good = join(work, 'sheet.png')
    await exportThrough(page, 'export-gallery-sheet', good)
    await sheet.getByTestId('export-done').getByText(good).waitFor()
    const pic = decodePng(readFileSync(good))
    expect(readText(pic, 12, 12, 'Ortholens'.length, 1, 'bold')).toBe('Ortholens')
    copyFileSync(good, join(SHOTS, 'gallery-sheet.png'))

    // Each transfer curve's chart exports as a PNG on the card's colour (the canvas itself is
    // transparent): opaque corners, and the first curve's blue drawn on it.
    const chartBox = page.locator('[data-testid^="export-chart-sweep-"]').first()
    const chartPng = join(work, 'chart.png')
    await chartBox.getByRole('textbox').fill(chartPng)
    await chartBox.getByRole('button', { name: /^Export/ }).click()
    await chartBox.getByTestId('export-done').waitFor()
    const chart = PNG.sync.read(readFileSync(chartPng))
    expect(chart.width).toBeGreaterThan(200)
    expect(chart.data[3]).toBe(255)
    let blue = 0
    for (let i = 0; i < chart.data.length; i += 4) {
      const [r, g, b] = [chart.data[i]!, chart.data[i + 1]!, chart.data[i + 2]!]
      if (r < 80 && g > 70 && g < 140 && b > 200) blue++
    }
    expect(blue).toBeGreaterThan(50)
    copyFileSync(chartPng, join(SHOTS, 'chart.png'))

    const folder = join(work, 'gallery')
    await exportThrough(page, 'export-gallery-folder', folder)
    await page.getByTestId('export-gallery-folder').getByTestId('export-done').waitFor()
    const files = readdirSync(folder)
    expect(files).toContain('manifest.csv')
    expect(files).toContain('sheet.png')
    // Two images per ε (2 values), three files each.
    expect(files.filter((f) => f.endsWith('_adversarial.png'))).toHaveLength(4)
    const manifest = readFileSync(join(folder, 'manifest.csv'), 'utf8').split('\n')
    expect(manifest[0]).toContain('epsilon_pct')
    expect(
      PNG.sync.read(
        readFileSync(
          join(
            folder,
            files.find((f) => f.endsWith('_original.png'))!
          )
        )
      ).width
    ).toBe(28)
    await page.screenshot({ path: join(SHOTS, 'attacks-exported.png'), fullPage: true })
    // Zoom: the gallery's images at 4× (336 px) to read single pixels, still no sideways scroll.
    await page.locator('#g-zoom').selectOption('336')
    const img = page.getByTestId('gallery').locator('img').nth(1)
    expect(
      await img.evaluate((e) => (e as HTMLImageElement).getBoundingClientRect().width)
    ).toBeGreaterThanOrEqual(336)
    expect(await scrollsSideways(page)).toBe(false)
    await page.getByTestId('gallery').screenshot({ path: join(SHOTS, 'gallery-zoomed.png') })
    await page.locator('#g-zoom').selectOption('84')
  })

  it('the folder browser shows the documents folder; a bare name is saved there', async () => {
    const { page } = h
    const box = page.getByTestId('export-sweep-csv')
    await box.getByRole('button', { name: 'Browse…' }).click()
    const browser = box.getByTestId('folder-browser')
    await browser.waitFor()
    // The documents folder did not exist: the picker makes it and starts there.
    const documents = join(h.dir, 'Documents', 'Ortholens')
    await browser.getByTestId('browser-path').getByText(documents).waitFor()
    await page.screenshot({ path: join(SHOTS, 'folder-browser.png'), fullPage: false })
    await browser.getByRole('button', { name: 'Save in this folder' }).click()
    const run = /sweep-(\d+)\.csv/.exec(await box.getByRole('textbox').inputValue())
    expect(await box.getByRole('textbox').inputValue()).toBe(
      join(documents, `sweep-${run![1]}.csv`)
    )
    // A bare name typed by hand lands in the same place.
    await box.getByRole('textbox').fill('bare-sweep.csv')
    await box.getByRole('button', { name: /^Export/ }).click()
    await box.getByTestId('export-done').waitFor()
    const csv = readFileSync(join(documents, 'bare-sweep.csv'), 'utf8').split('\n')
    expect(csv[0]).toBe(
      'attack,model,role,kind,epsilon_pct,fooling_pct,fooled,images,fooling_ci95_low_pct,fooling_ci95_high_pct'
    )
    expect(csv[1]).toMatch(/^FGSM,Reference,source,[^,]+,3,/)
  })

  it('Defenses: rows in words, the CSV in %, and a missing folder refused in words', async () => {
    const { page } = h
    await tab(page, 'Defenses').click()
    const table = page.getByTestId('defense-table')
    await table.waitFor()
    const rows = await table.locator('tbody th').allInnerTexts()
    expect(rows[0]).toBe('No defense')
    expect(rows).toContain('Bit depth 4')
    expect(rows.at(-1)).toMatch(/^Orthogonal model \(no defense\)/)
    expect(await page.getByTestId('defense-about').innerText()).toMatch(
      /crafted on “Reference”.*“Ordinary”.*“Orthogonal”/
    )
    // Eight images: no row is separable from the rest, so no star.
    expect(await table.locator('td.best').count()).toBe(0)
    await exportThrough(page, 'export-defense-csv', join(work, 'missing', 'table.csv'))
    expect(
      await page.getByTestId('export-defense-csv').getByTestId('export-error').innerText()
    ).toMatch(/does not exist/)
    const good = join(work, 'table.csv')
    await exportThrough(page, 'export-defense-csv', good)
    await page.getByTestId('export-defense-csv').getByTestId('export-done').waitFor()
    const header = readFileSync(good, 'utf8').split('\n')[0]!
    expect(header.split(',').filter((h) => !h.includes('_ci95_'))).toEqual([
      'defense',
      'clean_error_pct',
      'fgsm_eps3pct_fooling_pct',
      'fgsm_eps5pct_fooling_pct',
      'images'
    ])
    expect(header).toContain('fgsm_eps3pct_fooling_ci95_low_pct')
  })

  it('Explain: the labelled PNG with its colour scale', async () => {
    const { page } = h
    await tab(page, 'Explain').click()
    await page.getByTestId('explain-grid').waitFor()
    const out = join(work, 'explain.png')
    await exportThrough(page, 'export-explain-png', out)
    await page.getByTestId('export-explain-png').getByTestId('export-done').waitFor()
    const pic = decodePng(readFileSync(out))
    expect(readText(pic, 12, 12, 'Ortholens'.length, 1, 'bold')).toBe('Ortholens')
    copyFileSync(out, join(SHOTS, 'explain-labelled.png'))
    // The "?" help opens in words.
    await page.getByRole('button', { name: 'Help: saliency map' }).click()
    expect(await page.getByTestId('help-text').first().innerText()).toMatch(
      /red is most, blue least/
    )
  })

  it('follows the system’s dark preference', async () => {
    const { page } = h
    await page.emulateMedia({ colorScheme: 'dark' })
    const luminance = async (selector: string): Promise<number> =>
      page.evaluate((sel) => {
        const c = getComputedStyle(document.querySelector(sel)!)
          .backgroundColor.match(/\d+/g)!
          .map(Number)
        return (0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!) / 255
      }, selector)
    expect(await luminance('html')).toBeLessThan(0.2)
    expect(await luminance('.card')).toBeLessThan(0.25)
    const text = await page.evaluate(() => getComputedStyle(document.body).color)
    expect(text).toMatch(/rgb\(2[0-9]{2}, 2[0-9]{2}, 2[0-9]{2}\)/)
    for (const screen of ['Attacks', 'Defenses', 'Explain', 'Models']) {
      await tab(page, screen).click()
      await page.waitForTimeout(300)
      await page.screenshot({
        path: join(SHOTS, `dark-${screen.toLowerCase()}.png`),
        fullPage: true
      })
      expect(await scrollsSideways(page), `${screen} dark at 1,024 px`).toBe(false)
    }
    await page.emulateMedia({ colorScheme: 'light' })
    expect(await luminance('html')).toBeGreaterThan(0.8)
  })
})
