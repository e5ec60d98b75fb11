/**
 * Text for the PNG exports, drawn with a bitmap font (fontData.ts: X11's public-domain 6×13
 * "fixed", regular and bold) so a label needs no font file, looks the same on every machine and
 * stays crisp: a glyph is whole pixels, scaled by an integer (1× is 13 px tall, 2× is 26 px).
 */
import { BOLD_GLYPHS, GLYPH_ASCENT, GLYPH_HEIGHT, GLYPH_WIDTH, REGULAR_GLYPHS } from './fontData'

export { GLYPH_ASCENT, GLYPH_HEIGHT, GLYPH_WIDTH }

/** A glyph: GLYPH_HEIGHT rows, bit 7 of each the leftmost of its GLYPH_WIDTH pixels. */
export type Glyph = Uint8Array

export type FontFace = 'regular' | 'bold'

const faces = new Map<FontFace, Map<number, Glyph>>()

function parse(table: string): Map<number, Glyph> {
  const out = new Map<number, Glyph>()
  for (const entry of table.trim().split(/\s+/)) {
    const [code, hex] = entry.split(':') as [string, string]
    const rows = new Uint8Array(GLYPH_HEIGHT)
    for (let r = 0; r < GLYPH_HEIGHT; r++) rows[r] = parseInt(hex.slice(2 * r, 2 * r + 2), 16)
    out.set(Number(code), rows)
  }
  return out
}

function glyphs(face: FontFace): Map<number, Glyph> {
  let map = faces.get(face)
  if (!map) {
    map = parse(face === 'bold' ? BOLD_GLYPHS : REGULAR_GLYPHS)
    faces.set(face, map)
  }
  return map
}

/** The glyph of one character; '?' for one the font lacks (a name in another script). */
export function glyphOf(char: string, face: FontFace = 'regular'): Glyph {
  const map = glyphs(face)
  return map.get(char.codePointAt(0) ?? 63) ?? map.get(63)!
}

/** Whether the font draws `char` itself (not as '?'). */
export function hasGlyph(char: string): boolean {
  return glyphs('regular').has(char.codePointAt(0) ?? -1)
}

/** Characters of `text` as the font steps through them (code points, not UTF-16 halves). */
function chars(text: string): string[] {
  return [...text]
}

/** Width in pixels of `text` at `scale` (a fixed-width font: 6 px per character at 1×). */
export function textWidth(text: string, scale = 1): number {
  return chars(text).length * GLYPH_WIDTH * scale
}

/** Height of one line of text at `scale`. */
export function lineHeight(scale = 1): number {
  return GLYPH_HEIGHT * scale
}

/** `text` cut to at most `maxWidth` pixels, with "…" where it was cut. */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  const max = Math.floor(maxWidth / (GLYPH_WIDTH * scale))
  const all = chars(text)
  if (all.length <= max) return text
  return max <= 0 ? '' : all.slice(0, max - 1).join('') + '…'
}

/**
 * `text` broken at spaces into lines of at most `maxWidth` pixels; a word longer than a line
 * is cut with "…". Explicit newlines start a new line.
 */
export function wrapText(text: string, maxWidth: number, scale = 1): string[] {
  const max = Math.max(1, Math.floor(maxWidth / (GLYPH_WIDTH * scale)))
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(' ')) {
      const next = line === '' ? word : `${line} ${word}`
      if (chars(next).length <= max) line = next
      else {
        if (line !== '') lines.push(line)
        line = chars(word).length <= max ? word : fitText(word, maxWidth, scale)
      }
    }
    lines.push(line)
  }
  return lines
}

/** An RGB colour, 0–255 per channel. */
export type Rgb = readonly [number, number, number]

/**
 * Draws `text` into RGBA pixels (`width` pixels per row) with its top-left corner at (x, y):
 * each font pixel becomes a `scale`×`scale` block of `colour`; the background is left as it
 * is. Pixels outside the image are skipped. Returns the width drawn.
 */
export function drawText(
  rgba: Uint8Array,
  width: number,
  text: string,
  x: number,
  y: number,
  options: { colour?: Rgb; scale?: number; face?: FontFace } = {}
): number {
  const colour = options.colour ?? [17, 24, 39]
  const s = Math.max(1, Math.round(options.scale ?? 1))
  const height = rgba.length / 4 / width
  let cx = Math.round(x)
  const top = Math.round(y)
  for (const ch of chars(text)) {
    const g = glyphOf(ch, options.face)
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const bits = g[r]!
      if (bits === 0) continue
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (!(bits & (0x80 >> c))) continue
        for (let dy = 0; dy < s; dy++) {
          const py = top + r * s + dy
          if (py < 0 || py >= height) continue
          for (let dx = 0; dx < s; dx++) {
            const px = cx + c * s + dx
            if (px < 0 || px >= width) continue
            const o = (py * width + px) * 4
            rgba[o] = colour[0]
            rgba[o + 1] = colour[1]
            rgba[o + 2] = colour[2]
            rgba[o + 3] = 255
          }
        }
      }
    }
    cx += GLYPH_WIDTH * s
  }
  return cx - Math.round(x)
}
