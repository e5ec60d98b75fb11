/**
 * Run by install.test.ts in a fresh process: snapshots tfjs's kernel and gradient registries,
 * imports every module under src/main/engine, and prints as JSON what the imports changed,
 * what installEngine() changed, and whether a second installEngine() threw.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'

const BACKENDS = ['cpu', 'wasm']

function snapshot(): Map<string, unknown> {
  const out = new Map<string, unknown>()
  for (const backend of BACKENDS) {
    for (const k of tf.getKernelsForBackend(backend))
      out.set(`${k.kernelName}@${backend}`, k.kernelFunc)
  }
  const registry = (
    globalThis as unknown as { _tfGlobals: Map<string, Map<string, unknown>> }
  )._tfGlobals.get('gradRegistry')
  for (const [name, config] of registry ?? []) out.set(`grad:${name}`, config)
  return out
}

function changes(before: Map<string, unknown>, after: Map<string, unknown>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()])
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort()
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []
  )
}

const engineDir = join(process.cwd(), 'src', 'main', 'engine')
const before = snapshot()
const files = sources(engineDir)
for (const file of files) await import(pathToFileURL(file).href)
const afterImport = snapshot()
const { installEngine } = (await import(pathToFileURL(join(engineDir, 'install.ts')).href)) as {
  installEngine(): void
}
installEngine()
const afterInstall = snapshot()
let secondInstallThrew = false
try {
  installEngine()
} catch {
  secondInstallThrew = true
}
console.log(
  JSON.stringify({
    modules: files.length,
    changedOnImport: changes(before, afterImport),
    changedByInstall: changes(afterImport, afterInstall).length,
    secondInstallThrew
  })
)
