import { describe, expect, it } from 'vitest'
import { scalingLines, type ScalingRow } from '../../bench/scaling'

const row = (condition: ScalingRow['condition'], medians: [number, number, number]): ScalingRow => {
  const [ortho, plain, pgd10] = medians.map((m) => ({ median: m, min: m - 0.1, max: m + 0.1 }))
  return {
    backend: 'wasm',
    arch: 'cnn',
    batch: 64,
    condition,
    load: ['0.10', '0.90'],
    rounds: 10,
    speedup: { ortho: ortho!, plain: plain!, pgd10: pgd10! }
  }
}

describe('the two-threads-against-one table', () => {
  it("marks a median under issue 20's target for its condition, and only those", () => {
    const lines = scalingLines([
      row('quiet', [1.45, 1.29, 1.3]),
      row('one busy process', [0.98, 1.0, 1.2])
    ])
    expect(lines).toHaveLength(4)
    const [quiet, busy] = [lines[2]!, lines[3]!]
    expect(quiet).toContain('1.45  (1.35-1.55)')
    expect(quiet).toContain('1.29! (1.19-1.39)')
    expect(quiet).toContain('1.30  (1.20-1.40)')
    expect(busy).toContain('0.98! (0.88-1.08)')
    expect(busy).toContain('1.00  (0.90-1.10)')
    expect(busy).toContain('0.10 → 0.90')
    expect(lines[0]).toContain('1.3 quiet, 1.0 with one busy process')
  })
})
