/**
 * Issue 17 through the window (loopback host + headless Chromium): the Plans screen shows a
 * small finished plan — Table 6.2 with means ± std over seeds and 95 % intervals, Figure 6.6
 * with error bars, the white-box and worst-case table, the plan's models — does not offer a
 * collapsed model as the reference (and says why), and resumes a cancelled plan to the end
 * with its Resume button. Screenshots land in /tmp/ortholens-shots/plans-*.png.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/engine/backend'
import { runPlan } from '../../src/main/services/plans/run'
import { saveDataset, saveModel, listRuns } from '../../src/main/store'
import { syntheticDataset } from '../helpers/syntheticDataset'
import { linear, LINEAR } from '../main/services/fixtures'
import { startHarness, type Harness, shot, tab } from './harness'

const LONG = 150_000
let h: Harness

beforeAll(async () => {
  h = await startHarness()
  // The plans below are trained in this process, beside the window's own job worker.
  await initBackend()
})
afterAll(async () => {
  await h?.close()
})

describe('the Plans screen', () => {
  it(
    'shows a finished plan: Table 6.2 with intervals, Figure 6.6 with error bars, its models',
    async () => {
      const { page, dir, server } = h
      await page.getByLabel('Project file', { exact: true }).fill(join(dir, 'plans.ortholens'))
      await page.getByRole('button', { name: 'Create project' }).click()
      await page.getByTestId('data-empty').waitFor()
      const project = server.session.project!
      const db = project.writable()
      const datasetId = saveDataset(db, {
        ...syntheticDataset({ train: 96, validation: 60 }),
        name: 'Quadrants'
      })
      // A collapsed model of this dataset: never offered as a reference.
      const broken = linear(9, 'Broken model')
      saveModel(db, {
        name: 'Broken model',
        architecture: LINEAR,
        weights: broken.exportWeights(),
        datasetId,
        status: 'collapsed',
        metrics: {}
      })
      broken.dispose()
      const base = {
        datasetId,
        architectures: ['cnn' as const],
        lambdas: [0, 30],
        seeds: 2,
        training: { epochs: 2, batchSize: 16, valLimit: 60 },
        evaluation: {
          attacks: ['pgd' as const],
          epsilons: [0.05, 0.15, 0.3],
          sampleCount: 20,
          whiteBox: true
        }
      }
      await runPlan(project, { ...base, name: 'Finished' })
      // A second plan, cancelled in its third model: the window resumes it below.
      const stop = new AbortController()
      await runPlan(
        project,
        { ...base, name: 'Stopped', evaluation: { ...base.evaluation, whiteBox: false } },
        {
          signal: stop.signal,
          onProgress: (p) => void (/^Model 3 of 5/.test(p.stage) && stop.abort())
        }
      ).catch(() => undefined)
      const [stopped, finished] = listRuns(project.db, { kind: 'plan' })
      expect([finished!.status, stopped!.status]).toEqual(['done', 'cancelled'])

      await page.reload()
      await tab(page, 'Plans').click()
      await page.getByRole('heading', { name: 'Plans', exact: true }).waitFor()
      await page
        .getByTestId('plan-list')
        .getByRole('button', { name: `#${finished!.id} Finished` })
        .click()
      const table = page.getByTestId('plan-table')
      await table.getByText('Table 6.2').waitFor()
      expect(await page.getByTestId('plan-progress').innerText()).toMatch(
        /^5 of 5 models trained, 1 of 1 attack sources evaluated; \d+ s of work\.$/
      )
      // A cell's interval is a block under its mean ± std: "87.4 ± 0.4\n[86.5–88.3]"; δ (a
      // signed cosine) writes its ends apart with a comma and a true minus: "[−0.010, 0.017]".
      const rows = (await table.locator('tbody tr').allInnerTexts()).map((r) =>
        r.replace(/\n\t/g, '\t')
      )
      expect(rows).toHaveLength(2)
      // λ = 0: two seeds, δ and accuracy as mean ± std [interval]; PGD at three ε.
      const stat = (d: string) => `${d} ± ${d}\\n\\[${d}–${d}\\]`
      const delta = (d: string) => `−?${d} ± ${d}\\n\\[−?${d}, −?${d}\\]`
      expect(rows[0]).toMatch(
        new RegExp(
          `^cnn\\t0\\t2\\t${delta('\\d\\.\\d{3}')}\\t\\d\\.\\d{3}\\t${stat('\\d+\\.\\d')}\\t\\d+( ± \\d+)?(\\t${stat('\\d+\\.\\d')}){3}$`
        )
      )
      expect(rows[1]).toMatch(/^cnn\t30\t/)
      const headers = await table.locator('thead th').allInnerTexts()
      expect(headers.slice(-3)).toEqual(['PGD ε = 5 %', 'PGD ε = 15 %', 'PGD ε = 30 %'])
      await page.getByTestId('plan-whitebox').getByText('Worst case ε = 30 %').waitFor()
      // Figure 6.6: one chart per attack, drawn on a canvas, with the legend's roles.
      const figure = page.getByTestId('plan-figure-6-6')
      await figure
        .getByText(/^Figure 6\.6 — perturbations crafted on Finished · reference \(cnn\)$/)
        .waitFor()
      expect(await figure.locator('canvas').count()).toBe(1)
      const drawn = await figure.locator('canvas').evaluate((c) => {
        const canvas = c as HTMLCanvasElement
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        let red = 0
        let green = 0
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! < 128) continue
          if (data[i]! > 180 && data[i + 1]! < 80 && data[i + 2]! < 80) red++
          if (data[i + 1]! > data[i]! + 60 && data[i + 1]! > data[i + 2]! + 40) green++
        }
        return { red, green, width: canvas.width, height: canvas.height }
      })
      // The source's red line and the orthogonal models' green one are on the canvas.
      expect(drawn.red, JSON.stringify(drawn)).toBeGreaterThan(50)
      expect(drawn.green, JSON.stringify(drawn)).toBeGreaterThan(50)
      const models = await page.getByTestId('plan-models').locator('tbody tr').allInnerTexts()
      expect(models).toHaveLength(4)
      expect(models[0]).toMatch(
        /^Finished · cnn λ=0 · seed 2\t0\t2\tready\t\d+\.\d % \[\d+\.\d–\d+\.\d\]/
      )
      // The collapsed model is not offered as a reference, and the form says why.
      expect(await page.locator('#p-ref option').allInnerTexts()).not.toContain('Broken model')
      expect(await page.getByTestId('p-ref-collapsed').innerText()).toMatch(
        /^Not offered: Broken model, Finished · cnn λ=30 · seed 3 — training collapsed/
      )
      // The Models screen's training form says the same.
      await tab(page, 'Models').click()
      expect(await page.getByTestId('m-ref-collapsed').innerText()).toMatch(
        /^Not offered: Broken model, .*training collapsed/
      )
      await tab(page, 'Plans').click()
      await page.getByTestId('plan-table').waitFor()
      // The page fits the window's width: wide tables scroll inside their card.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        1280
      )
      await shot(page, 'plans-01-finished')
    },
    LONG
  )

  it(
    'resumes a cancelled plan with its Resume button, to the end',
    async () => {
      const { page } = h
      const list = page.getByTestId('plan-list')
      await list.getByText(/cancelled — can resume/).waitFor()
      await list.getByRole('button', { name: /Stopped$/ }).click()
      // The click swaps the shown plan: wait for the stopped plan's progress to replace the other's.
      await expect
        .poll(() => page.getByTestId('plan-progress').innerText())
        .toMatch(/^2 of 5 models trained, 0 of 1 attack sources evaluated/)
      const rows = await page.getByTestId('plan-table').locator('tbody tr').allInnerTexts()
      expect(rows[1]).toMatch(/\(2 to train\)/)
      await shot(page, 'plans-02-stopped')
      await page.getByRole('button', { name: 'Resume (next: model 3 of 5)' }).click()
      await expect
        .poll(() => page.getByTestId('plan-progress').innerText(), { timeout: LONG, interval: 500 })
        .toMatch(/^5 of 5 models trained, 1 of 1 attack sources evaluated/)
      await page
        .getByTestId('plan-list')
        .getByText(/^done$/)
        .first()
        .waitFor({ timeout: LONG })
      await page.getByTestId('plan-figure-6-6').locator('canvas').waitFor()
      await shot(page, 'plans-03-resumed')
    },
    LONG
  )
})
