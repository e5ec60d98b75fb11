/**
 * Builds the renderer for the loopback host with the same Vite settings electron-vite uses
 * for the window (rendererViteConfig), so both hosts serve the same bundle.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'
import { rendererViteConfig } from './rendererConfig'

/** Builds into `outDir` (unless it already holds a build and `force` is false). */
export async function buildRenderer(outDir: string, force = false): Promise<string> {
  if (!force && existsSync(join(outDir, 'index.html'))) return outDir
  await build({ ...rendererViteConfig(), configFile: false, logLevel: 'warn', build: { ...rendererViteConfig().build, outDir, emptyOutDir: true } })
  return outDir
}
