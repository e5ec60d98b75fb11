#!/usr/bin/env node
/**
 * Builds the optional native convolution kernels (src/main/engine/kernels/native/) into
 * build/native/ortholens_native.node with the machine's C++ compiler and Node's own headers.
 * Runs at `npm install` (postinstall) and from the test set-up; does nothing when the build
 * is newer than its sources.
 *
 * Optional by design: with no compiler, no headers, or a failed compile, it says so and exits
 * 0, and the engine keeps its WebAssembly kernels. --strict makes a failure an error.
 * ORTHOLENS_NATIVE_KERNELS=0 skips the build (and the kernels at run time).
 *
 * On x86-64 the kernels are compiled three times (AVX-512, AVX2+FMA, SSE2) into one binary
 * that picks the best the CPU supports at load time, so a build can move between machines.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = join(root, 'src/main/engine/kernels/native')
const outDir = join(root, 'build/native')
export const nativeBinary = join(outDir, 'ortholens_native.node')
const strict = process.argv.includes('--strict')
const quiet = process.argv.includes('--quiet')

function say(message) {
  if (!quiet) console.log(`[native kernels] ${message}`)
}

function giveUp(message) {
  if (strict) {
    console.error(`[native kernels] ${message}`)
    process.exit(1)
  }
  say(`${message}; the engine will use its WebAssembly kernels.`)
  process.exit(0)
}

function newestSource() {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs
  for (const f of readdirSync(srcDir)) newest = Math.max(newest, statSync(join(srcDir, f)).mtimeMs)
  return newest
}

function findCompiler() {
  for (const cxx of [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean)) {
    if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status === 0) return cxx
  }
  return undefined
}

function findNodeHeaders() {
  const candidates = [
    process.env.ORTHOLENS_NODE_HEADERS,
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node'
  ].filter(Boolean)
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h')))
}

function compile(cxx, args) {
  return new Promise((done) => {
    const child = spawn(cxx, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('error', (e) => done({ ok: false, err: e.message }))
    child.on('close', (code) => done({ ok: code === 0, err }))
  })
}

async function main() {
  if (process.env.ORTHOLENS_NATIVE_KERNELS === '0')
    return say('skipped (ORTHOLENS_NATIVE_KERNELS=0)')
  if (existsSync(nativeBinary) && statSync(nativeBinary).mtimeMs >= newestSource())
    return say('up to date')
  const cxx = findCompiler()
  if (!cxx) return giveUp('no C++ compiler found (set CXX)')
  const headers = findNodeHeaders()
  if (!headers) return giveUp("Node's headers (node_api.h) not found (set ORTHOLENS_NODE_HEADERS)")
  const x86 = process.arch === 'x64'
  const objDir = join(outDir, 'obj')
  mkdirSync(objDir, { recursive: true })
  const common = ['-O3', '-std=c++17', '-fPIC', '-fvisibility=hidden', '-I', srcDir, '-I', headers]
  const units = [
    { file: 'conv_base.cc', flags: [] },
    { file: 'batchnorm.cc', flags: [] },
    { file: 'affine.cc', flags: [] },
    { file: 'elementwise.cc', flags: [] },
    {
      file: 'ortholens_native.cc',
      flags: x86 ? ['-DORTHOLENS_X86', '-DNAPI_VERSION=8'] : ['-DNAPI_VERSION=8']
    }
  ]
  if (x86) {
    // GCC's generic tuning splits unaligned 256-bit loads and stores into 128-bit halves;
    // whole 256-bit accesses are right for every AVX2 CPU since Haswell (see also load() in
    // conv_impl.h).
    units.push({
      file: 'conv_avx2.cc',
      flags: [
        '-mavx2',
        '-mfma',
        '-mno-avx256-split-unaligned-load',
        '-mno-avx256-split-unaligned-store'
      ]
    })
    units.push({
      file: 'conv_avx512.cc',
      flags: ['-mavx512f', '-mavx512vl', '-mavx512dq', '-mavx2', '-mfma']
    })
  }
  const started = Date.now()
  const results = await Promise.all(
    units.map((u) =>
      compile(cxx, [
        ...common,
        ...u.flags,
        '-c',
        join(srcDir, u.file),
        '-o',
        join(objDir, u.file.replace(/\.cc$/, '.o'))
      ])
    )
  )
  const failed = results.findIndex((r) => !r.ok)
  if (failed >= 0)
    return giveUp(`compiling ${units[failed].file} failed:\n${results[failed].err.trim()}`)
  const objects = units.map((u) => join(objDir, u.file.replace(/\.cc$/, '.o')))
  const linkFlags = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : ['-pthread']
  const temp = `${nativeBinary}.${process.pid}.tmp`
  const link = await compile(cxx, ['-shared', ...objects, ...linkFlags, '-o', temp])
  if (!link.ok) return giveUp(`linking failed:\n${link.err.trim()}`)
  renameSync(temp, nativeBinary)
  rmSync(objDir, { recursive: true, force: true })
  say(`built ${nativeBinary} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

await main()
