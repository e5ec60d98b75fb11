import { describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import {
  encodePng,
  floatPngDataUrl,
  pngDataUrl,
  toBytes
} from '../../../../src/main/engine/render/png'
import { amplifiedPerturbation } from '../../../../src/main/engine/render/perturbation'
import { galleryGridPng, gridPng } from '../../../../src/main/engine/render/grid'
import { lineChartSvg } from '../../../../src/main/engine/render/lineChart'

const decode = (png: Buffer) => PNG.sync.read(png)
const fromDataUrl = (url: string) => decode(Buffer.from(url.split(',')[1]!, 'base64'))

describe('PNG encoding (the one encoder)', () => {
  it('rounds floats to 8 bits as tf.browser.toPixels does, clamping, NaN as 0', () => {
    expect(Array.from(toBytes([0, 0.5, 1, 1.2, -1, Number.NaN, 0.25]))).toEqual([
      0, 128, 255, 255, 0, 0, 64
    ])
  })

  it('encodes grey, RGB and RGBA pixels, and refuses a size that does not fit', () => {
    const grey = decode(encodePng([0, 128, 255, 64], 2, 2, 1))
    expect([grey.width, grey.height]).toEqual([2, 2])
    expect([grey.data[0], grey.data[4], grey.data[8], grey.data[12]]).toEqual([0, 128, 255, 64])
    expect(grey.data[3]).toBe(255)
    const rgb = decode(encodePng([10, 20, 30, 40, 50, 60], 1, 2, 3))
    expect(Array.from(rgb.data)).toEqual([10, 20, 30, 255, 40, 50, 60, 255])
    const rgba = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    expect(Array.from(decode(encodePng(rgba, 1, 2, 4)).data)).toEqual(Array.from(rgba))
    expect(() => encodePng(rgba, 2, 2, 4)).toThrow(/8 values for a 2x2x4 image/)
    expect(() => encodePng(rgba, 1, 4, 2 as never)).toThrow(/1, 3 or 4 channels/)
  })

  it('makes data URLs the CSP accepts', () => {
    expect(pngDataUrl(encodePng([0], 1, 1, 1))).toMatch(/^data:image\/png;base64,/)
    const img = fromDataUrl(floatPngDataUrl(new Float32Array([0, 0.5, 1, 0.25]), [2, 2, 1]))
    expect([img.data[0], img.data[4], img.data[8], img.data[12]]).toEqual([0, 128, 255, 64])
  })
})

describe('the perturbation image', () => {
  it('stretches the largest |δ| to full scale around mid-grey', () => {
    expect(Array.from(amplifiedPerturbation([0.5, 0.5, 0.5], [0.52, 0.49, 0.5]))).toEqual(
      [1, 0.25, 0.5].map((v) => expect.closeTo(v, 5))
    )
    // A tiny perturbation is still shown: the point of the image is where the attack pushed.
    expect(
      Array.from(amplifiedPerturbation([0.3, 0.3], [0.3 + 1e-6, 0.3 - 1e-6])).map((v) =>
        Math.round(v)
      )
    ).toEqual([1, 0])
  })

  it('is flat mid-grey (128 in 8 bits) when nothing changed, as at ε = 0 — never NaN', () => {
    const same = amplifiedPerturbation([0.2, 0.7, 0], [0.2, 0.7, 0])
    expect(Array.from(same)).toEqual([0.5, 0.5, 0.5])
    expect(Array.from(toBytes(same))).toEqual([128, 128, 128])
    expect(() => amplifiedPerturbation([0, 0], [0])).toThrow(/2 original values but 1 adversarial/)
  })
})

describe('grids', () => {
  it('lays out a gallery: 3 cells per row, scaled, with white gaps around', () => {
    const grid = decode(
      galleryGridPng([{ original: [0, 1, 1, 0], adversarial: [0.1, 0.9, 1, 0] }], [2, 2, 1], 2, 1)
    )
    // 3 cells of 4 px plus 4 gaps of 1 px; one row of 4 px plus 2 gaps.
    expect([grid.width, grid.height]).toEqual([16, 6])
    expect(grid.data[(1 * 16 + 1) * 4]).toBe(0) // original's top-left pixel
    expect(grid.data[0]).toBe(255) // the margin is white
    // Perturbation cell (third): δ = [0.1, -0.1, 0, 0] → [255, 0, 128, 128].
    const at = (x: number, y: number) => grid.data[(y * 16 + x) * 4]
    expect([at(11, 1), at(13, 1), at(11, 3), at(13, 3)]).toEqual([255, 0, 128, 128])
  })

  it('leaves a cell white when it has no picture', () => {
    const png = decode(
      gridPng({ rows: 1, cols: 2, cellWidth: 1, cellHeight: 1, scale: 1, gap: 1 }, (_r, c) =>
        c === 0 ? Uint8Array.from([9, 9, 9, 255]) : undefined
      )
    )
    expect([png.width, png.height]).toEqual([3, 1])
    expect([png.data[0], png.data[8]]).toEqual([9, 255])
  })
})

describe('the SVG line chart', () => {
  it('places points on the axes scales, with the legend and no external reference', () => {
    const svg = lineChartSvg({
      description: 'a & b',
      width: 148,
      height: 118,
      x: { title: 'x', min: 0, max: 1, ticks: [{ value: 0.5, label: '50' }] },
      y: { title: 'y', min: 0, max: 1, grid: true, ticks: [{ value: 1, label: '100' }] },
      series: [
        {
          label: 'model <1>',
          colour: '#d62728',
          dash: '6 3',
          markers: true,
          points: [
            { x: 1, y: 0 },
            { x: 0, y: 1 }
          ]
        }
      ]
    })
    // Plot area: left 48, right 12, top 12, bottom 40 → x in [48, 136], y in [12, 78].
    expect(svg).toContain(
      '<polyline points="48.0,12.0 136.0,78.0" fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="6 3">'
    )
    expect(svg).toContain('model &lt;1&gt;')
    expect(svg).toContain('aria-label="a &amp; b"')
    expect(svg.match(/<circle/g)).toHaveLength(2)
    expect(svg).not.toMatch(/https?:/)
  })
})
