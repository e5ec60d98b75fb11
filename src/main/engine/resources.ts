/** Where the engine's bundled and built files (built-in sample, SIMD and native kernels) are found. */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The project root: the folder of the nearest package.json above this module. Walking up
 * (rather than a fixed `../../..`) keeps it right both from src/ under tsx and vitest and
 * from the bundled out/main/ of electron-vite.
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const parent = dirname(dir)
    if (parent === dir) {
      throw new Error(
        `cannot find the project root (no package.json above ${fileURLToPath(import.meta.url)}); set ORTHOLENS_RESOURCES`
      )
    }
    dir = parent
  }
}

/** The resources/ folder: $ORTHOLENS_RESOURCES when set, else `resources/` in the project root. */
export function resourcesDir(): string {
  const override = process.env.ORTHOLENS_RESOURCES
  if (override) return resolve(override)
  return join(projectRoot(), 'resources')
}
