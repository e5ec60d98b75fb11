/**
 * e2e harness: builds the renderer once, starts the loopback host on a temp settings dir and
 * drives Debian's Chromium through playwright-core (the Electron binary cannot run here).
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { buildRenderer } from '../../src/main/server/buildRenderer'
import { startLoopbackServer, type LoopbackServer } from '../../src/main/server/server'

export const SHOTS = '/tmp/ortholens-shots'

export interface Harness {
  dir: string
  server: LoopbackServer
  context: BrowserContext
  page: Page
  close(): Promise<void>
}

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ortholens-e2e-'))
  const rendererDir = await buildRenderer(join(dir, 'renderer'), true)
  const server = await startLoopbackServer({
    rendererDir,
    settingsDir: join(dir, 'settings'),
    documentsDir: join(dir, 'Documents', 'Ortholens')
  })
  mkdirSync(SHOTS, { recursive: true })
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (
      m.type() === 'error' &&
      !/favicon|status of 404|token=wrong/.test(m.text() + m.location().url)
    )
      errors.push(m.text())
  })
  await page.goto(server.url)
  return {
    dir,
    server,
    context,
    page,
    async close() {
      await context.close()
      await server.close()
      rmSync(dir, { recursive: true, force: true })
      if (errors.length > 0) throw new Error(`browser errors: ${errors.join(' | ')}`)
    }
  }
}

/** Screenshots a screen after checking that every control on it has a name a person can read. */
export async function shot(page: Page, name: string): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => {
        const e = el as HTMLInputElement
        return !(
          (e.labels && e.labels.length > 0) ||
          e.getAttribute('aria-label') ||
          (el.tagName === 'BUTTON' && el.textContent?.trim())
        )
      })
      .map((el) => el.outerHTML.slice(0, 100))
  )
  expect(unlabelled, `unlabelled controls on ${name}`).toEqual([])
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

/** A screen's button in the navigation bar. */
export const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name, exact: true })
