/**
 * The labelled explanation PNG: title and subtitle, a colour scale drawn with the heat maps'
 * own colour map (blue end = least, red end = most), a heading per model and method, and under
 * every picture the image number, its true class and each model's prediction, for the side by
 * side study and the adversarial one (two labelled sections).
 */
import { describe, expect, it } from 'vitest'
import { jetColor } from '../../../src/main/engine/saliency'
import {
  explanationRunPng,
  labelledExplanationPng
} from '../../../src/main/services/explain/labelledPng'
import { storeExplanation, type Explanation } from '../../../src/main/services/explain/stored'
import { crispAt, decodePng, readText } from '../../helpers/readPngText'

/** Two 8×8 grey images, two models, Grad-CAM and CAMERAS (refused on the second model). */
function explanation(offset = 0): Explanation {
  const n = 2
  const images = Float32Array.from({ length: n * 64 }, (_, i) => ((i * 7 + offset) % 64) / 63)
  const ramp = Float32Array.from({ length: n * 64 }, (_, i) => (i % 64) / 63)
  return {
    sampleIndices: [4, 9],
    labels: [0, 2],
    classNames: ['coat', 'shirt', 'boot'],
    methods: ['gradcam', 'cameras'],
    images: { data: images, shape: [n, 8, 8, 1] },
    models: [
      {
        modelId: 1,
        modelName: 'Reference',
        predicted: [0, 2],
        classIndex: [0, 2],
        maps: {
          gradcam: { data: ramp, shape: [n, 8, 8] },
          cameras: { data: ramp, shape: [n, 8, 8] }
        }
      },
      {
        modelId: 2,
        modelName: 'Orthogonal λ=30',
        predicted: [1, 2],
        classIndex: [1, 2],
        camerasVariant: 'adaptive-pool',
        maps: { gradcam: { data: ramp, shape: [n, 8, 8] }, cameras: { error: 'refused' } }
      }
    ]
  } as Explanation
}

describe('the labelled explanation PNG', () => {
  it('names the study, the models, the methods, every image and prediction, crisply', () => {
    const out = labelledExplanationPng([{ explanation: explanation() }], {
      title: 'Where each model looks',
      subtitle: 'Validation images of “tiny”.'
    })
    const pic = decodePng(out.png)
    expect([pic.width, pic.height]).toEqual([out.width, out.height])
    const said = out.texts.map((t) => t.text)
    for (const t of [
      'Where each model looks',
      'Validation images of “tiny”.',
      'Colour scale:',
      'least',
      'most',
      'Image',
      'Reference',
      'Orthogonal λ=30',
      'Grad-CAM',
      'CAMERAS',
      '#4',
      'true: coat',
      '#9',
      'true: boot',
      'predicts coat',
      'predicts shirt',
      'predicts boot',
      'not available'
    ])
      expect(said, t).toContain(t)
    expect(said.filter((t) => t === 'CAMERAS')).toHaveLength(2)
    // The adaptive-pool variant is said in words under the grid.
    expect(said.join(' ')).toMatch(
      /CAMERAS on Orthogonal λ=30: adaptive-pool variant\. CAMERAS enlarges the image/
    )
    for (const l of out.texts) {
      expect(readText(pic, l.x, l.y, [...l.text].length, l.scale, l.face), l.text).toBe(l.text)
      expect(crispAt(pic, l.x, l.y, [...l.text].length, l.scale)).toBe(true)
    }
  })

  it('draws the colour scale with the heat maps’ own colours, least at the left', () => {
    const out = labelledExplanationPng([{ explanation: explanation() }], { title: 'T' })
    const pic = decodePng(out.png)
    const at = (x: number) =>
      Array.from(
        pic.data.subarray(
          ((out.scale.y + 2) * pic.width + x) * 4,
          ((out.scale.y + 2) * pic.width + x) * 4 + 3
        )
      )
    expect(at(out.scale.x)).toEqual(jetColor(0))
    expect(at(out.scale.x + out.scale.width - 1)).toEqual(jetColor(1))
    expect(jetColor(0)[2]).toBeGreaterThan(jetColor(0)[0]) // blue end
    expect(jetColor(1)[0]).toBeGreaterThan(jetColor(1)[2]) // red end
  })

  it('doubles at scale 2', () => {
    const one = labelledExplanationPng([{ explanation: explanation() }], { title: 'T' })
    const two = labelledExplanationPng([{ explanation: explanation() }], { title: 'T', scale: 2 })
    expect([two.width, two.height]).toEqual([2 * one.width, 2 * one.height])
  })

  it('shows an adversarial run as its original and adversarial sections, with the attack and ε in %', () => {
    const run = {
      id: 7,
      kind: 'explain-adversarial',
      config: { request: {}, resolved: { attack: 'pgd', epsilon: 12 / 255, steps: 10 } },
      results: {
        original: storeExplanation(explanation(), 1, [8, 8, 1]),
        adversarial: storeExplanation(explanation(5), 1, [8, 8, 1])
      }
    }
    const out = explanationRunPng(run, { datasetName: 'tiny' })
    const said = out.texts.map((t) => t.text)
    expect(said[0]).toBe('Ortholens · an adversarial image next to its original (run #7)')
    expect(said.join(' ')).toContain(
      'PGD, ε = 4.71 % of the pixel range, 10 steps; image of “tiny”'
    )
    expect(said).toContain('Original image')
    expect(said).toContain('Adversarial image (PGD, ε = 4.71 % of the pixel range)')
    expect(said.filter((t) => t === '#4')).toHaveLength(2)
    expect(said.join(' ')).not.toMatch(/\/255|0\.047/)
  })
})
