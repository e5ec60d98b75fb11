/**
 * The robustness verdict in the browser-hosted app (issue 14): a tiny project (8x8 linear
 * models, one of them 10 points below its reference) opened through the Projects screen; the
 * model card shows the accuracy-cost flag; the Evaluate screen runs an evaluation through the
 * job worker and renders a verdict card per model whose figures are the stored run's; a second
 * evaluation is cancelled from the screen and recorded as cancelled; Results → Re-run replays
 * the finished one. Screenshots land in /tmp/ortholens-shots/ (verdict-*.png).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/engine/backend'
import { getRun, listRuns, saveModel } from '../../src/main/store'
import { evaluationView } from '../../src/main/services/evaluation/view'
import { LINEAR, linear, tinyProject, type TinyProject } from '../main/services/fixtures'
import { SHOTS, startHarness, type Harness, tab } from './harness'

const LONG = 150_000
let h: Harness
let t: TinyProject

beforeAll(async () => {
  await initBackend('cpu')
  t = tinyProject()
  // An orthogonal model of the source, 10 points of validation accuracy below it.
  const net = linear(7, 'costly')
  saveModel(t.project.writable(), {
    name: 'costly',
    architecture: LINEAR,
    weights: net.exportWeights(),
    datasetId: t.datasetId,
    referenceModelId: t.sourceId,
    trainingConfig: { request: {}, resolved: { lambda: 30, penaltyForm: 'squared' } },
    status: 'ready',
    metrics: { valAccuracy: 0.8 }
  })
  net.dispose()
  t.project.close()
  h = await startHarness()
})
afterAll(async () => {
  await h?.close()
  t?.cleanup()
})

describe('the verdict card in Chromium', () => {
  it('shows the accuracy cost on the model card', async () => {
    const { page } = h
    await page.getByLabel('Existing project file', { exact: true }).fill(t.path)
    await page.getByRole('button', { name: 'Open project' }).click()
    await page.getByTestId('project-header').getByText('tiny').first().waitFor()
    await tab(page, 'Models').click()
    const card = page.getByRole('article', { name: 'Model costly', exact: true })
    await card.getByTestId('accuracy-cost').waitFor()
    expect(await card.getByTestId('accuracy-cost').innerText()).toBe(
      '⚠ Accuracy cost: Clean accuracy 80 % is 10.0 points below the reference "source" (90 %).'
    )
    expect(
      await page
        .getByRole('article', { name: 'Model orthogonal', exact: true })
        .getByTestId('accuracy-cost')
        .count()
    ).toBe(0)
    await page.screenshot({ path: join(SHOTS, 'verdict-01-model-cards.png'), fullPage: true })
  })

  it('evaluates from the Evaluate screen and renders a verdict card per model from the stored numbers', async () => {
    const { page, server } = h
    await tab(page, 'Evaluate').click()
    await page.getByText('No evaluation yet.').waitFor()
    await page.locator('#e-eps').fill('5, 30')
    await page.locator('#e-n').fill('30')
    await page.locator('#e-q').fill('40')
    await page.getByRole('button', { name: 'Run the evaluation' }).click()
    const cards = page.getByTestId('verdict-card')
    await page.getByTestId('evaluation-result').waitFor({ timeout: LONG })
    // Every ready model of the dataset (the collapsed one is not offered).
    expect(await cards.count()).toBe(4)
    const project = server.session.project!
    const run = listRuns(project.db, { kind: 'robustness-evaluation' })[0]!
    expect(run.status).toBe('done')
    const view = evaluationView(project, getRun(project.db, run.id)!)
    expect(view.models.map((m) => m.name)).toEqual(['source', 'ordinary', 'orthogonal', 'costly'])
    for (const [j, m] of view.models.entries()) {
      const card = cards.nth(j)
      expect(await card.getByRole('heading').innerText()).toContain(m.name)
      // The verdict's sentences, as computed from the run (its flag sentences are the boxes above).
      expect(await card.getByTestId('verdict-lines').locator('p').allInnerTexts()).toEqual(
        m.verdict.filter((line) => !/^(Accuracy cost|Warning): /.test(line))
      )
      expect(await card.getByTestId('verdict-flag').allInnerTexts()).toEqual(
        m.flags.map(
          (f) =>
            `⚠ ${f.code === 'accuracy-cost' ? 'Accuracy cost' : 'Sanity check failed'}: ${f.message}`
        )
      )
      // The big worst-case figure of each ε, with its count and interval.
      const figures = await card.getByTestId('worst-figure').allInnerTexts()
      expect(figures).toHaveLength(2)
      m.byEpsilon.forEach((e, k) => {
        expect(figures[k]).toContain(`${(100 * e.worst.value).toFixed(1)} %`)
        expect(figures[k]).toContain(`${e.worst.count} of 30 images`)
        expect(figures[k]).toContain(
          `${e.worst.count} of the ${m.clean.count} it classifies correctly`
        )
        expect(figures[k]).toContain(
          `95 % CI ${(100 * e.worst.ci95[0]).toFixed(1)}–${(100 * e.worst.ci95[1]).toFixed(1)} %`
        )
      })
    }
    const orthogonal = cards.nth(2)
    expect(await orthogonal.getByTestId('verdict-lines').innerText()).toMatch(
      /Orthogonal training \(λ = 30\)/
    )
    // The costly model's card raises its accuracy cost (it trails the source on these images).
    const costly = view.models[3]!
    expect(costly.flags.map((f) => f.code)).toContain('accuracy-cost')
    expect(await cards.nth(3).getByTestId('verdict-flag').first().innerText()).toMatch(
      /^⚠ Accuracy cost: Clean accuracy/
    )
    await page.screenshot({ path: join(SHOTS, 'verdict-02-evaluate.png'), fullPage: true })
    await orthogonal.locator('summary').click()
    const table = orthogonal.getByTestId('evaluation-table')
    await table.waitFor()
    expect(await table.innerText()).toContain('cascade: after the attacks before it')
    await orthogonal.screenshot({ path: join(SHOTS, 'verdict-03-orthogonal-card.png') })
  })

  it('cancels a running evaluation into a cancelled run, and re-runs the finished one from Results', async () => {
    const { page, server } = h
    const project = server.session.project!
    const count = (status: string) =>
      listRuns(project.db, { kind: 'robustness-evaluation', status: status as 'done' }).length
    // A long one (80 images, AutoAttack's Square budget): cancelled from the screen.
    await page.locator('#e-n').fill('80')
    await page.locator('#e-q').fill('5000')
    await page.getByRole('button', { name: 'Run the evaluation' }).click()
    await page.getByRole('button', { name: 'Cancel evaluation' }).click({ timeout: LONG })
    await page.getByText('Evaluation cancelled.').waitFor({ timeout: LONG })
    expect(count('cancelled')).toBe(1)
    expect(count('done')).toBe(1)

    await tab(page, 'Results').click()
    const rows = page.getByTestId('runs').locator('tbody tr')
    const cancelledRow = rows
      .filter({ hasText: 'robustness-evaluation' })
      .filter({ hasText: 'cancelled' })
    expect(await cancelledRow.count()).toBe(1)
    const done = listRuns(project.db, { kind: 'robustness-evaluation', status: 'done' })[0]!
    await page.getByRole('button', { name: `Re-run run ${done.id}` }).click()
    await page.getByText(`Re-running run #${done.id}`).waitFor()
    await expect.poll(() => count('done'), { timeout: LONG, interval: 500 }).toBe(2)
    await page.screenshot({ path: join(SHOTS, 'verdict-04-results.png'), fullPage: true })
    // The re-run measured the same numbers from the same request.
    const [again, first] = listRuns(project.db, { kind: 'robustness-evaluation', status: 'done' })
    const a = evaluationView(project, getRun(project.db, again!.id)!)
    const b = evaluationView(project, getRun(project.db, first!.id)!)
    expect(a.models.map((m) => m.byEpsilon.map((e) => e.worst.count))).toEqual(
      b.models.map((m) => m.byEpsilon.map((e) => e.worst.count))
    )
  })
})
