/**
 * Builds the renderer for the loopback host with the same Vite settings electron-vite uses
 * for the window (rendererViteConfig), so both hosts serve the same bundle.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'
import { RENDERER_ROOT, rendererViteConfig } from './rendererConfig'

/** Newest modification time (ms) of the files under `dir`, 0 where it does not exist. */
export function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(
        newest,
        statSync(join(entry.parentPath ?? (entry as { path?: string }).path ?? dir, entry.name))
          .mtimeMs
      )
  }
  return newest
}

/** Whether `outDir` holds a build newer than every renderer and contract source file. */
export function buildIsFresh(outDir: string): boolean {
  const index = join(outDir, 'index.html')
  if (!existsSync(index)) return false
  const sources = Math.max(
    newestMtime(RENDERER_ROOT),
    newestMtime(join(RENDERER_ROOT, '..', 'contract'))
  )
  return statSync(index).mtimeMs >= sources
}

/**
 * Builds into `outDir` unless it already holds a build that is newer than every renderer
 * and contract source (an updated checkout must not be served its old UI) and `force` is
 * false.
 */
export async function buildRenderer(outDir: string, force = false): Promise<string> {
  if (!force && buildIsFresh(outDir)) return outDir
  await build({
    ...rendererViteConfig(),
    configFile: false,
    logLevel: 'warn',
    build: { ...rendererViteConfig().build, outDir, emptyOutDir: true }
  })
  return outDir
}
