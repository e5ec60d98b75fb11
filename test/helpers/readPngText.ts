/**
 * Reads text back out of a picture drawn with the exports' bitmap font (engine/render/text.ts):
 * each character cell (6×13 font pixels, `scale` screen pixels each) is compared with every
 * glyph. Ink is any pixel darker than the paper; the colour does not matter. What a wrong
 * layout (a label drawn elsewhere, clipped, or not at all) cannot pass.
 */
import { PNG } from 'pngjs'
import {
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyphOf,
  type FontFace
} from '../../src/main/engine/render/text'

export interface Picture {
  width: number
  height: number
  data: Uint8Array | Buffer
}

export function decodePng(png: Buffer): Picture {
  const p = PNG.sync.read(png)
  return { width: p.width, height: p.height, data: p.data }
}

const isInk = (pic: Picture, x: number, y: number): boolean => {
  if (x < 0 || y < 0 || x >= pic.width || y >= pic.height) return false
  const o = (y * pic.width + x) * 4
  const lum = 0.299 * pic.data[o]! + 0.587 * pic.data[o + 1]! + 0.114 * pic.data[o + 2]!
  return lum < 170
}

/** The font's rows of the cell at (x, y), sampling each `scale`-block's top-left pixel. */
function cellRows(pic: Picture, x: number, y: number, scale: number): string {
  let key = ''
  for (let r = 0; r < GLYPH_HEIGHT; r++) {
    let bits = 0
    for (let c = 0; c < GLYPH_WIDTH; c++)
      if (isInk(pic, x + c * scale, y + r * scale)) bits |= 0x80 >> c
    key += bits.toString(16).padStart(2, '0')
  }
  return key
}

const tables = new Map<FontFace, Map<string, string>>()
function table(face: FontFace): Map<string, string> {
  let t = tables.get(face)
  if (!t) {
    t = new Map()
    // Printable ASCII, Latin-1 and the symbols the labels use; the first char with a bitmap wins.
    const chars = [
      ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)),
      ...'εδλ–—…“”’‘·×→≤≥★°²µ'
    ]
    for (const ch of chars) {
      const key = Array.from(glyphOf(ch, face), (b) => b.toString(16).padStart(2, '0')).join('')
      if (!t.has(key)) t.set(key, ch)
    }
    tables.set(face, t)
  }
  return t
}

/** The `length` characters drawn at (x, y); an unreadable cell reads as '\uFFFD'. */
export function readText(
  pic: Picture,
  x: number,
  y: number,
  length: number,
  scale = 1,
  face: FontFace = 'regular'
): string {
  let out = ''
  for (let i = 0; i < length; i++)
    out += table(face).get(cellRows(pic, x + i * GLYPH_WIDTH * scale, y, scale)) ?? '\uFFFD'
  return out
}

/** Whether every font pixel at (x, y) is a solid `scale`×`scale` block (no blur, no half pixels). */
export function crispAt(
  pic: Picture,
  x: number,
  y: number,
  length: number,
  scale: number
): boolean {
  for (let i = 0; i < length * GLYPH_WIDTH; i++)
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const ink = isInk(pic, x + i * scale, y + r * scale)
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < scale; dx++)
          if (isInk(pic, x + i * scale + dx, y + r * scale + dy) !== ink) return false
    }
  return true
}
