/**
 * The similarity report the window's panel shows (Tables 6.1 / 6.2): δ of a model with itself
 * is 1 on every image, so the whole histogram sits in the last bin; two different models
 * spread, and the histogram's counts are the per-image δ the mean was taken over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { similarityReport } from '../../../src/main/services/models'
import { getRun } from '../../../src/main/store'
import { tinyProject, type TinyProject } from './fixtures'

await initBackend('cpu')

let t: TinyProject
beforeAll(() => (t = tinyProject()))
afterAll(() => t?.cleanup())

describe('similarity report', () => {
  it('a model with itself: δ = 1 on every image, all in the last bin', async () => {
    const r = await similarityReport(t.project, {
      datasetId: t.datasetId,
      modelA: t.sourceId,
      modelB: t.sourceId,
      valLimit: 24
    })
    expect(r.count).toBe(24)
    expect(r.mean).toBeCloseTo(1, 5)
    expect(r.std).toBeLessThan(1e-5)
    expect(r.histogram!.counts[39]).toBe(24)
    expect(r.histogram!.counts.slice(0, 39).every((c) => c === 0)).toBe(true)
    // The run keeps the same result, histogram included, for the window after a reopen.
    expect(getRun(t.project.db, r.runId)!.results).toEqual(JSON.parse(JSON.stringify(r)))
  })

  it('two models: the histogram holds every image and its bins bracket the mean', async () => {
    const r = await similarityReport(t.project, {
      datasetId: t.datasetId,
      modelA: t.sourceId,
      modelB: t.ordinaryId,
      valLimit: 40
    })
    const { edges, counts } = r.histogram!
    expect(counts.reduce((a, b) => a + b, 0)).toBe(r.count)
    // The mean of the bin centres is within half a bin (0.025) of the mean δ.
    const centred =
      counts.reduce((s, c, i) => s + (c * (edges[i]! + edges[i + 1]!)) / 2, 0) / r.count
    expect(Math.abs(centred - r.mean)).toBeLessThanOrEqual(0.025 + 1e-9)
    expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1)
  })
})
