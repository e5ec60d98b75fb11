import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHOTS, startHarness, type Harness } from './harness'
import { nativeKernelStatus } from '../../src/main/engine/kernels/nativeKernels'
import { pngBytes } from '../main/engine/data/importers/fixtures'

/** A PNG whose IDAT chunk fails its checksum (one pixel byte changed after writing). */
function damagedPng(): Buffer {
  const png = pngBytes(4, 4, 'gray', (x, y) => 16 * (x + y))
  const idat = png.indexOf('IDAT')
  png[idat + 6] ^= 0x5a
  return png
}

let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.close()
})

describe('browser-hosted Ortholens (loopback + Chromium)', () => {
  it('shows the compute backend and an empty-state hint before any project', async () => {
    const { page } = h
    await page
      .getByTestId('backend')
      .getByText(/tensorflow|wasm|cpu/)
      .waitFor()
    // The header names the native kernels exactly when the host (this process) runs them.
    const header = await page.getByTestId('backend').innerText()
    const native = nativeKernelStatus()
    if (native.active) expect(header).toMatch(/native kernels \((AVX-512|AVX2|SIMD)\)/)
    else expect(header).not.toMatch(/native/)
    expect(await page.getByRole('heading', { name: 'Projects', exact: true }).isVisible()).toBe(
      true
    )
    expect(await page.getByText('No recent projects yet').isVisible()).toBe(true)
    await page.screenshot({ path: join(SHOTS, '01-projects-empty.png') })
  })

  it('creates a project, imports the built-in sample and shows the preview and class counts', async () => {
    const { page, dir } = h
    const file = join(dir, 'audit.ortholens')
    await page.getByLabel('Project file', { exact: true }).fill(file)
    await page.getByRole('button', { name: 'Create project' }).click()
    await page.getByTestId('project-header').getByText('audit').first().waitFor()
    expect(existsSync(file)).toBe(true)
    await page.getByTestId('data-empty').waitFor()
    await page.screenshot({ path: join(SHOTS, '02-data-empty.png') })

    await page.getByRole('button', { name: 'Import', exact: true }).click()
    const counts = page.getByTestId('class-counts')
    await counts.waitFor({ timeout: 60_000 })
    const facts = await page.getByTestId('dataset-facts').innerText()
    const m = /([\d,]+) training \+ ([\d,]+) validation images · 28×28 · grey · 10 classes/.exec(
      facts
    )
    expect(m).not.toBeNull()
    // The per-class counts in the table add up to the split sizes the facts line states.
    const rows = await counts.locator('tbody tr').allInnerTexts()
    expect(rows).toHaveLength(10)
    expect(rows[0]).toMatch(/^T-shirt\/top/)
    const trainSum = rows.map((r) => Number(r.split('\t')[1])).reduce((a, b) => a + b, 0)
    const valSum = rows.map((r) => Number(r.split('\t')[2])).reduce((a, b) => a + b, 0)
    expect(trainSum).toBe(Number(m![1].replace(/,/g, '')))
    expect(valSum).toBe(Number(m![2].replace(/,/g, '')))
    const images = page.getByTestId('preview-grid').locator('img')
    await images.first().waitFor()
    expect(await images.count()).toBe(40)
    const naturalWidth = await images
      .first()
      .evaluate((img) => (img as HTMLImageElement).naturalWidth)
    expect(naturalWidth).toBe(28)
    await page.screenshot({ path: join(SHOTS, '03-data-sample.png'), fullPage: true })
  })

  it('a bad import shows a clear error naming the file, its technical part under "Details", and leaves the project unchanged', async () => {
    const { page, dir, server } = h
    const bad = join(dir, 'bad-folder')
    mkdirSync(join(bad, 'cat'), { recursive: true })
    mkdirSync(join(bad, 'dog'), { recursive: true })
    writeFileSync(join(bad, 'cat', 'broken.png'), damagedPng())
    writeFileSync(join(bad, 'dog', 'also-broken.png'), damagedPng())
    const before = await page.getByTestId('class-counts').innerText()
    const runsBefore = (await server.session
      .project!.db.prepare('SELECT count(*) AS n FROM datasets')
      .get()) as { n: number }

    await page.getByLabel(/Image folder/).check()
    await page.getByLabel('Where to import from').fill(bad)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    const err = page.getByTestId('import-error')
    await err.waitFor({ timeout: 60_000 })
    const text = await err.innerText()
    expect(text).toMatch(
      /broken\.png: corrupt PNG: chunk IDAT fails its checksum \(the file is damaged\)$/
    )
    expect(text).not.toMatch(/CRC|0x/)
    // The checksums are folded away under "Details", with the file at fault.
    const details = page.getByTestId('import-error-details')
    expect(await details.locator('pre').isVisible()).toBe(false)
    await details.getByText('Details').click()
    const technical = await details.locator('pre').innerText()
    expect(technical).toMatch(
      /^Where: .*broken\.png\nCRC stored 0x[0-9a-f]+, computed 0x[0-9a-f]+ at byte \d+$/
    )
    await page.screenshot({ path: join(SHOTS, '04-import-error.png'), fullPage: true })
    const runsAfter = (await server.session
      .project!.db.prepare('SELECT count(*) AS n FROM datasets')
      .get()) as { n: number }
    expect(runsAfter.n).toBe(runsBefore.n)
    expect(await page.getByTestId('class-counts').innerText()).toBe(before)
    expect(statSync(server.session.project!.path).size).toBeGreaterThan(0)
  })

  it('refuses a WebSocket without the token', async () => {
    const { page, server } = h
    const status = await page.evaluate(async (port) => {
      return new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=wrong`)
        ws.onopen = () => resolve('open')
        ws.onerror = () => resolve('refused')
      })
    }, server.port)
    expect(status).toBe('refused')
  })
})
