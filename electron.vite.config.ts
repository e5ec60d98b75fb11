import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { rendererViteConfig } from './src/main/server/rendererConfig'

// Main: two entries, the app and the job worker (worker_threads), so the worker is a plain
// file next to index.js (src/main/index.ts passes new URL('./worker.js', import.meta.url)).
// Native and tfjs packages stay external: they are loaded from node_modules at run time.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          worker: resolve(import.meta.dirname, 'src/main/jobs/worker.ts')
        },
        output: { entryFileNames: '[name].js' }
      }
    }
  },
  preload: {
    build: {
      // A sandboxed preload must be CommonJS (Electron loads ESM preloads only unsandboxed).
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    ...rendererViteConfig(),
    build: {
      ...rendererViteConfig().build,
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } }
    }
  }
})
