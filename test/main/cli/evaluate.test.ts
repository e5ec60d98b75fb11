/**
 * `ortholens evaluate` on two small cnn models trained from the command line (256 images, one
 * epoch): the --json output has issue 14's shape exactly (fractions in [0, 1] keyed by String(ε),
 * an interval around each, the worst case no higher than any threat, flags as strings), the
 * text output carries the table, the cascade note and the verdict, and a bad flag is named.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli'
import { UsageError } from '../../../src/main/cli/args'
import { initBackend } from '../../../src/main/engine/backend'
import { getRun, openProject } from '../../../src/main/store'

await initBackend('cpu')

const dir = mkdtempSync(join(tmpdir(), 'ortholens-evaluate-'))
const file = join(dir, 'evaluate.ortholens')
const SMALL = ['--epochs', '1', '--train-samples', '256', '--val-samples', '64', '--batch', '32']
/** Cheap settings: seconds on the cpu backend. */
const QUICK = [
  '--samples',
  '24',
  '--square-queries',
  '20',
  '--apgd-steps',
  '5',
  '--pgd-steps',
  '3',
  '--pgd-restarts',
  '2'
]

const cli = runCli

interface Json {
  runId: number
  epsilons: number[]
  samples: number
  threats: string[]
  models: {
    modelId: number
    name: string
    cleanAccuracy: number
    cleanCi95: [number, number]
    robustAccuracy: Record<string, Record<string, number>>
    ci95: Record<string, Record<string, [number, number]>>
    flags: string[]
  }[]
}

beforeAll(async () => {
  await cli(['project', 'create', file])
  await cli(['dataset', 'import', file, '--source', 'builtin'])
  for (const [name, seed] of [
    ['reference', '1'],
    ['ordinary', '2']
  ] as const) {
    const r = await cli([
      'train',
      file,
      '--dataset',
      '1',
      '--arch',
      'cnn',
      '--name',
      name,
      '--seed',
      seed,
      ...SMALL,
      '--json'
    ])
    expect(JSON.parse(r.out)).toMatchObject({ status: 'ready' })
  }
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('ortholens evaluate', () => {
  it('prints issue 14’s JSON shape', async () => {
    const { code, out } = await cli([
      'evaluate',
      file,
      '--dataset',
      '1',
      '--models',
      '1,2',
      '--source',
      '1',
      '--ensemble',
      '1,2',
      '--epsilons',
      '3,5',
      ...QUICK,
      '--json'
    ])
    expect(code).toBe(0)
    const json = JSON.parse(out) as Json
    expect(Object.keys(json)).toEqual(['runId', 'epsilons', 'samples', 'threats', 'models'])
    expect(json.epsilons).toEqual([0.03, 0.05])
    expect(json.samples).toBe(24)
    const threats = ['transfer', 'ensemble', 'pgd', 'apgd-ce', 'apgd-dlr', 'square']
    expect(json.threats).toEqual(threats)
    expect(json.models.map((m) => [m.modelId, m.name])).toEqual([
      [1, 'reference'],
      [2, 'ordinary']
    ])
    for (const m of json.models) {
      expect(Object.keys(m)).toEqual([
        'modelId',
        'name',
        'cleanAccuracy',
        'cleanCi95',
        'robustAccuracy',
        'ci95',
        'flags'
      ])
      // Accuracies are k/24.
      expect(Number.isInteger(Math.round(m.cleanAccuracy * 24 * 1e6) / 1e6)).toBe(true)
      expect(Object.keys(m.robustAccuracy)).toEqual(['0.03', '0.05'])
      expect(Object.keys(m.ci95)).toEqual(['0.03', '0.05'])
      for (const eps of ['0.03', '0.05']) {
        const values = m.robustAccuracy[eps]!
        expect(Object.keys(values)).toEqual([...threats, 'worst'])
        for (const [threat, v] of Object.entries(values)) {
          expect(v).toBeGreaterThanOrEqual(0)
          expect(v).toBeLessThanOrEqual(m.cleanAccuracy)
          expect(values.worst).toBeLessThanOrEqual(v)
          const [lo, hi] = m.ci95[eps]![threat]!
          expect(lo).toBeLessThanOrEqual(v)
          expect(hi).toBeGreaterThanOrEqual(v)
          expect(lo).toBeGreaterThanOrEqual(0)
          expect(hi).toBeLessThanOrEqual(1)
        }
        // Cascade: each of APGD-CE, APGD-DLR, Square counts the attacks before it.
        expect(values['apgd-dlr']).toBeLessThanOrEqual(values['apgd-ce']!)
        expect(values.square).toBeLessThanOrEqual(values['apgd-dlr']!)
        expect(values.worst).toBe(values.square)
      }
      for (const f of m.flags) expect(f).toMatch(/^[a-z-]+: [A-Z]/)
      // The accuracy-cost flag follows the numbers printed beside it (reference = the source).
      const cost = json.models[0]!.cleanAccuracy - m.cleanAccuracy
      expect(m.flags.some((f) => f.startsWith('accuracy-cost: '))).toBe(cost > 0.05 + 1e-9)
    }
    // The run is stored with its request as the flags described it.
    const p = openProject(file, { readonly: true })
    try {
      const run = getRun(p.db, json.runId)!
      expect(run.kind).toBe('robustness-evaluation')
      expect((run.config as { request: unknown }).request).toEqual({
        datasetId: 1,
        modelIds: [1, 2],
        sourceId: 1,
        ensembleIds: [1, 2],
        epsilons: [0.03, 0.05],
        sampleCount: 24,
        square: { queries: 20 },
        apgd: { steps: 5 },
        pgd: { steps: 3, restarts: 2 }
      })
    } finally {
      p.close()
    }
  })

  it('prints the table, the cascade note and the verdict as text', async () => {
    const { code, out } = await cli([
      'evaluate',
      file,
      '--dataset',
      '1',
      '--models',
      '2',
      '--source',
      '1',
      '--attacks',
      'transfer,pgd,apgd-ce',
      '--epsilons',
      '5',
      ...QUICK
    ])
    expect(code).toBe(0)
    expect(out).toMatch(/^Robustness evaluation run \d+: 24 validation images drawn/)
    expect(out).toContain('"ordinary" (ordinary): clean accuracy')
    expect(out).toMatch(/Transfer from "reference" \(PGD\)\s+\d+\.\d \(\d+\.\d–\d+\.\d\)/)
    expect(out).toContain('APGD-CE (5 iterations) *')
    expect(out).toContain(
      '* cascade: ran only on the images every attack above left unfooled, so its figure is after the attacks before it'
    )
    expect(out).toMatch(/Verdict:\n {2}On clean images it is right on \d+ % of 24/)
    expect(out).toMatch(/Against perturbations transferred from "reference" \(ε = 5 %\)/)
    expect(out).not.toContain('Square')
  })

  it('names a bad flag', async () => {
    await expect(
      cli([
        'evaluate',
        file,
        '--dataset',
        '1',
        '--models',
        '2',
        '--attacks',
        'transfer',
        '--samples',
        '5'
      ])
    ).rejects.toThrow(new UsageError('--source: the "transfer" threat needs a source model'))
    await expect(
      cli(['evaluate', file, '--dataset', '1', '--models', '2', '--square-queries', '0'])
    ).rejects.toThrow(/--square-queries: must be between 1 and 100000/)
    await expect(
      cli(['evaluate', file, '--dataset', '1', '--models', '2', '--attacks', 'pgd,autoattack'])
    ).rejects.toThrow(/--attacks \(threats\[1\]\): must be one of "transfer"/)
  })
})
