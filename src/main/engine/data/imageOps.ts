/**
 * Pixel-level work shared by the importers: decoding PNG/JPEG by magic bytes, channel
 * conversion and resampling of 8-bit HWC images. Pure functions on byte arrays, no tf: the
 * importers run before any backend exists and on tens of thousands of small images.
 */
import jpeg from 'jpeg-js'
import { decodePngStrict, PngError } from './png'
import { JpegStructureError, readJpegStructure } from './jpegStructure'

import type { RawImage } from './rawImage'

export type { RawImage } from './rawImage'

export type Resample = 'bilinear' | 'area'

/**
 * Images larger than this are refused from their header, before decoding: 4096 × 4096. A
 * 16-megapixel JPEG already costs jpeg-js about 400 MB (an Int32Array object per 8×8 block and
 * component), and nothing an image classifier trains on comes close.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096

/** jpeg-js' own allocation ceiling, a second line behind the pixel limit. */
const JPEG_MAX_MEMORY_MB = 512

/**
 * A decoding refusal: `message` says what is wrong in words (the importer adds the file),
 * `detail` keeps the technical specifics (offsets, checksums, the library's text).
 */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError'
  constructor(
    message: string,
    readonly detail?: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG_MAGIC = [0xff, 0xd8, 0xff]

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)
}

/** 'png' | 'jpeg' from the first bytes, or undefined (the extension is not trusted). */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (startsWith(bytes, PNG_MAGIC)) return 'png'
  if (startsWith(bytes, JPEG_MAGIC)) return 'jpeg'
  return undefined
}

export interface DecodeLimits {
  /** Refuse images with more pixels than this. Default DEFAULT_MAX_IMAGE_PIXELS. */
  maxPixels?: number
}

/**
 * Decodes a PNG or JPEG into 1 channel (grayscale sources) or 3 (colour; alpha is dropped,
 * not composited, as the spec asks). Throws an ImageDecodeError whose message is the reason;
 * the importer wraps it with the file name. Sizes are checked from the header before any
 * pixel memory is allocated; damaged data is refused, never decoded into filler pixels.
 */
export function decodeImage(bytes: Uint8Array, limits: DecodeLimits = {}): RawImage {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS
  const format = sniffImageFormat(bytes)
  if (format === 'png') {
    try {
      return decodePngStrict(bytes, { maxPixels })
    } catch (err) {
      if (err instanceof PngError)
        throw new ImageDecodeError(err.message, err.detail, { cause: err })
      throw err
    }
  }
  if (format === 'jpeg') return decodeJpeg(bytes, maxPixels)
  throw new ImageDecodeError('not a PNG or JPEG image (unrecognised magic bytes)')
}

function decodeJpeg(bytes: Uint8Array, maxPixels: number): RawImage {
  let frame
  try {
    frame = readJpegStructure(bytes)
  } catch (err) {
    if (err instanceof JpegStructureError)
      throw new ImageDecodeError(err.message, err.detail, { cause: err })
    throw err
  }
  if (frame.width * frame.height > maxPixels) {
    throw new ImageDecodeError(
      `the JPEG says it is ${frame.width}×${frame.height} pixels (${((frame.width * frame.height) / 1e6).toFixed(0)} megapixels); images over ${(maxPixels / 1e6).toFixed(0)} megapixels are not imported`
    )
  }
  let decoded: { width: number; height: number; data: Uint8Array }
  try {
    // tolerantDecoding would turn a truncated file into a half-grey image silently.
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(maxPixels / 1e6),
      maxMemoryUsageInMB: JPEG_MAX_MEMORY_MB
    })
  } catch (err) {
    throw new ImageDecodeError(
      'corrupt JPEG: its image data cannot be decoded',
      (err as Error).message,
      { cause: err }
    )
  }
  const { width, height, data } = decoded
  if (width !== frame.width || height !== frame.height || data.length !== width * height * 3) {
    throw new ImageDecodeError(
      'corrupt JPEG: it decodes to a different size than its header says',
      `decoded ${data.length} bytes for ${width}x${height}, header ${frame.width}x${frame.height}`
    )
  }
  // jpeg-js expands one-component (grayscale) JPEGs to RGB; R = G = B everywhere says so.
  let gray = true
  for (let p = 0; p < width * height && gray; p++) {
    gray = data[p * 3] === data[p * 3 + 1] && data[p * 3] === data[p * 3 + 2]
  }
  if (!gray) return { height, width, channels: 3, data }
  const luma = new Uint8Array(width * height)
  for (let p = 0; p < width * height; p++) luma[p] = data[p * 3] as number
  return { height, width, channels: 1, data: luma }
}

/**
 * Converts between 1 and 3 channels: gray is replicated, RGB becomes ITU-R BT.601 luma
 * (0.299 R + 0.587 G + 0.114 B, what PIL's convert('L') uses), rounded.
 */
export function toChannels(img: RawImage, channels: number): RawImage {
  if (img.channels === channels) return img
  const n = img.width * img.height
  const data = new Uint8Array(n * channels)
  if (img.channels === 1 && channels === 3) {
    for (let p = 0; p < n; p++) {
      const v = img.data[p] as number
      data[p * 3] = v
      data[p * 3 + 1] = v
      data[p * 3 + 2] = v
    }
  } else if (img.channels === 3 && channels === 1) {
    for (let p = 0; p < n; p++) {
      const r = img.data[p * 3] as number
      const g = img.data[p * 3 + 1] as number
      const b = img.data[p * 3 + 2] as number
      data[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b)
    }
  } else {
    throw new RangeError(`cannot convert ${img.channels} channels to ${channels}`)
  }
  return { height: img.height, width: img.width, channels, data }
}

/**
 * Resizes to `height` x `width`. 'bilinear' samples at pixel centres (half-pixel offsets, as
 * tf.image.resizeBilinear with halfPixelCenters and PIL do), so a uniform image stays uniform
 * and the picture does not shift. 'area' averages the source pixels each output pixel covers,
 * weighted by overlap (OpenCV's INTER_AREA): the right choice when shrinking, where bilinear
 * aliases. The default picks area when shrinking in both directions, else bilinear.
 */
export function resize(img: RawImage, height: number, width: number, method?: Resample): RawImage {
  if (img.height === height && img.width === width) return img
  const chosen = method ?? (height <= img.height && width <= img.width ? 'area' : 'bilinear')
  return chosen === 'area' ? resizeArea(img, height, width) : resizeBilinear(img, height, width)
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
}

function resizeBilinear(img: RawImage, height: number, width: number): RawImage {
  const { channels: C, data: src } = img
  const out = new Uint8Array(height * width * C)
  const sy = img.height / height
  const sx = img.width / width
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, img.height - 1)
    const wy = fy - y0
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, img.width - 1)
      const wx = fx - x0
      for (let c = 0; c < C; c++) {
        const a = src[(y0 * img.width + x0) * C + c] as number
        const b = src[(y0 * img.width + x1) * C + c] as number
        const d = src[(y1 * img.width + x0) * C + c] as number
        const e = src[(y1 * img.width + x1) * C + c] as number
        const top = a + (b - a) * wx
        const bottom = d + (e - d) * wx
        out[(y * width + x) * C + c] = clampByte(top + (bottom - top) * wy)
      }
    }
  }
  return { height, width, channels: C, data: out }
}

/** For each output index, the source indices it overlaps and the overlap lengths. */
function areaWeights(inSize: number, outSize: number): { index: number[]; weight: number[] }[] {
  const scale = inSize / outSize
  const result: { index: number[]; weight: number[] }[] = []
  for (let o = 0; o < outSize; o++) {
    const start = o * scale
    const end = (o + 1) * scale
    const index: number[] = []
    const weight: number[] = []
    for (let i = Math.floor(start); i < Math.min(Math.ceil(end), inSize); i++) {
      const w = Math.min(end, i + 1) - Math.max(start, i)
      if (w > 1e-12) {
        index.push(i)
        weight.push(w / scale)
      }
    }
    result.push({ index, weight })
  }
  return result
}

function resizeArea(img: RawImage, height: number, width: number): RawImage {
  const { channels: C, data: src } = img
  const out = new Uint8Array(height * width * C)
  const rows = areaWeights(img.height, height)
  const cols = areaWeights(img.width, width)
  const acc = new Float64Array(C)
  for (let y = 0; y < height; y++) {
    const row = rows[y] as { index: number[]; weight: number[] }
    for (let x = 0; x < width; x++) {
      const col = cols[x] as { index: number[]; weight: number[] }
      acc.fill(0)
      row.index.forEach((sy, i) => {
        const wy = row.weight[i] as number
        col.index.forEach((sx, j) => {
          const w = wy * (col.weight[j] as number)
          const base = (sy * img.width + sx) * C
          for (let c = 0; c < C; c++) acc[c] = (acc[c] as number) + w * (src[base + c] as number)
        })
      })
      for (let c = 0; c < C; c++) out[(y * width + x) * C + c] = clampByte(acc[c] as number)
    }
  }
  return { height, width, channels: C, data: out }
}

/** Channel conversion then resize: the image as the dataset stores it. */
export function conformImage(
  img: RawImage,
  target: { height: number; width: number; channels: number; resample?: Resample }
): Uint8Array {
  return resize(toChannels(img, target.channels), target.height, target.width, target.resample).data
}
