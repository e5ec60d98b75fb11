/**
 * The defense table's ★ in the window, the CSV and the note (issue 16): only a separable
 * lowest, recomputed from a stored run's ratios and image count, so a table stored before the
 * rule (or with a star on every small-table cell) reads the same way as a new one.
 */
import { describe, expect, it } from 'vitest'
import { defenseTableResult, runCsv } from '../../../src/main/ipc/runResults'
import { defenseTableNote } from '../../../src/main/services/audits/defenseNote'
import type { RunRecord } from '../../../src/main/store'

/** A stored defense-table run: No defense 50 %, JPEG 80 → 4 %, TV 7 → 6 %, orthogonal 1 %. */
function storedTable(sampleCount: number): RunRecord {
  const row = (key: string, label: string, fgsm: number) => ({
    key,
    label,
    values: { clean: 0.02, 'fgsm@0.03': fgsm }
  })
  return {
    id: 9,
    kind: 'defense-table',
    status: 'done',
    config: {},
    seed: null,
    backend: 'cpu',
    modelIds: [],
    datasetId: null,
    progress: { fraction: 1, stage: '' },
    error: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    results: {
      sampleCount,
      // Labels as old runs stored them: the window shows them in words.
      columns: [
        { key: 'clean', label: 'Clean samples' },
        { key: 'fgsm@0.03', label: 'FGSM ε=0.03' }
      ],
      rows: [
        row('none', 'No defense', 0.5),
        row('jpeg:80', 'JPEG-80', 0.04),
        row('tvm:7', 'TVM-Weight=7', 0.06),
        row('orthogonal', 'Orthogonal model', 0.01)
      ],
      models: []
    }
  } as unknown as RunRecord
}

describe('the defense table’s star', () => {
  it('marks a clear lowest over 1,000 images and nothing where 50 images cannot tell', () => {
    const big = defenseTableResult(storedTable(1000), 'Fashion-MNIST')
    // 1 % vs 4 % over 1,000 images: the intervals [0.5, 1.8] % and [3.0, 5.4] % do not overlap.
    expect(big.best).toEqual({ 'fgsm@0.03': 'orthogonal' })
    // All rows make 2 % clean errors: a tie, no star.
    expect(big.best.clean).toBeUndefined()
    expect(big.datasetName).toBe('Fashion-MNIST')
    const small = defenseTableResult(storedTable(50), null)
    // 1 of 50 against 2 of 50: noise.
    expect(small.best).toEqual({})
  })

  it('reads old labels in words and writes the CSV in % with units and the star', () => {
    const t = defenseTableResult(storedTable(1000))
    expect(t.rows.map((r) => r.label)).toEqual([
      'No defense',
      'JPEG quality 80',
      'Total-variation smoothing, weight 7',
      'Orthogonal model (no defense)'
    ])
    expect(t.columns.map((c) => c.label)).toEqual(['Clean images', 'FGSM, ε = 3 %'])
    const csv = runCsv(storedTable(1000)).trim().split('\n')
    expect(csv[0]).toBe(
      'defense,clean_error_pct,clean_error_ci95_low_pct,clean_error_ci95_high_pct,' +
        'fgsm_eps3pct_fooling_pct,fgsm_eps3pct_fooling_ci95_low_pct,fgsm_eps3pct_fooling_ci95_high_pct,images'
    )
    // Each ratio in %, then its Wilson interval's ends over the 1,000 images, in % too.
    const cells = (line: string): string[] => line.split(',')
    const [name, clean, cleanLo, cleanHi, fgsm, fgsmLo, fgsmHi, images] = cells(csv[4]!)
    expect([name, clean, fgsm, images]).toEqual([
      'Orthogonal model (no defense)',
      '2',
      '1*',
      '1000'
    ])
    expect(Number(cleanLo)).toBeCloseTo(1.3, 1)
    expect(Number(cleanHi)).toBeCloseTo(3.07, 1)
    expect(Number(fgsmLo)).toBeLessThan(1)
    expect(Number(fgsmHi)).toBeGreaterThan(1)
    expect(cells(csv[1]!).filter((_, i) => i !== 2 && i !== 3 && i !== 5 && i !== 6)).toEqual([
      'No defense',
      '2',
      '50',
      '1000'
    ])
    expect(runCsv(storedTable(50))).not.toContain('*')
  })

  it('the note says "clearly lowest" only where the star is', () => {
    const big = defenseTableResult(storedTable(1000))
    expect(defenseTableNote(big)[1]).toBe(
      'The orthogonal model is clearly the lowest (★) in 1 of 1 transfer column.'
    )
    const small = defenseTableResult(storedTable(50))
    expect(defenseTableNote(small)[1]).toBe(
      'The orthogonal model is lowest or tied in 1 of 1 transfer column, clearly lowest (★) in 0: over 50 images the other differences are within noise.'
    )
  })
})
