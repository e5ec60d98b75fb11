import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src/main/engine/tf'
import type { Tensor4D } from '../../../src/main/engine/tf'
import { initBackend } from '../../../src/main/engine/backend'
import { buildModel, type Network } from '../../../src/main/engine/models'
import type { ImageDataset, ImageSplit } from '../../../src/main/engine/data/types'
import {
  createProject,
  getRun,
  saveDataset,
  saveModel,
  type ProjectDb
} from '../../../src/main/store'
import { explainAdversarialSample } from '../../../src/main/services/explain/adversarial'
import { explanationGridPng } from '../../../src/main/services/explain/images'
import { explanationsReportSection } from '../../../src/main/services/explain/reportSection'
import { saliencyPgdStudy } from '../../../src/main/services/explain/saliencyPgd'
import { explainSamples } from '../../../src/main/services/explain/samples'
import { sanityStudy } from '../../../src/main/services/explain/sanity'
import { loadExplanation } from '../../../src/main/services/explain/stored'

let dir: string
let project: ProjectDb
let greyId: number
let colourId: number
const cnn: number[] = []
let resnetId: number

/** Random images labelled by `labeller` (so that model is right on every one of them). */
function dataset(
  name: string,
  channels: number,
  count: number,
  seed: number,
  labeller: Network
): ImageDataset {
  const split = (n: number, s: number): ImageSplit => {
    const x = tf.randomUniform([n, 8, 8, channels], 0, 1, 'float32', s) as Tensor4D
    const images = Uint8Array.from(x.dataSync(), (v) => Math.round(v * 255))
    x.dispose()
    const labels = tf.tidy(() => {
      const xs = tf.div(
        tf.tensor4d(Float32Array.from(images), [n, 8, 8, channels]),
        255
      ) as Tensor4D
      return Uint8Array.from(tf.argMax(labeller.predictLogits(xs), 1).dataSync())
    })
    return { images, labels, count: n }
  }
  return {
    name,
    classNames: ['a', 'b', 'c'],
    height: 8,
    width: 8,
    channels,
    train: split(4, seed),
    validation: split(count, seed + 1),
    provenance: { test: true }
  }
}

function store(net: Network, datasetId: number): number {
  return saveModel(project.writable(), {
    name: net.name,
    architecture: net.architecture,
    weights: net.exportWeights(),
    datasetId,
    trainingConfig: {},
    status: 'ready'
  })
}

beforeAll(async () => {
  await initBackend('cpu')
  dir = mkdtempSync(join(tmpdir(), 'ortholens-explain-'))
  project = createProject(join(dir, 'p.ortholens'), { name: 'explain test' })
  const nets = [1, 2].map((s) => buildModel('cnn', [8, 8, 1], 3, { seed: s, name: `cnn ${s}` }))
  const res = buildModel('resnet20', [8, 8, 3], 3, { seed: 4, name: 'resnet' })
  greyId = saveDataset(project.writable(), dataset('grey', 1, 10, 20, nets[0]!))
  colourId = saveDataset(project.writable(), dataset('colour', 3, 4, 30, res))
  for (const n of nets) cnn.push(store(n, greyId))
  resnetId = store(res, colourId)
  nets.forEach((n) => n.dispose())
  res.dispose()
})

afterAll(() => {
  project.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('explainSamples', () => {
  it('stores an explain run that reloads to the same maps (8-bit), and refuses CAMERAS on a flatten head when asked', async () => {
    const e = await explainSamples(project, {
      datasetId: greyId,
      modelIds: cnn,
      sampleIndices: [0, 3, 7],
      fixedSizeHead: 'refuse'
    })
    expect(e.models.map((m) => m.modelId)).toEqual(cnn)
    for (const m of e.models) {
      const g = m.maps.gradcam!
      expect('error' in g).toBe(false)
      if ('error' in g) continue
      expect(g.shape).toEqual([3, 8, 8])
      expect(Math.min(...g.data)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...g.data)).toBeLessThanOrEqual(1)
      const c = m.maps.cameras!
      expect('error' in c && c.error).toMatch(/CAMERAS cannot run on "cnn \d".*fixed-size head/)
      expect(m.camerasVariant).toBeUndefined()
    }
    const run = getRun(project.db, e.runId)!
    expect(run.kind).toBe('explain')
    expect(run.status).toBe('done')
    expect(run.modelIds).toEqual(cnn)
    expect(JSON.stringify(run.results).length).toBeLessThan(8000)

    const back = loadExplanation(project, e.runId)
    expect(back.sampleIndices).toEqual([0, 3, 7])
    expect(back.images.shape).toEqual([3, 8, 8, 1])
    for (let i = 0; i < e.images.data.length; i++) {
      expect(Math.abs(back.images.data[i]! - e.images.data[i]!)).toBeLessThanOrEqual(
        0.5 / 255 + 1e-6
      )
    }
    const orig = e.models[1]!.maps.gradcam as { data: Float32Array }
    const again = back.models[1]!.maps.gradcam as { data: Float32Array }
    for (let i = 0; i < orig.data.length; i++) {
      expect(Math.abs(again.data[i]! - orig.data[i]!)).toBeLessThanOrEqual(0.5 / 255 + 1e-6)
    }
    expect(back.models[0]!.maps.cameras).toEqual(e.models[0]!.maps.cameras)

    // Grid: 3 rows; image + 2 models × 2 methods = 5 columns of 8 px × 12 (≥ 96 px), gaps of 2.
    const png = PNG.sync.read(explanationGridPng(e))
    expect(png.width).toBe(5 * 96 + 4 * 2)
    expect(png.height).toBe(3 * 96 + 2 * 2)
    // The refused CAMERAS cell of model 1, row 0, is flat grey.
    const at = (x: number, y: number): number[] =>
      Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4))
    expect(at(2 * 98 + 40, 40)).toEqual([160, 160, 160, 255])
  })

  it('runs CAMERAS as the adaptive-pool variant on a flatten head by default, and plainly on resnet20', async () => {
    const e = await explainSamples(project, {
      datasetId: greyId,
      modelIds: [cnn[0]!],
      count: 2,
      seed: 3
    })
    expect(e.sampleIndices).toHaveLength(2)
    expect(e.models[0]!.camerasVariant).toBe('adaptive-pool')
    const c = e.models[0]!.maps.cameras!
    expect('error' in c).toBe(false)
    const r = await explainSamples(project, {
      datasetId: colourId,
      modelIds: [resnetId],
      sampleIndices: [1],
      methods: ['cameras']
    })
    expect(r.models[0]!.camerasVariant).toBeUndefined()
    expect(Object.keys(r.models[0]!.maps)).toEqual(['cameras'])
    const m = r.models[0]!.maps.cameras as { shape: number[] }
    expect(m.shape).toEqual([1, 8, 8])
  })

  it('rejects unknown samples, methods and stages before running anything', async () => {
    await expect(
      explainSamples(project, { datasetId: greyId, modelIds: cnn, sampleIndices: [10] })
    ).rejects.toThrow(/outside/)
    await expect(
      explainSamples(project, { datasetId: greyId, modelIds: cnn, methods: ['lime' as never] })
    ).rejects.toThrow(/unknown saliency method/)
    await expect(
      explainSamples(project, { datasetId: greyId, modelIds: cnn, count: 1, stage: 'logits' })
    ).rejects.toThrow(/not a feature stage/)
  })
})

describe('sanityStudy', () => {
  it('scores both methods in [0, 1] per image, with consistent curves, as a sanity run', async () => {
    const s = await sanityStudy(project, { datasetId: greyId, modelId: cnn[0]!, count: 3, seed: 1 })
    expect(s.sampleIndices).toHaveLength(3)
    expect(s.fractions).toHaveLength(21)
    for (const m of ['gradcam', 'cameras'] as const) {
      const r = s.methods[m]!
      expect(r.error).toBeUndefined()
      expect(r.scores).toHaveLength(3)
      for (const v of r.scores) {
        expect(v).toBeGreaterThanOrEqual(0)
        expect(v).toBeLessThanOrEqual(1)
      }
      expect(r.mean).toBeCloseTo(r.scores.reduce((a, b) => a + b, 0) / 3, 10)
      expect(r.meanCurve).toHaveLength(21)
      // Nothing removed yet: every ordering starts at the unperturbed probability.
      expect(r.meanCurve[0]).toBeCloseTo(s.meanIdealCurve[0]!, 6)
    }
    expect(s.methods.cameras!.variant).toBe('adaptive-pool')
    // The ideal ordering is at least as good as the worst one.
    const area = (c: number[]): number => c.reduce((a, b) => a + b, 0)
    expect(area(s.meanIdealCurve)).toBeLessThanOrEqual(area(s.meanWorstCurve) + 1e-9)
    expect(s.wins!.gradcam + s.wins!.cameras + s.wins!.ties).toBe(3)
    const run = getRun(project.db, s.runId)!
    expect(run.kind).toBe('sanity')
    expect(run.status).toBe('done')
  })

  it('reports the refusal in place when CAMERAS is refused', async () => {
    const s = await sanityStudy(project, {
      datasetId: greyId,
      modelId: cnn[0]!,
      count: 1,
      fixedSizeHead: 'refuse'
    })
    expect(s.methods.cameras!.error).toMatch(/fixed-size head/)
    expect(s.methods.cameras!.scores).toEqual([])
    expect(s.methods.gradcam!.scores).toHaveLength(1)
  })
})

describe('saliencyPgdStudy and the adversarial view', () => {
  it('keeps both attacks inside the ε-ball and reports both on source and target', async () => {
    const eps = 12 / 255
    const r = await saliencyPgdStudy(project, {
      datasetId: greyId,
      sourceId: cnn[0]!,
      targetIds: [cnn[1]!],
      count: 4,
      steps: 3
    })
    // Labels come from the source, so every drawn image is attacked.
    expect(r.sampleIndices).toHaveLength(4)
    expect(r.method).toBe('cameras (adaptive-pool)')
    for (const o of [r.source, ...r.targets]) {
      for (const s of [o.vanilla, o.enhanced]) {
        expect(s.maxLinf).toBeLessThanOrEqual(eps + 1e-6)
        expect(s.meanL2).toBeGreaterThan(0)
        expect(s.foolingRate).toBeGreaterThanOrEqual(0)
        expect(s.foolingRate).toBeLessThanOrEqual(1)
      }
    }
    // The saliency weighting leaves low-saliency pixels (nearly) untouched: a smaller L2.
    expect(r.source.enhanced.meanL2).toBeLessThan(r.source.vanilla.meanL2)
    expect(r.targets[0]!.modelId).toBe(cnn[1])
    expect(r.source.cleanErrorRate).toBe(0)
    expect(r.targets[0]!.cleanErrorRate).toBeGreaterThanOrEqual(0)
    expect(r.targets[0]!.cleanErrorRate).toBeLessThanOrEqual(1)
    // Same perturbations judged by two models: norms agree.
    expect(r.targets[0]!.vanilla.meanL2).toBeCloseTo(r.source.vanilla.meanL2, 10)
    expect(getRun(project.db, r.runId)!.kind).toBe('saliency-pgd')
  })

  it('explains an adversarial image next to its original and puts it all in a self-contained report section', async () => {
    const a = await explainAdversarialSample(project, {
      datasetId: greyId,
      modelId: cnn[0]!,
      sampleIndex: 2,
      steps: 3
    })
    const o = a.original.images.data
    const v = a.adversarial.images.data
    let maxDiff = 0
    for (let i = 0; i < o.length; i++) maxDiff = Math.max(maxDiff, Math.abs(o[i]! - v[i]!))
    expect(maxDiff).toBeGreaterThan(0)
    expect(maxDiff).toBeLessThanOrEqual(12 / 255 + 1e-6)
    // Both explain the TRUE class.
    expect(a.adversarial.models[0]!.classIndex).toEqual(a.original.labels)
    expect(getRun(project.db, a.runId)!.kind).toBe('explain-adversarial')

    const e = await explainSamples(project, { datasetId: greyId, modelIds: cnn, count: 2 })
    const s = await sanityStudy(project, { datasetId: greyId, modelId: cnn[0]!, count: 1 })
    const section = explanationsReportSection({ explanation: e, adversarial: a, sanity: s })
    expect(section.id).toBe('explanations')
    expect(section.html).toContain('data:image/png;base64,')
    expect(section.html).toContain('<svg')
    expect(section.html).toContain('cnn 2')
    // No external resources, not even an SVG namespace.
    expect(section.html).not.toMatch(/https?:\/\//)
    expect(section.html).not.toMatch(/(src|href)="(?!data:image\/png;base64,)/)
  })
})
