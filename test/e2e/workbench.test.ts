/**
 * The workbench without dead ends, through the screens (loopback host + headless Chromium):
 * Train brings the live charts into view and they survive a visit to another screen; a
 * training stopped early is a usable model ("stopped early at epoch k"), used at once for a
 * similarity measurement whose histogram and Table 6.1 row appear in the window and in the
 * report; the same dataset imported twice gets "(2)"; rename; delete with the dependents
 * listed first; closing the project during a training asks, and the reopened project shows no
 * model "training" and no run "running", and the stored training curves. Screenshots land in
 * /tmp/ortholens-shots/workbench-*.png.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { SHOTS, startHarness, type Harness, tab } from './harness'
import { openProject } from '../../src/main/store'

let h: Harness
const LONG = 180_000

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.close()
})

const card = (page: Page, name: string) =>
  page.getByRole('article', { name: `Model ${name}`, exact: true })
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `workbench-${name}.png`), fullPage: true })
const points = async (page: Page, scope: string, title: string): Promise<number> =>
  Number(
    await page
      .getByTestId(scope)
      .getByRole('img', { name: new RegExp(`^${title}:`) })
      .getAttribute('data-points')
  )

/** Fills the Models form and presses Train. */
async function train(
  page: Page,
  o: { name: string; epochs: number; seed: number; lambda?: number; reference?: string }
): Promise<void> {
  await page.locator('#m-name').fill(o.name)
  await page.locator('#m-lambda-value').fill(String(o.lambda ?? 0))
  if (o.reference) await page.locator('#m-ref').selectOption({ label: o.reference })
  await page.locator('#m-epochs').fill(String(o.epochs))
  await page.locator('#m-limit').fill('256')
  await page.locator('#m-val').fill('64')
  await page.locator('#m-seed').fill(String(o.seed))
  await page.getByRole('button', { name: 'Train', exact: true }).click()
}

/** Waits until the followed training has finished epoch `epoch` (its stage names the next one). */
async function pastEpoch(page: Page, epoch: number): Promise<void> {
  await page
    .getByTestId('train-status')
    .getByText(new RegExp(`epoch (${epoch + 1}|[${epoch + 2}-9]\\d*)/`))
    .waitFor({ timeout: LONG })
}

describe('the workbench without dead ends', () => {
  it('trains with charts in view, keeps them across screens, uses a stopped training, measures δ, renames, deletes, and closes safely', async () => {
    const { page, dir, server } = h
    const file = join(dir, 'workbench.ortholens')
    await page
      .getByTestId('backend')
      .getByText(/tensorflow|wasm|cpu/)
      .waitFor()
    await page.getByLabel('Project file', { exact: true }).fill(file)
    await page.getByRole('button', { name: 'Create project' }).click()
    await page.getByTestId('data-empty').waitFor()

    // The built-in sample twice: the second gets "(2)" and the window says so.
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.getByTestId('class-counts').waitFor({ timeout: 60_000 })
    const firstName = (await page.locator('#ds-pick option').first().innerText()).trim()
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page
      .getByTestId('notice')
      .getByText(
        `A dataset named "${firstName}" already exists; this one is called "${firstName} (2)".`
      )
      .waitFor({ timeout: 60_000 })
    expect(await page.locator('#ds-pick option').allInnerTexts()).toEqual([
      firstName,
      `${firstName} (2)`
    ])
    await shot(page, '01-data-duplicate')
    // The copy has nothing depending on it: the question says so, and it goes.
    await page.locator('#ds-pick').selectOption({ label: `${firstName} (2)` })
    await page.getByRole('button', { name: `Delete dataset ${firstName} (2)` }).click()
    const dialog = page.getByTestId('confirm-dialog')
    await dialog.getByText('Nothing else in the project depends on it.').waitFor()
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click()
    await page.getByTestId('notice').getByText(`Deleted dataset “${firstName} (2)”.`).waitFor()
    expect(await page.locator('#ds-pick option').allInnerTexts()).toEqual([firstName])

    // Train: the live charts come into view at 1280×800, and stay through a visit to Data.
    await tab(page, 'Models').click()
    await page.getByTestId('models-empty').waitFor()
    await train(page, { name: 'Reference', epochs: 2, seed: 1 })
    await page.getByTestId('live-charts').waitFor()
    await page.waitForFunction(() => {
      const r = document.querySelector('[data-testid="live-charts"]')!.getBoundingClientRect()
      return r.top >= 0 && r.top < window.innerHeight - 200
    })
    await page.waitForFunction(
      () =>
        Number(
          document
            .querySelector('[data-testid="live-charts"] [data-points]')
            ?.getAttribute('data-points')
        ) > 2,
      null,
      { timeout: LONG }
    )
    const before = await points(page, 'live-charts', 'Training loss')
    await shot(page, '02-models-training')
    await tab(page, 'Data').click()
    await page.getByTestId('class-counts').waitFor()
    await tab(page, 'Models').click()
    expect(await points(page, 'live-charts', 'Training loss')).toBeGreaterThanOrEqual(before)
    await card(page, 'Reference')
      .getByTestId('model-status')
      .getByText('Ready')
      .waitFor({ timeout: LONG })

    // A long training stopped after its first checks: a usable model that says where it stopped.
    await train(page, { name: 'Long', epochs: 200, seed: 2 })
    await pastEpoch(page, 2)
    await page.getByRole('button', { name: 'Stop training (keeps the best checkpoint)' }).click()
    const stopped = card(page, 'Long')
    await stopped
      .getByTestId('model-status')
      .getByText(/^Stopped early after epoch \d+ of 200$/)
      .waitFor({ timeout: LONG })
    const stoppedText = await stopped.innerText()
    expect(stoppedText).toMatch(
      /Usable: it keeps its best checkpoint, from epoch \d+ \(\d+\.\d % validation accuracy\)/
    )
    expect(stoppedText).toMatch(
      /Validation accuracy\s+\d+\.\d % \[\d+\.\d–\d+\.\d\]\s+on 64 images/
    )
    await shot(page, '03-models-stopped-early')
    // … offered where models are used.
    await tab(page, 'Attacks').click()
    expect(await page.locator('#a-src option').allInnerTexts()).toContain('Long')
    await tab(page, 'Models').click()

    // Similarity of the reference and the stopped model, with its histogram and Table 6.1 row.
    const sim = page.getByTestId('similarity')
    await sim.locator('#sim-a').selectOption({ label: 'Reference' })
    await sim.locator('#sim-b').selectOption({ label: 'Long' })
    await sim.locator('#sim-n').fill('64')
    await sim.getByRole('button', { name: 'Measure δ' }).click()
    const result = page.getByTestId('similarity-result')
    await result.waitFor({ timeout: LONG })
    expect(await result.innerText()).toMatch(
      /Reference vs Long: δ = -?\d\.\d{3} ± \d\.\d{3} \(mean ± standard deviation\), mean \|δ\| = \d\.\d{3}, over 64 validation images/
    )
    const bars = await result
      .locator('rect.bar')
      .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-count'))))
    expect(bars.reduce((a, b) => a + b, 0)).toBe(64)
    const mean = Number(/δ = (-?\d\.\d{3})/.exec(await result.innerText())![1])
    expect(Math.abs(mean)).toBeLessThanOrEqual(1)
    const rows = await page.getByTestId('similarity-table').locator('tbody tr').allInnerTexts()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatch(/^Reference\tLong\t\s?-?\d\.\d{3} ± \d\.\d{3}\t\d\.\d{3}\t64\t/)
    await sim.scrollIntoViewIfNeeded()
    await shot(page, '04-models-similarity')
    // The report's Table 6.1 holds the pair.
    await tab(page, 'Results').click()
    const report = join(dir, 'report.html')
    await page.getByLabel('Export to').fill(report)
    await page.getByRole('button', { name: 'HTML report' }).click()
    await page.getByTestId('notice').getByText(`Saved ${report}`).waitFor({ timeout: 60_000 })
    const html = readFileSync(report, 'utf8')
    const table61 = html.slice(html.indexOf('Table 6.1'))
    expect(table61).toMatch(/Reference[\s\S]*Long/)

    // Rename the stopped model; its card and the similarity table follow.
    await tab(page, 'Models').click()
    await card(page, 'Long').getByRole('button', { name: 'Rename model Long' }).click()
    await page.getByLabel('New name of the model “Long”').fill('reference')
    await page.getByText('That name is taken: it will be called “reference (2)”.').waitFor()
    await page.getByLabel('New name of the model “Long”').fill('Early stop')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await card(page, 'Early stop').waitFor()
    expect(
      (
        await page.getByTestId('similarity-table').locator('tbody tr').first().innerText()
      ).startsWith('Reference\tEarly stop')
    ).toBe(true)

    // An orthogonal model against the reference, then delete the reference: the list first.
    await train(page, {
      name: 'Orthogonal',
      epochs: 1,
      seed: 3,
      lambda: 30,
      reference: 'Reference'
    })
    // Ready or collapsed (one tiny epoch may not learn): either way it depends on the reference.
    await card(page, 'Orthogonal')
      .getByTestId('model-status')
      .getByText(/^(Ready|Collapsed)$/)
      .waitFor({ timeout: LONG })
    await card(page, 'Reference').getByRole('button', { name: 'Delete model Reference' }).click()
    const deps = dialog.getByTestId('dependents')
    await deps.waitFor()
    const listed = await deps.innerText()
    expect(listed).toMatch(/1 model\s+Orthogonal — trained against "Reference"/)
    expect(listed).toMatch(/similarity measurement \(run #\d+, done,/)
    expect(listed).toMatch(/training \(run #\d+, done,/)
    await shot(page, '05-delete-dependents')
    // Cancel first: nothing changes.
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await card(page, 'Reference').waitFor()
    await card(page, 'Reference').getByRole('button', { name: 'Delete model Reference' }).click()
    await dialog.getByRole('button', { name: 'Delete all of it' }).click()
    await page
      .getByTestId('notice')
      .getByText(/^Deleted model “Reference” with 1 model\(s\), \d+ run\(s\)\.$/)
      .waitFor()
    expect(await page.getByRole('article').allInnerTexts()).toHaveLength(1)
    await card(page, 'Early stop').waitFor()
    expect(await page.getByTestId('similarity-table').count()).toBe(0)
    await tab(page, 'Results').click()
    const runKinds = await page
      .getByTestId('runs')
      .locator('tbody tr td:nth-child(3)')
      .allInnerTexts()
    expect(runKinds).not.toContain('similarity')

    // Close the project during a training: asked first; reopened, nothing is left "training".
    await tab(page, 'Models').click()
    await train(page, { name: 'Interrupted', epochs: 200, seed: 4 })
    await pastEpoch(page, 1)
    await tab(page, 'Projects').click()
    await page.getByRole('button', { name: 'Close project' }).click()
    await dialog.getByText('A job is still running').waitFor()
    await shot(page, '06-close-during-training')
    await dialog.getByRole('button', { name: 'Stop and close the project' }).click()
    await page.getByTestId('project-header').getByText('No project open').waitFor({ timeout: LONG })
    const db = openProject(file, { readonly: true })
    try {
      expect(
        db.db.prepare(`SELECT count(*) AS n FROM models WHERE status = 'training'`).get()
      ).toEqual({ n: 0 })
      expect(
        db.db.prepare(`SELECT count(*) AS n FROM runs WHERE status = 'running'`).get()
      ).toEqual({ n: 0 })
    } finally {
      db.close()
    }
    expect(server.session.project).toBeNull()
    await page.getByRole('button', { name: 'workbench', exact: true }).click()
    await page.getByTestId('project-header').getByText('workbench').first().waitFor()
    await tab(page, 'Models').click()
    await card(page, 'Interrupted')
      .getByTestId('model-status')
      .getByText(/^Stopped early after epoch \d+ of 200$/)
      .waitFor()
    expect(await page.getByTestId('model-status').allInnerTexts()).not.toContain('Training…')
    await tab(page, 'Results').click()
    expect(await page.getByTestId('runs').locator('td.status').allInnerTexts()).not.toContain(
      'running'
    )

    // The stored curves of a model after the reopen.
    await tab(page, 'Models').click()
    await card(page, 'Interrupted')
      .getByRole('button', { name: 'Training curves of Interrupted' })
      .click()
    const history = card(page, 'Interrupted').getByTestId('history')
    await history.getByRole('img', { name: /^Accuracy:/ }).waitFor()
    const epochs = Number(/(\d+) epochs? recorded/.exec(await history.innerText())![1])
    expect(epochs).toBeGreaterThanOrEqual(1)
    // Training and validation accuracy: one point per epoch each.
    expect(
      Number(await history.getByRole('img', { name: /^Accuracy:/ }).getAttribute('data-points'))
    ).toBe(2 * epochs)
    await card(page, 'Interrupted').scrollIntoViewIfNeeded()
    await shot(page, '07-history-after-reopen')
  }, 600_000)
})
