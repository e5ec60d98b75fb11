import { describe, expect, it } from 'vitest'
import { tf } from '../../../../src/main/engine/tf'
import { initBackend } from '../../../../src/main/engine/backend'
import { applyDefense } from '../../../../src/main/engine/defenses'
import {
  buildDefenseTable,
  markBest,
  toCsv,
  type DefenseTable
} from '../../../../src/main/engine/audit/defenseTable'
import { foolingRatio, runTransfer } from '../../../../src/main/engine/audit/transfer'
import { runAttack } from '../../../../src/main/engine/attacks'
import { defendedClassifier } from '../../../../src/main/engine/attacks/bpda'
import { separableLowestRatio } from '../../../../src/main/engine/audit/stats'
import { parseCsv } from '../../../../src/main/engine/audit/report'
import { classes, dataset, images, model } from './fixtures'

// Top level, not beforeAll: the fixtures below are built while the suite is collected.
await initBackend('cpu')

describe('markBest', () => {
  it('stars only a lowest value separable from the runner-up over the images', () => {
    const rows = markBest(
      [
        { label: 'No defense', kind: 'none', values: [0, 0.7, 0.9] },
        { label: 'JPEG', kind: 'defense', values: [0.02, 0.5, 0.95] },
        { label: 'Orthogonal model', kind: 'orthogonal', values: [0, 0.1, 0.95] }
      ],
      100
    )
    // Column 0 ties (no star); column 1: 10 % [5.5–17.4] is clear of 50 % [40.4–59.6];
    // column 2: 90 % [82.6–94.5] overlaps 95 % [88.8–97.8], so the lowest is not starred.
    expect(rows.map((r) => r.best)).toEqual([
      [false, false, false],
      [false, false, false],
      [false, true, false]
    ])
  })

  it('needs more images to separate closer values', () => {
    const rows = (n: number) =>
      markBest(
        [
          { label: 'A', kind: 'defense', values: [0.02] },
          { label: 'B', kind: 'defense', values: [0.06] }
        ],
        n
      ).map((r) => r.best[0])
    // 2 % vs 6 %: noise over 50 images ([0.4–10.5] vs [2.1–16.2]), clear over 1,000.
    expect(rows(50)).toEqual([false, false])
    expect(rows(1000)).toEqual([true, false])
  })
})

describe('buildDefenseTable', () => {
  const source = model(1, 'source')
  const target = model(2, 'target')
  const ortho = model(3, 'ortho')
  const ds = dataset(source, 60)
  const variants = [
    { defenseId: 'jpeg', value: 90, label: 'JPEG quality 90' },
    { defenseId: 'tvm', value: 9, label: 'Total-variation smoothing, weight 9' },
    { defenseId: 'bitDepth', value: 1, label: 'Bit depth 1' },
    { defenseId: 'bilateral', value: 3, label: 'Bilateral filter, window 3' }
  ]
  const attacks = [{ id: 'fgsm' }, { id: 'mifgsm', config: { steps: 3 } }]
  let table: DefenseTable

  it('lays out Table 6.3 and agrees with the transfer protocol and a brute force', async () => {
    const before = tf.memory().numTensors
    table = await buildDefenseTable(
      ds,
      { source, target, orthogonal: ortho },
      { attacks, variants, seed: 5, batchSize: 8 }
    )
    expect(tf.memory().numTensors).toBe(before)
    expect(table.rows.map((r) => r.label)).toEqual([
      'No defense',
      ...variants.map((v) => v.label),
      'Orthogonal model (no defense)'
    ])
    expect(table.columns.map((c) => c.key)).toEqual([
      'clean',
      'fgsm@0.03',
      'fgsm@0.05',
      'mifgsm@0.03',
      'mifgsm@0.05'
    ])
    const none = table.rows[0]!
    const orth = table.rows.at(-1)!
    expect(none.values[0]).toBe(0)
    expect(orth.values[0]).toBe(0)

    // Same seed and models: the transfer protocol draws the same samples.
    const transfer = await runTransfer(ds, source, [target, ortho], {
      attacks,
      epsilons: [0.03, 0.05],
      seed: 5,
      batchSize: 8,
      gallerySamples: 0
    })
    expect(transfer.selection.indices).toEqual(table.selection.indices)
    table.columns.slice(1).forEach((col, c) => {
      expect(none.values[c + 1]).toBeCloseTo(
        foolingRatio(transfer, col.attackId!, col.epsilon!, 'target'),
        10
      )
      expect(orth.values[c + 1]).toBeCloseTo(
        foolingRatio(transfer, col.attackId!, col.epsilon!, 'ortho'),
        10
      )
    })

    // Clean column of a defense row = errors the defense itself causes.
    const x = images(ds, table.selection.indices)
    for (const [r, v] of variants.entries()) {
      const defended = applyDefense(v.defenseId, x, v.value)
      const wrong = classes(target, defended).filter(
        (p, k) => p !== table.selection.labels[k]
      ).length
      expect(table.rows[r + 1]!.values[0], v.label).toBeCloseTo(wrong / table.sampleCount, 10)
      defended.dispose()
    }
    // Depth 1 wrecks these random images: it must cause clean errors.
    expect(table.rows[3]!.values[0]).toBeGreaterThan(0)

    // A star only on a column's separable lowest value: at most one per column, the minimum.
    table.columns.forEach((_, c) => {
      const min = Math.min(...table.rows.map((r) => r.values[c]!))
      const starred = table.rows.filter((r) => r.best[c])
      expect(starred.length).toBeLessThanOrEqual(1)
      for (const r of starred) expect(r.values[c]).toBe(min)
      expect(starred.length).toBe(
        separableLowestRatio(
          table.rows.map((r) => r.values[c]),
          table.sampleCount
        ) === null
          ? 0
          : 1
      )
    })
  })

  it('writes CSV in percent with the best value per column starred', () => {
    const csv = toCsv(table).trim().split('\n')
    expect(csv[0]).toBe(
      'defense,clean_error_pct,fgsm_eps3pct_fooling_pct,fgsm_eps5pct_fooling_pct,mifgsm_eps3pct_fooling_pct,mifgsm_eps5pct_fooling_pct'
    )
    expect(csv).toHaveLength(table.rows.length + 1)
    expect(csv[1]!.split(',')[1]).toMatch(/^0\.0\*?$/)
    table.rows.forEach((row, r) => {
      const cells = parseCsv(csv[r + 1]!)[0]!
      expect(cells[0]).toBe(row.label)
      row.values.forEach((v, c) =>
        expect(cells[c + 1]).toBe(`${(v * 100).toFixed(1)}${row.best[c] ? '*' : ''}`)
      )
    })
    expect(toCsv(table, { markBest: false })).not.toContain('*')
  })

  it('adds adaptive columns: each row attacked on its own model, BPDA through its defense', async () => {
    const two = [variants[2]!, variants[0]!] // bit depth 1, JPEG 90
    const adaptive = { id: 'pgd', config: { steps: 4, seed: 3 } }
    const t = await buildDefenseTable(
      ds,
      { source, target, orthogonal: ortho },
      { attacks: [{ id: 'fgsm' }], variants: two, seed: 5, batchSize: 8, adaptive }
    )
    expect(t.columns.map((c) => c.key)).toEqual([
      'clean',
      'fgsm@0.03',
      'fgsm@0.05',
      'adaptive:pgd@0.03',
      'adaptive:pgd@0.05'
    ])
    expect(t.columns[3]).toMatchObject({ label: 'Adaptive PGD, ε = 3 %', adaptive: true })
    // Brute force: the same PGD on each row's own model, scored on it.
    const x = images(ds, t.selection.indices)
    const y = tf.tensor1d(t.selection.labels, 'int32')
    const rowsModels = [
      target,
      defendedClassifier(target, 'bitDepth', 1),
      defendedClassifier(target, 'jpeg', 90),
      ortho
    ]
    for (const [c, eps] of [
      [3, 0.03],
      [4, 0.05]
    ] as const) {
      for (const [r, m] of rowsModels.entries()) {
        const adv = await runAttack('pgd', m, x, y, {
          epsilon: eps,
          steps: 4,
          seed: 3,
          batchSize: 8
        })
        const wrong = classes(m, adv).filter((p, k) => p !== t.selection.labels[k]).length
        expect(t.rows[r]!.values[c], `${t.rows[r]!.label} ε=${eps}`).toBeCloseTo(
          wrong / t.sampleCount,
          10
        )
        adv.dispose()
      }
    }
    // An attacker who has the undefended model fools it more than transfer from the source.
    expect(t.rows[0]!.values[4]).toBeGreaterThan(t.rows[0]!.values[2]!)
    tf.dispose([x, y])
  })
})
