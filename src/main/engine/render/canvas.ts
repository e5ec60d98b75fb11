/**
 * A plain RGBA drawing surface for the labelled PNG exports (gallery sheets, explanation grids
 * with a colour scale): filled rectangles, images pasted at an integer scale (nearest
 * neighbour, so 28×28 pictures stay sharp), and bitmap-font text (text.ts). Encoded by the one
 * PNG encoder (png.ts).
 */
import { encodePng } from './png'
import { upscaleRgba } from './grid'
import { drawText, lineHeight, textWidth, type FontFace, type Rgb } from './text'

export type { Rgb }

/** Colours the exports share: ink, muted ink, rules, the sheet and a header band. */
export const INK: Rgb = [17, 24, 39]
export const MUTED: Rgb = [75, 85, 99]
export const RULE: Rgb = [209, 213, 219]
export const PAPER: Rgb = [255, 255, 255]
export const BAND: Rgb = [243, 244, 246]
export const RED: Rgb = [185, 28, 28]
export const GREEN: Rgb = [21, 128, 61]

export class RgbaCanvas {
  readonly data: Uint8Array

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = PAPER
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new Error(`canvas: ${width}×${height} is not a picture size`)
    this.data = new Uint8Array(width * height * 4)
    this.fillRect(0, 0, width, height, background)
  }

  /** Fills the rectangle (clipped to the canvas). */
  fillRect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    const x0 = Math.max(0, Math.round(x))
    const y0 = Math.max(0, Math.round(y))
    const x1 = Math.min(this.width, Math.round(x + w))
    const y1 = Math.min(this.height, Math.round(y + h))
    for (let py = y0; py < y1; py++)
      for (let px = x0; px < x1; px++) {
        const o = (py * this.width + px) * 4
        this.data[o] = colour[0]
        this.data[o + 1] = colour[1]
        this.data[o + 2] = colour[2]
        this.data[o + 3] = 255
      }
  }

  /** A one-pixel (× `thickness`) frame just inside the rectangle. */
  strokeRect(x: number, y: number, w: number, h: number, colour: Rgb, thickness = 1): void {
    this.fillRect(x, y, w, thickness, colour)
    this.fillRect(x, y + h - thickness, w, thickness, colour)
    this.fillRect(x, y, thickness, h, colour)
    this.fillRect(x + w - thickness, y, thickness, h, colour)
  }

  /** Pastes a w×h RGBA picture with its top-left at (x, y), enlarged `scale` times. */
  drawImage(rgba: Uint8Array, w: number, h: number, x: number, y: number, scale = 1): void {
    if (rgba.length !== w * h * 4)
      throw new Error(`canvas: ${rgba.length} bytes for a ${w}×${h} picture`)
    const big = upscaleRgba(rgba, w, h, scale)
    const bw = w * scale
    for (let row = 0; row < h * scale; row++) {
      const py = Math.round(y) + row
      if (py < 0 || py >= this.height) continue
      for (let col = 0; col < bw; col++) {
        const px = Math.round(x) + col
        if (px < 0 || px >= this.width) continue
        const s = (row * bw + col) * 4
        const o = (py * this.width + px) * 4
        this.data[o] = big[s]!
        this.data[o + 1] = big[s + 1]!
        this.data[o + 2] = big[s + 2]!
        this.data[o + 3] = 255
      }
    }
  }

  /** Text with its top-left at (x, y); returns its width. */
  text(
    text: string,
    x: number,
    y: number,
    options: { colour?: Rgb; scale?: number; face?: FontFace } = {}
  ): number {
    return drawText(this.data, this.width, text, x, y, { colour: INK, ...options })
  }

  /** Text centred on x. */
  textCentred(
    text: string,
    cx: number,
    y: number,
    options: { colour?: Rgb; scale?: number; face?: FontFace } = {}
  ): void {
    this.text(text, cx - textWidth(text, options.scale ?? 1) / 2, y, options)
  }

  toPng(): Buffer {
    return encodePng(this.data, this.height, this.width, 4)
  }
}

export { lineHeight, textWidth }

/** A piece of text on a labelled PNG and where it was drawn (for tests that read the picture back). */
export interface PlacedText {
  text: string
  x: number
  y: number
  scale: number
  face: FontFace
}

/**
 * A text writer for one labelled PNG: draws at whole pixels (a glyph at a fractional place would
 * be drawn rounded, and read back elsewhere) at the export's font scale, and records each piece
 * in `placed`.
 */
export function textPlacer(
  canvas: RgbaCanvas,
  scale: number,
  placed: PlacedText[]
): (text: string, x: number, y: number, o?: { face?: FontFace; colour?: Rgb }) => void {
  return (text, x, y, o = {}) => {
    const face = o.face ?? 'regular'
    const px = Math.round(x)
    const py = Math.round(y)
    canvas.text(text, px, py, { scale, face, colour: o.colour ?? INK })
    placed.push({ text, x: px, y: py, scale, face })
  }
}
