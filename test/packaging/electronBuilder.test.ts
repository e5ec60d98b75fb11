/**
 * The packaging configuration (electron-builder.json), checked without electron-builder (it
 * cannot run here: no Electron binary; and 279 packages for one JSON check): it is valid for
 * electron-builder's own schema (vendored, scripts/vendor-builder-schema.mjs), it builds
 * AppImage + deb, NSIS and dmg, it packs everything the app loads at run time, and every
 * file loaded by path rather than read through fs (native addons, WebAssembly, the wasm
 * backend's worker scripts) is unpacked from the asar archive.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { globMatches, validateJson } from '../helpers/jsonSchema'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const json = (p: string) =>
  JSON.parse(readFileSync(join(root, p), 'utf8')) as Record<string, unknown>
const config = json('electron-builder.json') as {
  files: string[]
  asarUnpack: string[]
  directories: { output: string; buildResources: string }
  linux: { target: string[] }
  win: { target: string[] }
  mac: { target: string[] }
  asar: boolean
}
const schema = json('test/fixtures/electron-builder.schema.json')

/** Whether electron-builder's `files` take `path`: a positive pattern matches, no "!" one does. */
function packed(path: string): boolean {
  const positive = config.files.filter((p) => !p.startsWith('!'))
  const negative = config.files.filter((p) => p.startsWith('!')).map((p) => p.slice(1))
  // Production dependencies are packed by electron-builder itself, unless a "!" pattern drops them.
  const included = path.startsWith('node_modules/') || positive.some((p) => globMatches(p, path))
  return included && !negative.some((p) => globMatches(p, path))
}
const unpacked = (path: string) => config.asarUnpack.some((p) => globMatches(p, path))

/** Package folders of the production dependency closure, as paths relative to the root. */
function productionPackages(): string[] {
  const seen = new Set<string>()
  const visit = (fromDir: string, name: string, optional: boolean): void => {
    for (let dir = fromDir; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name)
      if (existsSync(join(candidate, 'package.json'))) {
        const rel = relative(root, candidate)
        if (seen.has(rel)) return
        seen.add(rel)
        const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as Record<
          string,
          Record<string, string>
        >
        for (const dep of Object.keys(pkg.dependencies ?? {})) visit(candidate, dep, false)
        for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(candidate, dep, true)
        return
      }
      if (dir === root || dirname(dir) === dir) {
        if (!optional)
          throw new Error(
            `production dependency ${name} (from ${relative(root, fromDir) || 'the app'}) is not installed`
          )
        return
      }
    }
  }
  const app = json('package.json') as Record<string, Record<string, string>>
  for (const dep of Object.keys(app.dependencies ?? {})) visit(root, dep, false)
  for (const dep of Object.keys(app.optionalDependencies ?? {})) visit(root, dep, true)
  return [...seen]
}

/** Files under `dir` (relative to the root), not descending into nested packages. */
function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...filesUnder(rel))
    else if (e.isFile()) out.push(rel)
  }
  return out
}

describe('electron-builder.json', () => {
  it('is valid for electron-builder’s schema', () => {
    expect(validateJson(schema, config)).toEqual([])
  })

  it('the schema check catches a misspelt option and a wrong type (it is not a pass-through)', () => {
    expect(validateJson(schema, { ...config, asarUnpak: ['x'] })).toEqual([
      '$: "asarUnpak" is not a known option'
    ])
    const bad = validateJson(schema, { ...config, linux: { target: 5 } })
    expect(bad).toHaveLength(1)
    expect(bad[0]).toMatch(
      /^\$\.linux: matches none of .*\$\.linux\.target: expected object, got integer/
    )
    expect(validateJson(schema, { ...config, nsis: { oneClick: 'no' } })).toEqual([
      '$.nsis: matches none of 2 allowed forms; closest: $.nsis.oneClick: expected boolean, got string'
    ])
  })

  it('builds AppImage and deb, an NSIS installer and a dmg', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.win.target).toEqual(['nsis'])
    expect(config.mac.target).toEqual(['dmg'])
    expect(config.asar).toBe(true)
  })

  it('packs what the app loads: the bundles, the entry, the resources and the native kernels', () => {
    const entry = (json('package.json').main as string).replace(/^\.\//, '')
    for (const f of [
      'package.json',
      entry,
      'out/main/worker.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
      'resources/fashion-mnist-sample.olds.gz',
      ...filesUnder('resources/wasm'),
      'build/native/ortholens_native.node'
    ])
      expect(packed(f), f).toBe(true)
    for (const f of [
      'src/main/index.ts',
      'test/packaging/electronBuilder.test.ts',
      'out/main/index.js.map',
      'node_modules/@tensorflow/tfjs-node-gpu/package.json',
      // better-sqlite3's sources and compiler intermediates (built from source at install).
      'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c',
      'node_modules/better-sqlite3/build/Release/obj.target/better_sqlite3.node'
    ])
      expect(packed(f), f).toBe(false)
    // electron-builder leaves its buildResources folder out of the app: it must not be build/,
    // where the native kernels are.
    expect(config.directories.buildResources).not.toBe('build')
    expect(config.files.some((p) => globMatches(p, `${config.directories.output}/x`))).toBe(false)
  })

  it('unpacks every native addon and WebAssembly file the app ships from the asar', () => {
    const ours = ['build/native/ortholens_native.node', ...filesUnder('resources/wasm')].filter(
      (f) => existsSync(join(root, f))
    )
    const theirs = productionPackages()
      .flatMap((dir) => filesUnder(dir))
      .filter((f) => /\.(node|wasm)$/.test(f))
    // The wasm backend also runs its own worker scripts by path.
    const wasmOut = 'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out'
    const workers = filesUnder(wasmOut).filter((f) => f.endsWith('.js'))
    const runtime = [...ours, ...theirs, ...workers].filter(packed)
    expect(runtime).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node')
    expect(runtime).toContain(
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'
    )
    expect(runtime).toContain(`${wasmOut}/tfjs-backend-wasm-threaded-simd.wasm`)
    expect(runtime.filter((f) => f.startsWith('resources/wasm/')).length).toBeGreaterThan(0)
    expect(statSync(join(root, 'build/native/ortholens_native.node')).isFile()).toBe(true)
    expect(runtime.filter((f) => !unpacked(f))).toEqual([])
  })
})

describe('globMatches (electron-builder’s pattern reading, as far as this config uses it)', () => {
  it('reads **, *, ? and {a,b} as minimatch does', () => {
    expect(globMatches('out/**/*', 'out/main/index.js')).toBe(true)
    expect(globMatches('out/**/*', 'outside/x')).toBe(false)
    expect(globMatches('build/native/*.node', 'build/native/a.node')).toBe(true)
    expect(globMatches('build/native/*.node', 'build/native/sub/a.node')).toBe(false)
    expect(globMatches('**/*.map', 'out/main/index.js.map')).toBe(true)
    expect(globMatches('**/*.map', 'index.js.map')).toBe(true)
    expect(globMatches('x/*.{wasm,js}', 'x/a.js')).toBe(true)
    expect(globMatches('x/*.{wasm,js}', 'x/a.json')).toBe(false)
    expect(
      globMatches(
        'node_modules/@tensorflow/tfjs-node*/**',
        'node_modules/@tensorflow/tfjs-node-gpu/lib/x.so'
      )
    ).toBe(true)
    expect(() => globMatches('a/[bc]', 'a/b')).toThrow(/does not read/)
    expect(() => globMatches('a/@(b|c)', 'a/b')).toThrow(/does not read/)
  })
})
