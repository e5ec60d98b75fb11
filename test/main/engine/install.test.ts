/**
 * The engine is installed on purpose: importing any engine module leaves TensorFlow.js's
 * kernel and gradient registries as tfjs made them, installEngine() (called by initBackend)
 * installs the project's kernels and gradients once, and a second claim on a kernel or a
 * gradient throws. The import check runs in a fresh process, since this test worker's set-up
 * has already installed the engine.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tf } from '../../../src/main/engine/tf'
import { engineInstalled, installEngine } from '../../../src/main/engine/install'
import { ourKernels, ourKernelConfigs } from '../../../src/main/engine/kernels'
import { registerOurKernel } from '../../../src/main/engine/kernels/registry'
import { ourGradientConfigs } from '../../../src/main/engine/gradients'
import {
  ourGradientKernels,
  registerOurGradient
} from '../../../src/main/engine/gradients/registry'

const root = fileURLToPath(new URL('../../..', import.meta.url))

describe('installing the engine', () => {
  it('importing every engine module changes no registration; installEngine() then installs all, once', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'test/main/engine/installProbe.ts'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, ORTHOLENS_THREADS: '1' }
      }
    )
    expect(run.status, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      modules: number
      changedOnImport: string[]
      changedByInstall: number
      secondInstallThrew: boolean
    }
    expect(report.modules).toBeGreaterThan(80)
    expect(report.changedOnImport).toEqual([])
    expect(report.changedByInstall).toBe(ourKernelConfigs.length + ourGradientConfigs.length)
    expect(report.secondInstallThrew).toBe(false)
  })

  it('has installed every kernel and gradient in this worker (test set-up)', () => {
    expect(engineInstalled()).toBe(true)
    expect(ourKernels()).toHaveLength(ourKernelConfigs.length)
    expect(ourKernels()).toEqual(
      expect.arrayContaining([
        'Conv2D@wasm',
        'Conv2D@cpu',
        'Slice@wasm',
        'Add@cpu',
        'OrthoLensBatchNormTrain@cpu'
      ])
    )
    expect(ourGradientKernels()).toHaveLength(ourGradientConfigs.length)
    installEngine()
    expect(ourKernels()).toHaveLength(ourKernelConfigs.length)
  })

  it('refuses a second registration of a kernel on the same backend, and of a gradient', () => {
    const slice = ourKernelConfigs.find(
      (c) => c.kernelName === tf.Slice && c.backendName === 'wasm'
    )!
    expect(() => registerOurKernel(slice)).toThrow(/Kernel "Slice" on wasm is registered twice/)
    expect(() => registerOurGradient(ourGradientConfigs[0]!)).toThrow(/registered twice/)
  })
})
