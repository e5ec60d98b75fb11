/** Vite settings of the renderer, shared by electron.vite.config.ts and the loopback build. */
import { fileURLToPath } from 'node:url'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import type { UserConfig } from 'vite'

export const RENDERER_ROOT = fileURLToPath(new URL('../../renderer', import.meta.url))

export function rendererViteConfig(): UserConfig {
  return {
    root: RENDERER_ROOT,
    // Relative asset URLs: the same bundle loads from file:// (Electron) and http:// (loopback).
    base: './',
    plugins: [svelte()],
    build: { target: 'chrome120', sourcemap: false, chunkSizeWarningLimit: 1024 }
  }
}
