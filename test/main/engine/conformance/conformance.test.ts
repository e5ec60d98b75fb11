/**
 * The conformance suite (issue 21): every op whose gradient the app writes itself (conv,
 * pooling with ties, batch norm in training and inference, cross-entropy, the orthogonality
 * penalty), the attack steps, the defenses, and one orthogonal objective per architecture,
 * against float64 references from PyTorch and PIL (test/fixtures/conformance/, made by
 * scripts/conformance/make-fixtures.sh), on every backend that loads here (wasm, cpu) with
 * the native kernels on and off. Tolerances per op are in compare.ts; for each output an
 * injected relative error of 1e-3 must fail.
 *
 * ORTHOLENS_CONFORMANCE_TABLE=FILE writes the worst error per op and configuration as a
 * Markdown table.
 */
import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  nativeKernelStatus,
  setNativeKernels
} from '../../../../src/main/engine/kernels/nativeKernels'
import { conformanceCases, inputChecksum, type Case } from './cases'
import { injectError, loadReferences, measure, toleranceFor } from './compare'
import { runCase } from './run'

const references = loadReferences()
const cases = conformanceCases()
const nativeBuilt = nativeKernelStatus().active
const configs = (['wasm', 'cpu'] as const).flatMap((backend) =>
  (nativeBuilt ? [true, false] : [false]).map((native) => ({
    backend,
    native,
    label: `${backend}, native ${native ? 'on' : 'off'}`
  }))
)

/** Row of the summary table for a case and output. */
function rowOf(c: Case, output: string): string {
  if (c.op === 'model')
    return `orthogonal objective gradient, ${c.arch}${output === 'g1' ? ' (input gradient)' : ''}`
  if (c.op === 'batchNormTrain') {
    return ['ddy', 'ddx', 'ddgamma'].includes(output)
      ? 'batch norm train, 2nd order'
      : ['dx', 'dgamma', 'dbeta'].includes(output)
        ? 'batch norm train, 1st order'
        : 'batch norm train, forward'
  }
  if (c.op === 'conv') return output === 'dwdx' ? 'conv, 2nd order' : 'conv, forward and 1st order'
  if (c.op === 'crossEntropy')
    return output === 'hvp'
      ? 'cross-entropy, 2nd order (Hv)'
      : 'cross-entropy, loss and gradient (per entry)'
  return {
    maxPool: 'max pool with ties',
    avgPool: 'avg pool (same padding)',
    attack: 'attack steps (images, abs)',
    jpeg: 'JPEG gray (levels, abs)',
    bitDepth: 'bit depth (abs)',
    tvm: 'TVM (abs)',
    bilateral: 'bilateral (abs)',
    batchNormInference: 'batch norm inference (+ReLU)',
    penalty: 'orthogonality penalty'
  }[c.op]!
}

const table = new Map<string, Map<string, number>>()
function record(row: string, column: string, value: number): void {
  const cells = table.get(row) ?? new Map<string, number>()
  cells.set(column, Math.max(cells.get(column) ?? 0, value))
  table.set(row, cells)
}

afterAll(() => {
  const file = process.env.ORTHOLENS_CONFORMANCE_TABLE
  if (!file) return
  const columns = configs.map((c) => c.label)
  const lines = [
    `| op | ${columns.join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`
  ]
  for (const [row, cells] of table)
    lines.push(
      `| ${row} | ${columns.map((c) => (cells.has(c) ? cells.get(c)!.toExponential(1) : '–')).join(' | ')} |`
    )
  writeFileSync(file, lines.join('\n') + '\n')
})

describe('conformance fixture', () => {
  it('has a reference for every case, made from the inputs the cases generate now', () => {
    for (const c of cases) {
      const ref = references.get(c.name)
      expect(ref, c.name).toBeDefined()
      const [s, s2] = inputChecksum(c)
      expect(Math.abs(s - ref!.checksum[0]), c.name).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(s))
      )
      expect(Math.abs(s2 - ref!.checksum[1]), c.name).toBeLessThanOrEqual(1e-9 * s2)
    }
    expect(references.size).toBe(cases.length)
  })

  it('keeps its cases away from sign decisions float32 cannot make (ReLU kinks, zero gradients)', () => {
    for (const c of cases) {
      const ref = references.get(c.name)!
      if (ref.reluMargin !== undefined) expect(ref.reluMargin, c.name).toBeGreaterThan(1e-6)
      if (ref.signMargin !== undefined) expect(ref.signMargin, c.name).toBeGreaterThan(1e-5)
      // Conditioned so that float32 can meet the 1e-4 target at all: PyTorch's float32 does.
      if (ref.torchFloat32Error !== undefined)
        expect(ref.torchFloat32Error, c.name).toBeLessThan(1e-4)
    }
  })
})

describe.each(configs)('conformance on $label', ({ backend, native, label }) => {
  beforeAll(async () => {
    await initBackend(backend)
    setNativeKernels(native)
  })
  afterAll(() => setNativeKernels(true))

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const ref = references.get(c.name)!
    const outputs = runCase(c)
    if (c.op === 'model') {
      // The weights the engine builds are the ones the reference was computed with.
      expect(Math.abs(outputs.weightChecksum![0]! - ref.weightChecksum!)).toBeLessThan(1e-3)
    }
    for (const [name, expected] of Object.entries(ref.outputs)) {
      const actual = outputs[name]
      expect(actual, `${c.name}: output ${name}`).toBeDefined()
      const { metric, tolerance } = toleranceFor(c.op, name)
      const error = measure(actual!, expected, metric)
      record(rowOf(c, name), label, error)
      expect(error, `${c.name}: ${name} (${metric})`).toBeLessThanOrEqual(tolerance)
      // The check would see a kernel that is wrong by 1e-3 in one entry.
      expect(
        measure(injectError(actual!, expected, metric), expected, metric),
        `${c.name}: ${name} with an injected error`
      ).toBeGreaterThan(tolerance)
    }
  })
})
