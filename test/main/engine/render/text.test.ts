import { describe, expect, it } from 'vitest'
import { RgbaCanvas, RED } from '../../../../src/main/engine/render/canvas'
import {
  fitText,
  glyphOf,
  hasGlyph,
  lineHeight,
  textWidth,
  wrapText
} from '../../../../src/main/engine/render/text'
import { crispAt, decodePng, readText } from '../../../helpers/readPngText'

describe('the bitmap font of the PNG exports', () => {
  it('draws X11 fixed 6×13 glyphs: an A is the font’s A, pixel for pixel', () => {
    // misc-fixed 6x13 'A' (rows from the top): ..#... .#.#.. #...#. ×3, #####., #...#. ×3.
    expect(Array.from(glyphOf('A'), (b) => b.toString(16))).toEqual([
      '0',
      '0',
      '20',
      '50',
      '88',
      '88',
      '88',
      'f8',
      '88',
      '88',
      '88',
      '0',
      '0'
    ])
    const canvas = new RgbaCanvas(20, 15)
    canvas.text('A', 2, 1)
    const ink = (x: number, y: number) => canvas.data[(y * 20 + x) * 4]! < 128
    // Row 2 of the glyph (y = 3) has one pixel at column 2 (x = 4); row 7 (y = 8) has five.
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((x) => ink(x, 3))).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false
    ])
    expect([2, 3, 4, 5, 6, 7].map((x) => ink(x, 8))).toEqual([true, true, true, true, true, false])
  })

  it('reads back what it wrote, in both faces, with ε, δ, λ, %, and is crisp at 1× and 2×', () => {
    for (const scale of [1, 2]) {
      const text = 'PGD, ε = 3 % · δ λ ★ 98 %'
      const canvas = new RgbaCanvas(
        textWidth(text, scale) + 8 + textWidth('W', scale),
        lineHeight(scale) + 8
      )
      canvas.text(text, 4, 4, { scale, colour: RED })
      // A neighbour right after the last cell must not bleed into the cells read.
      canvas.text('W', 4 + textWidth(text, scale), 4, { scale })
      const pic = decodePng(canvas.toPng())
      expect(readText(pic, 4, 4, [...text].length, scale)).toBe(text)
      expect(crispAt(pic, 4, 4, [...text].length, scale)).toBe(true)
      // No grey: every pixel is the paper or the ink (no antialiasing to blur at any scale).
      const colours = new Set<string>()
      for (let i = 0; i < pic.data.length; i += 4)
        colours.add(`${pic.data[i]},${pic.data[i + 1]},${pic.data[i + 2]}`)
      expect(colours.size).toBe(3) // paper, red and the neighbour's ink
    }
    const bold = new RgbaCanvas(80, 20)
    bold.text('Bold 42', 1, 1, { face: 'bold' })
    expect(readText(decodePng(bold.toPng()), 1, 1, 7, 1, 'bold')).toBe('Bold 42')
  })

  it('measures, wraps and cuts text by whole characters', () => {
    expect(textWidth('abc')).toBe(18)
    expect(textWidth('abc', 2)).toBe(36)
    expect(textWidth('ε = 3 %')).toBe(42) // code points, not UTF-16 units
    expect(lineHeight(2)).toBe(26)
    expect(wrapText('the quick brown fox', 60)).toEqual(['the quick', 'brown fox'])
    expect(wrapText('one\ntwo', 600)).toEqual(['one', 'two'])
    expect(fitText('Orthogonal λ=30 model', 60)).toBe('Orthogona…')
    expect(fitText('short', 60)).toBe('short')
  })

  it('draws a character it lacks as "?" and says so', () => {
    expect(hasGlyph('漢')).toBe(false)
    expect(hasGlyph('é')).toBe(true)
    expect(glyphOf('漢')).toEqual(glyphOf('?'))
  })
})
