import { defineConfig } from 'vitest/config'

// Engine tests run in plain Node: `electron` is aliased to a stub because a real
// require('electron') outside Electron tries to download the binary.
export default defineConfig({
  resolve: {
    alias: { electron: new URL('./test/stubs/electron.ts', import.meta.url).pathname }
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/setup/nativeKernels.ts'],
    setupFiles: ['test/setup/engine.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One compute thread per test worker: two workers with two threads each would fight over
    // the two cores (wasmThreads.test.ts asks for two threads itself).
    // Pool-recycled cpu outputs arrive filled with NaN, so a native kernel that leaves any
    // element unwritten fails its tests (kernels/cpuBufferPool.ts).
    env: { ORTHOLENS_THREADS: '1', ORTHOLENS_POOL_POISON: '1' },
    // Two cores: more workers only fight over them.
    maxWorkers: 2
  }
})
