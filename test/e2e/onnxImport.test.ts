/**
 * Issue 15 through the screens (loopback host + headless Chromium): an analyst imports PyTorch
 * exports on the Models screen — the file is read, the form starts from what it says, the
 * declared normalisation is typed in — and sees each model's accuracy with its image count.
 * The project holds two datasets of different shapes (the 28×28 grey sample and a 32×32
 * colour set): no screen offers a model for the dataset it does not fit, and the default sweep
 * that used to die inside conv2d runs. Screenshots land in /tmp/ortholens-shots/onnx-*.png.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { loadModel, saveDataset } from '../../src/main/store'
import { syntheticDataset } from '../helpers/syntheticDataset'
import { startHarness, type Harness, shot, tab } from './harness'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'onnx')
const LONG = 150_000
let h: Harness

beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h?.close()
})

const optionTexts = (page: Page, selector: string) =>
  page.locator(`${selector} option`).allInnerTexts()

/** Opens the import form, reads `file` and returns the form's section. */
async function readFile(page: Page, file: string) {
  const form = page.getByRole('region', { name: 'Import a model' })
  if (!(await form.isVisible())) await page.getByRole('button', { name: 'Import a model…' }).click()
  await page.locator('#mi-path').fill(join(FIXTURES, file))
  await page.getByRole('button', { name: 'Read the file' }).click()
  await page.getByTestId('model-file-facts').waitFor({ timeout: LONG })
  return form
}

async function importAndCheck(page: Page, name: string): Promise<string> {
  await page.locator('#mi-name').fill(name)
  await page.getByRole('button', { name: 'Import and check accuracy' }).click()
  const result = page.getByTestId('model-import-result')
  await result.getByText(`Imported “${name}”`).waitFor({ timeout: LONG })
  return result.innerText()
}

describe('auditing your own model: ONNX import in the window', () => {
  it('imports PyTorch exports with a declared preprocessing and shows their accuracy', async () => {
    const { page, dir, server } = h
    await page.getByLabel('Project file', { exact: true }).fill(join(dir, 'onnx.ortholens'))
    await page.getByRole('button', { name: 'Create project' }).click()
    await page.getByTestId('data-empty').waitFor()
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.getByTestId('class-counts').waitFor({ timeout: 60_000 })
    // A second dataset of another shape: 32x32 colour, as a CIFAR-10 import would give.
    saveDataset(server.session.project!.writable(), {
      ...syntheticDataset({ size: 32, channels: 3, classes: 10, train: 20, validation: 60 }),
      name: 'Colour photos'
    })

    await tab(page, 'Models').click()
    await readFile(page, 'opzoo-opset17.onnx')
    const facts = await page.getByTestId('model-file-facts').innerText()
    expect(facts).toMatch(
      /ONNX · opset 17 · made by pytorch .* · input \[batch, 1, 28, 28\] · 10 classes · 3,470 weights · \d+ operation types/
    )
    // Defaults read from the file: channels first, 28×28, no normalisation yet.
    expect(await page.getByLabel('NCHW — channels first (PyTorch)').isChecked()).toBe(true)
    expect(await page.locator('#mi-h').inputValue()).toBe('28')
    expect(await page.locator('#mi-mean').inputValue()).toBe('0')
    // Only the grey sample fits; the colour set is listed as not fitting, and why.
    const datasets = await optionTexts(page, '#mi-ds')
    expect(datasets[0]).toMatch(/^Fashion-MNIST/)
    expect(datasets[1]).toBe('Colour photos — does not fit')
    expect(await page.locator('#mi-ds option', { hasText: 'Colour photos' }).isDisabled()).toBe(
      true
    )
    await page
      .getByText(
        /Not offered: Model "opzoo-opset17" takes 28x28x1 images; dataset "Colour photos" has 32x32x3/
      )
      .waitFor()

    // The analyst declares the normalisation the model was trained with.
    await page.locator('#mi-mean').fill('0.286')
    await page.locator('#mi-std').fill('0.353')
    await page.locator('#mi-n').fill('200')
    expect(await page.getByTestId('model-formula').innerText()).toMatch(
      /input = \(pixel − mean\) \/ std, laid out NCHW/
    )
    await shot(page, 'onnx-01-import-form')

    const text = await importAndCheck(page, 'PyTorch net')
    // The accuracy the window shows is the one stored, with the images it rests on.
    const m = /Accuracy on “Fashion-MNIST[^”]*”: ([\d.]+) % of 200 validation images/.exec(text)
    expect(m, text).not.toBeNull()
    const id = (await server.session
      .project!.db.prepare("SELECT id FROM models WHERE name = 'PyTorch net'")
      .get()) as { id: number }
    const stored = loadModel(server.session.project!.db, id.id)
    expect(stored.metrics).toMatchObject({ accuracyImages: 200 })
    expect(Number(m![1])).toBeCloseTo(
      100 * (stored.metrics as { valAccuracy: number }).valAccuracy,
      1
    )
    expect(
      (stored.architecture as { preprocessing: { mean: number[] } }).preprocessing.mean
    ).toEqual([0.286])
    const card = page.getByRole('article', { name: 'Model PyTorch net', exact: true })
    // Read as a person sees it (innerText): the markup may wrap the line anywhere.
    await expect
      .poll(() => card.getByTestId('model-source').innerText())
      .toMatch(
        /ONNX from opzoo-opset17\.onnx \(opset 17\) · NCHW · RGB · pixels 0–1 · mean 0\.286 · std 0\.353/
      )
    await card.getByText('Accuracy measured on 200 validation images of “Fashion-MNIST').waitFor()
    await shot(page, 'onnx-02-imported')

    // A second grey model (the same file) and a colour model for the other dataset.
    await readFile(page, 'opzoo-opset17.onnx')
    await page.locator('#mi-mean').fill('0.286')
    await page.locator('#mi-std').fill('0.353')
    await page.locator('#mi-n').fill('100')
    await importAndCheck(page, 'PyTorch net (copy)')
    await readFile(page, 'cifar-opset17.onnx')
    // For this one the colour set is the dataset that fits, chosen by default.
    expect(await page.locator('#mi-ds').inputValue()).toBe(String(2))
    await page.locator('#mi-n').fill('60')
    expect(await importAndCheck(page, 'CIFAR net')).toMatch(
      /Accuracy on “Colour photos”: [\d.]+ % of 60 validation images/
    )
    // Training on the grey sample: the colour model is not offered as the reference.
    expect(await optionTexts(page, '#m-ref')).toEqual(['None', 'PyTorch net', 'PyTorch net (copy)'])
    // Comparing two models (δ): only models and datasets that fit each other are offered.
    expect(await optionTexts(page, '#sim-a')).toEqual([
      'PyTorch net',
      'PyTorch net (copy)',
      'CIFAR net'
    ])
    expect(await optionTexts(page, '#sim-b')).toEqual(['PyTorch net (copy)'])
    expect(await optionTexts(page, '#sim-ds')).toEqual([expect.stringMatching(/^Fashion-MNIST/)])
    await page.locator('#sim-a').selectOption({ label: 'CIFAR net' })
    expect(await optionTexts(page, '#sim-ds')).toEqual(['Colour photos'])
    expect(await optionTexts(page, '#sim-b')).toEqual([])
    await page
      .getByTestId('sim-no-b')
      .getByText('No other usable model runs on “Colour photos” with “CIFAR net”')
      .waitFor()
    expect(await page.getByRole('button', { name: 'Measure δ' }).isDisabled()).toBe(true)
  })

  it('offers no model for a dataset it does not fit, and the default sweep runs', async () => {
    const { page } = h
    await tab(page, 'Attacks').click()
    const picker = page.locator('#a-ds')
    await picker.waitFor()
    expect(await optionTexts(page, '#a-ds')).toEqual([
      expect.stringMatching(/^Fashion-MNIST .* — 28×28 grey, 10 classes$/),
      'Colour photos — 32×32 colour, 10 classes'
    ])
    // On the grey sample: the two grey models, not the colour one.
    expect(await optionTexts(page, '#a-src')).toEqual(['PyTorch net', 'PyTorch net (copy)'])
    const targets = page.getByRole('group', { name: 'Targets (tested on the same images)' })
    expect(await targets.getByRole('checkbox').count()).toBe(1)
    expect(await targets.innerText()).not.toMatch(/CIFAR/)
    await page
      .getByTestId('a-ds-hidden')
      .getByText(/Not offered here \(1\): CIFAR net — it takes other images or classes/)
      .waitFor()
    await shot(page, 'onnx-03-attacks-grey')

    // The default sweep (every other model a target) — the one that died in conv2d before.
    await page.locator('#a-eps').fill('4')
    await page.locator('#a-n').fill('10')
    await page.getByRole('button', { name: 'Run sweep' }).click()
    await page
      .getByTestId('sweep-table')
      .getByText('PyTorch net (copy)')
      .first()
      .waitFor({ timeout: LONG })

    await picker.selectOption({ label: 'Colour photos — 32×32 colour, 10 classes' })
    expect(await optionTexts(page, '#a-src')).toEqual(['CIFAR net'])
    await page.getByText('No other model yet: only the source is tested.').waitFor()
    await shot(page, 'onnx-04-attacks-colour')

    await tab(page, 'Explain').click()
    await page.locator('#x-ds').waitFor()
    const models = page.getByRole('group', { name: 'Models' })
    expect(await models.innerText()).not.toMatch(/CIFAR/)
    // The layer picker lists the ONNX model's spatial layers; its default is the last one.
    const layers = await optionTexts(page, '#x-stage')
    expect(layers[0]).toBe('the last spatial layer (default)')
    expect(layers).toContain('/c1/Conv')
    expect(await optionTexts(page, '#xp-src')).toEqual(['PyTorch net', 'PyTorch net (copy)'])
    await shot(page, 'onnx-05-explain-grey')

    await tab(page, 'Defenses').click()
    await page.locator('#d-ds').waitFor()
    await page.getByText(/You have\s+2 for this dataset/).waitFor()
  })
})
