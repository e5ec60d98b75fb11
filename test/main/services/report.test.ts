import { attackLabel, defenseColumnCsv, epsilonPctValue } from '../../../src/contract/words'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import { initBackend } from '../../../src/main/engine/backend'
import { parseCsv, percentCi } from '../../../src/main/engine/audit/report'
import { runAttackSweep, type AttackSweepOutcome } from '../../../src/main/services/audits/sweep'
import {
  runDefenseTable,
  type DefenseTableOutcome
} from '../../../src/main/services/audits/defenseTable'
import { similarityReport } from '../../../src/main/services/models'
import { collectReport, writeReport } from '../../../src/main/services/report'
import { tinyProject, type TinyProject } from './fixtures'

await initBackend('cpu')

describe('the project audit report', () => {
  let t: TinyProject
  let sweep: AttackSweepOutcome
  let table: DefenseTableOutcome

  beforeAll(async () => {
    t = tinyProject()
    sweep = await runAttackSweep(t.project, {
      datasetId: t.datasetId,
      sourceId: t.sourceId,
      targetIds: [t.ordinaryId, t.orthogonalId],
      attacks: ['fgsm', 'ifgsm'],
      epsilons: [0, 0.05, 0.2],
      sampleCount: 30,
      seed: 9,
      gallerySamples: 2,
      attackSettings: { ifgsm: { steps: 2 } }
    })
    table = await runDefenseTable(t.project, {
      datasetId: t.datasetId,
      sourceId: t.sourceId,
      ordinaryId: t.ordinaryId,
      orthogonalId: t.orthogonalId,
      attacks: ['fgsm'],
      sampleCount: 20,
      defenses: ['bitDepth']
    })
    await similarityReport(t.project, {
      modelA: t.sourceId,
      modelB: t.orthogonalId,
      datasetId: t.datasetId,
      valLimit: 20
    })
  })
  afterAll(() => t.cleanup())

  it('shows every stored fooling ratio, table value and setting, offline', () => {
    const out = join(t.dir, 'report.html')
    const written = writeReport(t.project, out, { csvDir: join(t.dir, 'csv') })
    const html = readFileSync(written.htmlPath, 'utf8')
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<script/i)
    // Every ratio with its Wilson interval over the images it rests on.
    for (const c of sweep.curves)
      for (const p of c.points)
        expect(html).toContain(`<td>${percentCi(p.foolingRatio, sweep.sampleCount)}</td>`)
    for (const r of table.rows) {
      for (const c of table.columns) {
        const v = percentCi(r.values[c.key], table.sampleCount)
        expect(html).toContain(r.best[c.key] ? `<td><b>${v} ★</b></td>` : `<td>${v}</td>`)
      }
    }
    for (const name of ['source', 'ordinary', 'orthogonal']) expect(html).toContain(name)
    // Rows in words (issue 16), not 'Bit Reduction - Depth=1'.
    expect(html).toContain('Bit depth 1')
    expect(html).toContain('seed 9')
    // Gallery: 2 samples × 2 attacks, each with three images.
    expect(html.match(/alt="amplified perturbation"/g)).toHaveLength(4)
    const data = collectReport(t.project)
    expect(data.similarity).toHaveLength(1)
    expect(data.sweeps[0]!.curves.find((c) => c.modelId === t.orthogonalId)!.role).toBe(
      'orthogonal'
    )
  })

  it('writes CSVs that read back to the stored numbers, and a gallery PNG', () => {
    const dir = join(t.dir, 'csv2')
    const { files } = writeReport(t.project, join(t.dir, 'r2.html'), { csvDir: dir })
    const names = files.map((f) => f.slice(dir.length + 1)).sort()
    expect(names).toEqual([
      `attack-sweep-${sweep.runId}.csv`,
      `defense-table-${table.runId}.csv`,
      `gallery-${sweep.runId}.png`,
      'models.csv',
      'similarity.csv'
    ])
    // Accuracies in % under headers that say so, each with its images and interval (in %).
    const models = parseCsv(readFileSync(join(dir, 'models.csv'), 'utf8'))
    const col = (name: string) => models[0]!.indexOf(name)
    expect(col('accuracy_pct')).toBeGreaterThan(0)
    for (const m of collectReport(t.project).models.filter((x) => x.accuracy !== null)) {
      const row = models.find((r) => r[0] === String(m.id))!
      expect(Number(row[col('accuracy_pct')])).toBeCloseTo(100 * m.accuracy!, 4)
      if (m.accuracyImages) {
        expect(row[col('accuracy_images')]).toBe(String(m.accuracyImages))
        expect(Number(row[col('accuracy_ci95_low_pct')])).toBeLessThanOrEqual(100 * m.accuracy!)
        expect(Number(row[col('accuracy_ci95_high_pct')])).toBeGreaterThanOrEqual(100 * m.accuracy!)
      } else expect(row[col('accuracy_ci95_low_pct')]).toBe('')
    }
    const rows = parseCsv(readFileSync(join(dir, `attack-sweep-${sweep.runId}.csv`), 'utf8'))
    for (const c of sweep.curves) {
      for (const p of c.points) {
        const row = rows.find(
          (r) =>
            r[0] === attackLabel(c.attack) &&
            r[1] === String(c.modelId) &&
            Number(r[4]) === epsilonPctValue(p.epsilon)
        )!
        // In % (issue 16: units in the headers), to the stored ratio, with its count and interval.
        expect(Number(row[5])).toBeCloseTo(100 * p.foolingRatio, 4)
        expect(Number(row[6]) / Number(row[7])).toBeCloseTo(p.foolingRatio, 12)
        expect(Number(row[8])).toBeLessThanOrEqual(100 * p.foolingRatio)
        expect(Number(row[9])).toBeGreaterThanOrEqual(100 * p.foolingRatio)
      }
    }
    const grid = parseCsv(readFileSync(join(dir, `defense-table-${table.runId}.csv`), 'utf8'))
    const units = (key: string) => defenseColumnCsv(key)
    expect(grid[0]).toEqual([
      'defense',
      ...table.columns.flatMap((c) => [
        units(c.key),
        units(c.key).replace(/_pct$/, '_ci95_low_pct'),
        units(c.key).replace(/_pct$/, '_ci95_high_pct')
      ]),
      'images'
    ])
    table.rows.forEach((r, i) => {
      const cells = grid[i + 1]!.slice(1, -1).map(Number)
      table.columns.forEach((c, k) => {
        expect(cells[3 * k]).toBeCloseTo(100 * r.values[c.key]!, 4)
        expect(cells[3 * k + 1]).toBeLessThanOrEqual(cells[3 * k]!)
        expect(cells[3 * k + 2]).toBeGreaterThanOrEqual(cells[3 * k]!)
      })
      expect(grid[i + 1]!.at(-1)).toBe(String(table.sampleCount))
    })
    const png = PNG.sync.read(readFileSync(join(dir, `gallery-${sweep.runId}.png`)))
    expect(png.width).toBeGreaterThan(3 * 8)
  })
})
