/**
 * House rules about the sources themselves: no file a reader must scroll through for minutes
 * (600 lines at most), no machine-specific absolute path, and every type that crosses IPC
 * defined once, in the contract.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const MAX_LINES = 600
/** Generated or native code the rule does not cover (ISSUE 18: "outside generated code and the native kernels"). */
const NOT_COVERED = ['src/main/engine/kernels/native/', 'src/main/engine/kernels/simd/']
/**
 * Over the limit today, each with who takes it under: the engine's kernels get one file per
 * kernel with the kernel registry (issue 18, part 3).
 */
const KNOWN_LONG: Record<string, string> = {
  'src/main/engine/kernels/wasmKernels.ts':
    'split into one file per kernel by the kernel registry (issue 18, part 3)'
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) files(path, out)
    else out.push(path)
  }
  return out
}

const sources = ['src', 'bench', 'scripts', 'test']
  .flatMap((d) => files(d))
  .filter((f) => /\.(ts|js|mjs|svelte|css|html|c|cc|h|sh|py)$/.test(f))

describe('the sources', () => {
  it(`keep every file at ${MAX_LINES} lines or fewer`, () => {
    const long = sources
      .filter((f) => !NOT_COVERED.some((p) => f.startsWith(p)) && !(f in KNOWN_LONG))
      .map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > MAX_LINES)
    expect(long).toEqual([])
  })

  it('name no machine-specific absolute path', () => {
    // Built from parts so this file does not name them itself.
    const machinePath = new RegExp(
      ['/wo' + 'rk/', '/ro' + 'ot/', '/ho' + 'me/(?!me/)[a-z]'].join('|')
    )
    const offenders = [
      ...sources,
      'package.json',
      'electron.vite.config.ts',
      'vitest.config.ts',
      'eslint.config.js',
      '.ci/run'
    ].filter((f) => machinePath.test(readFileSync(f, 'utf8')))
    expect(offenders).toEqual([])
  })

  it('define each contract type once: the main side and the renderer import it', () => {
    const declared = (f: string) =>
      [
        ...readFileSync(f, 'utf8').matchAll(
          /export (?:interface|type|class|enum|const|function) (\w+)/g
        )
      ].map((m) => m[1]!)
    const contract = new Set(files('src/contract').flatMap(declared))
    // The name lists the engine keeps as registries of its own (test/contract/names.test.ts proves them equal).
    const registries = new Set(['ARCHITECTURES', 'PENALTY_FORMS', 'SALIENCY_METHODS'])
    const twice = ['src/main', 'src/renderer', 'src/preload']
      .flatMap((d) => files(d))
      .filter((f) => /\.(ts|svelte)$/.test(f))
      .flatMap((f) =>
        declared(f)
          .filter((name) => contract.has(name) && !registries.has(name))
          .map((name) => `${name} in ${f}`)
      )
    expect(twice).toEqual([])
  })
})
