import { describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { selectCorrectSamples } from '../../../../src/main/engine/audit/sampling'
import { classes, dataset, images, model } from './fixtures'

// Top level, not beforeAll: the fixtures below are built while the suite is collected.
await initBackend('cpu')

describe('selectCorrectSamples', () => {
  const a = model(1, 'a')
  const b = model(2, 'b')
  const c = model(3, 'c')
  const ds = dataset(a)
  const all = Array.from({ length: ds.validation.count }, (_, i) => i)
  const x = images(ds, all)
  const [pa, pb, pc] = [classes(a, x), classes(b, x), classes(c, x)]
  const eligible = all.filter(
    (i) =>
      pa[i] === ds.validation.labels[i] &&
      pb[i] === ds.validation.labels[i] &&
      pc[i] === ds.validation.labels[i]
  )

  it('fixture: the models disagree, so only some samples are eligible', () => {
    expect(eligible.length).toBeGreaterThan(3)
    expect(eligible.length).toBeLessThan(ds.validation.count - 10)
  })

  it('keeps exactly the samples every model gets right when N exceeds them', async () => {
    const sel = await selectCorrectSamples(ds, [a, b, c], { count: 1000, seed: 4, batchSize: 7 })
    expect([...sel.indices].sort((p, q) => p - q)).toEqual(eligible)
    expect(sel.examined).toBe(ds.validation.count)
    expect(sel.labels).toEqual(sel.indices.map((i) => ds.validation.labels[i]))
  })

  it('draws N distinct eligible samples, reproducibly by seed', async () => {
    const n = Math.min(3, eligible.length)
    const s1 = await selectCorrectSamples(ds, [a, b, c], { count: n, seed: 9, batchSize: 5 })
    const s2 = await selectCorrectSamples(ds, [a, b, c], { count: n, seed: 9, batchSize: 5 })
    expect(s1.indices).toHaveLength(n)
    expect(new Set(s1.indices).size).toBe(n)
    for (const i of s1.indices) expect(eligible).toContain(i)
    expect(s2.indices).toEqual(s1.indices)
    const others = await Promise.all(
      [10, 11, 12, 13].map((seed) => selectCorrectSamples(ds, [a, b, c], { count: n, seed }))
    )
    expect(others.some((o) => o.indices.join() !== s1.indices.join())).toBe(true)
  })

  it('rejects a bad count', async () => {
    await expect(selectCorrectSamples(ds, [a], { count: 0 })).rejects.toThrow(/sampleCount/)
  })
})
