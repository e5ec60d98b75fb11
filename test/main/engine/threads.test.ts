import { afterEach, describe, expect, it } from 'vitest'
import { defaultThreadCount, wasmPoolThreadCount } from '../../../src/main/engine/threads'

const saved = { threads: process.env.ORTHOLENS_THREADS, wasm: process.env.ORTHOLENS_WASM_THREADS }
const restore = (key: string, value: string | undefined) => {
  if (value === undefined) delete process.env[key]
  else process.env[key] = value
}

describe('thread counts', () => {
  afterEach(() => {
    restore('ORTHOLENS_THREADS', saved.threads)
    restore('ORTHOLENS_WASM_THREADS', saved.wasm)
  })

  it("gives XNNPACK's pool one thread when the native kernels carry the parallel work, all of them otherwise", () => {
    process.env.ORTHOLENS_THREADS = '3'
    delete process.env.ORTHOLENS_WASM_THREADS
    expect(defaultThreadCount()).toBe(3)
    expect(wasmPoolThreadCount(true)).toBe(1)
    expect(wasmPoolThreadCount(false)).toBe(3)
  })

  it('lets ORTHOLENS_WASM_THREADS override, within the cap, and ignores nonsense', () => {
    process.env.ORTHOLENS_THREADS = '2'
    process.env.ORTHOLENS_WASM_THREADS = '2'
    expect(wasmPoolThreadCount(true)).toBe(2)
    process.env.ORTHOLENS_WASM_THREADS = '99'
    expect(wasmPoolThreadCount(true)).toBe(16)
    process.env.ORTHOLENS_WASM_THREADS = 'two'
    expect(wasmPoolThreadCount(false)).toBe(2)
  })
})
