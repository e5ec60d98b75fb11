import { separableLowestRatio } from '../../../src/main/engine/audit/stats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src/main/engine/tf'
import { initBackend } from '../../../src/main/engine/backend'
import { getRun, listRuns, openProject } from '../../../src/main/store'
import { galleryOf, galleryView } from '../../../src/main/services/audits/gallery'
import {
  attackPreview,
  previewItemView,
  previewRequestFromRun
} from '../../../src/main/services/audits/preview'
import { runAttackSweep, type AttackSweepOutcome } from '../../../src/main/services/audits/sweep'
import { runDefenseTable } from '../../../src/main/services/audits/defenseTable'
import { runJob } from '../../../src/main/services/jobServices'
import { JobCancelledError } from '../../../src/main/services/hooks'
import { amplifiedPerturbation } from '../../../src/main/engine/render/perturbation'
import { PNG } from 'pngjs'
import { tinyProject, type TinyProject } from './fixtures'

await initBackend('cpu')

describe('audit services on a tiny project', () => {
  let t: TinyProject
  let sweep: AttackSweepOutcome
  const epsilons = [0, 0.02, 0.1, 0.3]

  beforeAll(async () => {
    t = tinyProject()
    sweep = await runAttackSweep(t.project, {
      datasetId: t.datasetId,
      sourceId: t.sourceId,
      targetIds: [t.ordinaryId, t.orthogonalId],
      attacks: ['fgsm', 'pgd'],
      epsilons,
      sampleCount: 40,
      seed: 3,
      gallerySamples: 2,
      attackSettings: { pgd: { steps: 3 } }
    })
  })
  afterAll(() => t.cleanup())

  it('fools the linear source more as ε grows, never at ε = 0', () => {
    const fgsmSource = sweep.curves.find((c) => c.attack === 'fgsm' && c.role === 'source')!
    const ratios = fgsmSource.points.map((p) => p.foolingRatio)
    expect(fgsmSource.points.map((p) => p.epsilon)).toEqual(epsilons)
    expect(ratios[0]).toBe(0)
    for (const c of sweep.curves) expect(c.points[0]!.foolingRatio).toBe(0)
    expect(ratios[3]).toBeGreaterThan(0.5)
    for (let i = 1; i < ratios.length; i++) expect(ratios[i]).toBeGreaterThanOrEqual(ratios[i - 1]!)
    // The source's kind and the orthogonal target's kind come from the stored models.
    const kinds = Object.fromEntries(sweep.models.map((m) => [m.id, m.kind]))
    expect(kinds[t.orthogonalId]).toBe('orthogonal')
    expect(kinds[t.ordinaryId]).toBe('ordinary')
  })

  it('stores a run whose results, config and gallery reload after reopening the project', () => {
    t.project.close()
    const p = openProject(t.path)
    try {
      const run = getRun(p.db, sweep.runId)!
      expect(run.kind).toBe('attack-sweep')
      expect(run.status).toBe('done')
      expect(run.seed).toBe(3)
      const results = run.results as { curves: unknown; sampleCount: number }
      expect(results.curves).toEqual(JSON.parse(JSON.stringify(sweep.curves)))
      expect(results.sampleCount).toBe(sweep.sampleCount)
      const config = run.config as {
        request: { sourceId: number; targetIds: number[]; gallerySamples: number }
        resolved: {
          attackSettings: Record<
            string,
            { epsilon: number; config: { steps: number; stepSize: number } }[]
          >
          sampleCount: number
        }
      }
      // The request exactly as sent, in the contract's names; what it resolved to beside it.
      expect(config.request.sourceId).toBe(t.sourceId)
      expect(config.request.targetIds).toEqual([t.ordinaryId, t.orthogonalId])
      expect(config.request.gallerySamples).toBe(2)
      expect(config.resolved.sampleCount).toBe(40)
      // Resolved settings: PGD α = 2.5 ε / steps at each ε, steps as asked.
      const pgd = config.resolved.attackSettings.pgd!.find((s) => s.epsilon === 0.1)!
      expect(pgd.config.steps).toBe(3)
      expect(pgd.config.stepSize).toBeCloseTo((2.5 * 0.1) / 3, 10)
      expect(run.modelIds).toEqual([t.sourceId, t.ordinaryId, t.orthogonalId])

      const gallery = galleryOf(p, sweep.runId)
      // 2 samples × 2 attacks × 3 non-zero ε.
      expect(gallery).toHaveLength(12)
      for (const g of gallery) {
        expect(g.epsilon).toBeGreaterThan(0)
        expect(g.adversarial).toBeInstanceOf(Float32Array)
        let maxDelta = 0
        g.adversarial.forEach(
          (v, i) => (maxDelta = Math.max(maxDelta, Math.abs(v - g.original[i]!)))
        )
        expect(maxDelta).toBeLessThanOrEqual(g.epsilon + 1e-6)
        expect(g.predictions.clean.map((x) => x.modelId)).toEqual([
          t.sourceId,
          t.ordinaryId,
          t.orthogonalId
        ])
        for (const c of g.predictions.clean) expect(c.label).toBe(g.label)
        for (const a of g.predictions.adversarial) {
          expect(a.fooled).toBe(a.label !== g.label)
          expect(typeof a.fooledRounded).toBe('boolean')
          expect(a.className).toBe(['zero', 'one', 'two'][a.label])
        }
      }
    } finally {
      p.close()
      t.project = openProject(t.path)
    }
  })

  it('refuses a collapsed target, naming it, and records nothing', async () => {
    const before = listRuns(t.project.db).length
    await expect(
      runAttackSweep(t.project, {
        datasetId: t.datasetId,
        sourceId: t.sourceId,
        targetIds: [t.collapsedId],
        attacks: ['fgsm']
      })
    ).rejects.toThrow(/"collapsed".*collapsed/)
    expect(listRuns(t.project.db).length).toBe(before)
  })

  it('records a cancelled run when the signal fires', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      runAttackSweep(
        t.project,
        {
          datasetId: t.datasetId,
          sourceId: t.sourceId,
          targetIds: [t.ordinaryId],
          attacks: ['fgsm'],
          sampleCount: 10
        },
        { signal: controller.signal }
      )
    ).rejects.toBeInstanceOf(JobCancelledError)
    const last = listRuns(t.project.db, { kind: 'attack-sweep' })[0]!
    expect(last.status).toBe('cancelled')
    expect(last.error).toBeNull()
  })

  it('the job stores the contract request verbatim for re-runs, defaults left to the service', async () => {
    const args = {
      datasetId: t.datasetId,
      sourceId: t.sourceId,
      targetIds: [t.ordinaryId],
      attacks: ['fgsm' as const],
      epsilons: [0, 0.3],
      sampleCount: 10,
      seed: 1
    }
    const r = await runJob({ kind: 'attack-sweep', args }, t.project)
    const run = getRun(t.project.db, r.runId)!
    expect((run.config as { request: unknown }).request).toEqual(args)
    expect(
      (run.config as { resolved: { gallerySamples: number; batchSize: number } }).resolved
    ).toMatchObject({ gallerySamples: 8, batchSize: 100 })
    expect(r.sampleCount).toBeGreaterThan(0)
  })

  it('previews one sample at any ε with predictions, leaving no tensors', async () => {
    const before = tf.memory().numTensors
    const p = await attackPreview(
      t.project,
      previewRequestFromRun(t.project, sweep.runId, { epsilon: 0.3, attack: 'fgsm' })
    )
    expect(tf.memory().numTensors).toBe(before)
    expect(p.original).toHaveLength(64)
    let maxDelta = 0
    p.adversarial.forEach((v, i) => (maxDelta = Math.max(maxDelta, Math.abs(v - p.original[i]!))))
    expect(maxDelta).toBeGreaterThan(0.29)
    expect(maxDelta).toBeLessThanOrEqual(0.3 + 1e-6)
    expect(Math.max(...amplifiedPerturbation(p.original, p.adversarial))).toBeCloseTo(1, 5)
    expect(p.clean).toHaveLength(3)
    expect(p.clean[0]!.label).toBe(p.label)
    const zero = await attackPreview(
      t.project,
      previewRequestFromRun(t.project, sweep.runId, { epsilon: 0, attack: 'fgsm' })
    )
    expect(Array.from(zero.adversarial)).toEqual(Array.from(zero.original))
    expect(zero.adversarialPredictions.every((x) => x.fooled === false)).toBe(true)
  })

  it('draws the perturbation of every attack at ε = 0 as flat mid-grey, in the preview and the gallery alike', async () => {
    const pixels = (url: string) => {
      const png = PNG.sync.read(Buffer.from(url.split(',')[1]!, 'base64'))
      return Array.from(png.data.filter((_, i) => i % 4 === 0))
    }
    for (const attack of ['fgsm', 'ifgsm', 'mifgsm', 'pgd', 'di2fgsm'] as const) {
      const zero = previewItemView(
        await attackPreview(
          t.project,
          previewRequestFromRun(t.project, sweep.runId, { epsilon: 0, attack })
        )
      )
      expect(new Set(pixels(zero.perturbation))).toEqual(new Set([128]))
      // PGD's random start stays inside the ε-ball: at ε = 0 there is no perturbation at all.
      expect(pixels(zero.adversarial)).toEqual(pixels(zero.original))
    }
    // The stored gallery (ε > 0) goes through the same picture: its extremes reach 0 and 255.
    const item = galleryView(t.project, sweep.runId)[0]!
    const values = pixels(item.perturbation)
    expect(Math.min(...values)).toBe(0)
    expect(Math.max(...values)).toBe(255)
  })

  it('builds the defense table with best marks and CSV, refusing a collapsed orthogonal', async () => {
    const r = await runDefenseTable(t.project, {
      datasetId: t.datasetId,
      sourceId: t.sourceId,
      ordinaryId: t.ordinaryId,
      orthogonalId: t.orthogonalId,
      attacks: ['fgsm'],
      epsilons: [0.03, 0.3],
      sampleCount: 20,
      defenses: ['bitDepth']
    })
    expect(r.columns.map((c) => c.key)).toEqual(['clean', 'fgsm@0.03', 'fgsm@0.3'])
    expect(r.rows.map((x) => x.key)).toEqual([
      'none',
      'bitDepth:1',
      'bitDepth:2',
      'bitDepth:3',
      'bitDepth:4',
      'orthogonal'
    ])
    expect(r.rows[0]!.values.clean).toBe(0)
    // ★ only on a separable lowest over the 20 images (issue 16), at most one row per column.
    for (const c of r.columns) {
      const winner = separableLowestRatio(
        r.rows.map((x) => x.values[c.key]),
        r.sampleCount
      )
      r.rows.forEach((row, i) => expect(row.best[c.key], `${row.key} ${c.key}`).toBe(i === winner))
    }
    expect(r.csv.split('\n')[0]).toContain('clean_error_pct')
    const run = getRun(t.project.db, r.runId)!
    expect(run.kind).toBe('defense-table')
    expect((run.results as { csv: string }).csv).toBe(r.csv)
    await expect(
      runDefenseTable(t.project, {
        datasetId: t.datasetId,
        sourceId: t.sourceId,
        ordinaryId: t.ordinaryId,
        orthogonalId: t.collapsedId,
        attacks: ['fgsm']
      })
    ).rejects.toThrow(/collapsed/)
  })
})
