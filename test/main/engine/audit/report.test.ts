import { describe, expect, it } from 'vitest'
import {
  curveColour,
  defenseCsv,
  parseCsv,
  renderReport,
  sweepCsv,
  toCsv,
  type ReportData
} from '../../../../src/main/engine/audit/report'
import { floatPngDataUrl } from '../../../../src/main/engine/render/png'

const png = floatPngDataUrl(new Float32Array([0, 0.5, 1, 0.25]), [2, 2, 1])

const data: ReportData = {
  title: 'Audit <of> "toy"',
  projectName: 'toy',
  generatedAt: '2026-11-28T00:00:00.000Z',
  models: [
    {
      id: 1,
      name: 'ref',
      architecture: 'cnn',
      status: 'ready',
      kind: 'reference',
      lambda: 0,
      referenceId: null,
      accuracy: 0.9123,
      delta: null
    },
    {
      id: 3,
      name: 'ortho',
      architecture: 'cnn',
      status: 'ready',
      kind: 'orthogonal',
      lambda: 30,
      referenceId: 1,
      accuracy: 0.8876,
      delta: 0.0421
    }
  ],
  similarity: [
    {
      modelA: 'ref',
      modelB: 'ortho',
      mean: 0.0421,
      std: 0.1177,
      count: 1000,
      accuracyA: 0.9123,
      accuracyB: 0.8876
    }
  ],
  sweeps: [
    {
      runId: 7,
      sampleCount: 500,
      epsilons: [0, 0.03],
      attacks: ['fgsm'],
      curves: [
        {
          attack: 'fgsm',
          modelId: 1,
          modelName: 'ref',
          role: 'source',
          points: [
            { epsilon: 0, foolingRatio: 0 },
            { epsilon: 0.03, foolingRatio: 0.6543 }
          ]
        },
        {
          attack: 'fgsm',
          modelId: 3,
          modelName: 'ortho',
          role: 'orthogonal',
          points: [
            { epsilon: 0, foolingRatio: 0 },
            { epsilon: 0.03, foolingRatio: 0.1234 }
          ]
        }
      ]
    }
  ],
  defenseTables: [
    {
      runId: 8,
      sampleCount: 500,
      columns: [
        { key: 'clean', label: 'Clean samples' },
        { key: 'fgsm@0.03', label: 'FGSM ε=0.03' }
      ],
      rows: [
        {
          key: 'none',
          label: 'No defense',
          values: { clean: 0, 'fgsm@0.03': 0.4567 },
          best: { clean: true, 'fgsm@0.03': false }
        },
        {
          key: 'orthogonal',
          label: 'Orthogonal model',
          values: { clean: 0.011, 'fgsm@0.03': 0.2222 },
          best: { clean: false, 'fgsm@0.03': true }
        }
      ]
    }
  ],
  gallery: [
    {
      runId: 7,
      attack: 'fgsm',
      epsilon: 0.03,
      trueClassName: 'Boot',
      original: png,
      adversarial: png,
      perturbation: png,
      clean: [{ modelName: 'ref', className: 'Boot', confidence: 0.99 }],
      adversarialPredictions: [
        {
          modelName: 'ref',
          className: 'Sneaker',
          confidence: 0.61,
          fooled: true,
          fooledRounded: false
        }
      ]
    }
  ],
  runs: [
    {
      runId: 7,
      kind: 'attack-sweep',
      status: 'done',
      backend: 'wasm',
      seed: 42,
      startedAt: '2026-11-28T00:00:00Z',
      durationMs: 12345,
      config: { stepSize: 0.00375 }
    }
  ]
}

describe('renderReport', () => {
  const html = renderReport(data, [
    { id: 'explanations', title: 'Explanations', html: '<p>saliency here</p>' }
  ])

  it('contains every table value, best cells bold, settings, seeds, backend and durations', () => {
    for (const v of [
      '91.2',
      '88.8',
      '0.0421',
      '0.0421 ± 0.1177',
      '65.4',
      '12.3',
      // 0 of 500 images: Wilson's upper end is z²/(n + z²) = 0.76 %.
      '<b>0.0 <small>[0.0–0.8]</small> ★</b>',
      '45.7',
      '<b>22.2 <small>[',
      '1.1'
    ]) {
      expect(html).toContain(v)
    }
    expect(html).toContain('Sneaker 61.0 % — fooled (not after 8-bit rounding)')
    expect(html).toContain('0.00375')
    expect(html).toContain('seed 42')
    expect(html).toContain('backend wasm')
    expect(html).toContain('12.3 s')
    expect(html).toContain('Audit &lt;of&gt; &quot;toy&quot;')
    // The extra section comes before the settings.
    expect(html.indexOf('id="explanations"')).toBeLessThan(html.indexOf('id="settings"'))
    expect(html.indexOf('id="gallery"')).toBeLessThan(html.indexOf('id="explanations"'))
  })

  it('is self-contained: no external URL, no script, images as data URIs', () => {
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/src="(?!data:image\/png;base64,)/)
    expect(html).toContain('<svg')
  })

  it('draws source red and orthogonal green polylines', () => {
    expect(html).toMatch(
      new RegExp(`<polyline points="[^"]+" fill="none" stroke="${curveColour('source')}"`)
    )
    expect(html).toMatch(
      new RegExp(`<polyline points="[^"]+" fill="none" stroke="${curveColour('orthogonal')}"`)
    )
    expect(curveColour('ordinary')).toBe('#111111')
  })

  it('refuses two sections with the same id', () => {
    expect(() => renderReport(data, [{ id: 'models', title: 'x', html: '' }])).toThrow(/"models"/)
  })
})

describe('CSV', () => {
  it('round-trips awkward fields', () => {
    const rows = [
      ['a,b', 'say "hi"', 'two\nlines'],
      [1.5, null, -0]
    ]
    const parsed = parseCsv(toCsv(['x', 'y', 'z'], rows))
    expect(parsed).toEqual([
      ['x', 'y', 'z'],
      ['a,b', 'say "hi"', 'two\nlines'],
      ['1.5', '', '0']
    ])
  })

  it('writes sweeps and defense tables with the exact values, in % with units and intervals', () => {
    const sweep = parseCsv(sweepCsv(data.sweeps[0]!))
    // Units in the headers (issue 16): ε and fooling in %, with the images they rest on and
    // each ratio's 95 % Wilson interval (issue 17), in % too.
    expect(sweep[0]).toEqual([
      'attack',
      'model_id',
      'model',
      'role',
      'epsilon_pct',
      'fooling_pct',
      'fooled',
      'images',
      'fooling_ci95_low_pct',
      'fooling_ci95_high_pct'
    ])
    const fgsm = sweep.find((r) => r[0] === 'FGSM' && r[2] === 'ref' && r[4] === '3')!
    expect(fgsm.slice(0, 8)).toEqual(['FGSM', '1', 'ref', 'source', '3', '65.43', '327', '500'])
    // Wilson by hand for 327 of 500 (z = 1.96): centre (p + z²/2n)/(1 + z²/n), half-width
    // z·√(p(1−p)/n + z²/4n²)/(1 + z²/n).
    const z = 1.959963984540054
    const [n, p] = [500, 327 / 500]
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n)
    const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n)
    expect(Number(fgsm[8])).toBeCloseTo(100 * (centre - half), 3)
    expect(Number(fgsm[9])).toBeCloseTo(100 * (centre + half), 3)
    expect(Number(fgsm[8])).toBeCloseTo(61.12, 1)
    const table = parseCsv(defenseCsv(data.defenseTables[0]!))
    expect(table[0]).toEqual([
      'defense',
      'clean_error_pct',
      'clean_error_ci95_low_pct',
      'clean_error_ci95_high_pct',
      'fgsm_eps3pct_fooling_pct',
      'fgsm_eps3pct_fooling_ci95_low_pct',
      'fgsm_eps3pct_fooling_ci95_high_pct',
      'images'
    ])
    expect(table.slice(1).map((r) => [r[0], r[1], r[4], r[7]])).toEqual([
      ['No defense', '0', '45.67', '500'],
      ['Orthogonal model', '1.1', '22.22', '500']
    ])
    // 0 of 500: [0, z²/(n + z²)] = [0, 0.76 %].
    expect(Number(table[1]![2])).toBe(0)
    expect(Number(table[1]![3])).toBeCloseTo((100 * (z * z)) / (500 + z * z), 3)
  })
})
