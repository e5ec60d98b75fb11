/**
 * `tsx src/main/server/cli.ts [--port N] [--rebuild] [--renderer DIR]`: builds the renderer if
 * needed, starts the loopback host and prints the URL to open in a browser.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildRenderer } from './buildRenderer'
import { startLoopbackServer } from './server'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

async function main(): Promise<void> {
  const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
  const rendererDir = resolve(flag('--renderer') ?? join(repoRoot, 'out', 'renderer-web'))
  await buildRenderer(rendererDir, process.argv.includes('--rebuild'))
  const server = await startLoopbackServer({
    rendererDir,
    settingsDir: process.env.ORTHOLENS_SETTINGS_DIR ?? join(homedir(), '.config', 'ortholens'),
    // A bare project name typed in the browser lands here (default ~/Documents/Ortholens).
    ...(process.env.ORTHOLENS_DOCUMENTS_DIR
      ? { documentsDir: resolve(process.env.ORTHOLENS_DOCUMENTS_DIR) }
      : {}),
    port: flag('--port') ? Number(flag('--port')) : undefined
  })
  console.log(`Ortholens is serving on 127.0.0.1 only. Open:\n  ${server.url}`)
  const stop = (): void => void server.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
