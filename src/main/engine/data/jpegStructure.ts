/**
 * Walks a JPEG's marker structure (ITU T.81 annex B) before jpeg-js decodes it. jpeg-js reads
 * past the end of a truncated scan as zero bits and returns a half-grey image without an error
 * (even with tolerantDecoding off), and it allocates by the frame header's size before looking
 * at the data. This walk finds the frame size for the limits and refuses a file whose segments
 * run past its end or that stops before its end-of-image marker.
 */

export interface JpegFrame {
  width: number
  height: number
  components: number
  progressive: boolean
}

/** A refusal: `message` in words, `detail` the technical specifics. */
export class JpegStructureError extends Error {
  override readonly name = 'JpegStructureError'
  constructor(
    message: string,
    readonly detail?: string
  ) {
    super(message)
  }
}

/** Frame markers jpeg-js decodes: baseline, extended sequential, progressive (Huffman). */
const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2])
/** Every other start-of-frame: lossless, hierarchical, arithmetic coding. */
const OTHER_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf])

export function readJpegStructure(b: Uint8Array): JpegFrame {
  const truncated = (where: string): never => {
    throw new JpegStructureError('corrupt JPEG: the file ends early (truncated)', where)
  }
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8)
    throw new JpegStructureError('not a JPEG file (no start-of-image marker)')
  let frame: JpegFrame | undefined
  let scans = 0
  let at = 2
  for (;;) {
    if (at >= b.length) truncated(`no end-of-image marker after byte ${at}`)
    if (b[at] !== 0xff) {
      throw new JpegStructureError(
        'corrupt JPEG: garbage between its segments',
        `byte 0x${b[at]!.toString(16)} at ${at}, expected a marker`
      )
    }
    while (at < b.length && b[at] === 0xff) at++ // fill bytes
    if (at >= b.length) truncated('ends in fill bytes')
    const marker = b[at++]!
    if (marker === 0xd9) break // EOI
    if (marker === 0xd8)
      throw new JpegStructureError(
        'corrupt JPEG: a second start-of-image marker',
        `at byte ${at - 2}`
      )
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue // no length
    if (at + 2 > b.length) truncated(`segment 0x${marker.toString(16)} header`)
    const length = (b[at]! << 8) | b[at + 1]!
    if (length < 2)
      throw new JpegStructureError(
        'corrupt JPEG: a segment with an impossible length',
        `marker 0x${marker.toString(16)}, length ${length}`
      )
    if (at + length > b.length)
      truncated(`segment 0x${marker.toString(16)} of ${length} bytes at ${at}`)
    const seg = b.subarray(at + 2, at + length)
    if (SUPPORTED_SOF.has(marker) || OTHER_SOF.has(marker)) {
      if (frame) throw new JpegStructureError('corrupt JPEG: two frame headers')
      if (!SUPPORTED_SOF.has(marker)) {
        throw new JpegStructureError(
          'unsupported JPEG: lossless, hierarchical or arithmetic-coded JPEGs cannot be read; save it as an ordinary (baseline) JPEG or a PNG',
          `SOF marker 0x${marker.toString(16)}`
        )
      }
      if (seg.length < 6)
        throw new JpegStructureError('corrupt JPEG: its frame header is cut short')
      const height = (seg[1]! << 8) | seg[2]!
      const width = (seg[3]! << 8) | seg[4]!
      const components = seg[5]!
      if (width === 0 || height === 0) {
        throw new JpegStructureError(
          'corrupt or unsupported JPEG: its frame header gives no size',
          `${width}×${height}`
        )
      }
      if (![1, 3, 4].includes(components) || seg.length < 6 + 3 * components) {
        throw new JpegStructureError(
          'corrupt JPEG: its frame header lists an invalid number of colour components',
          `${components}`
        )
      }
      frame = { width, height, components, progressive: marker === 0xc2 }
    }
    at += length
    if (marker === 0xda) {
      if (!frame) throw new JpegStructureError('corrupt JPEG: image data before its frame header')
      scans++
      // Entropy-coded data: a 0xFF is followed by 0x00 (stuffing) or a restart marker; any other
      // marker ends the scan.
      for (;;) {
        if (at + 1 >= b.length) truncated(`inside scan ${scans}`)
        if (b[at] === 0xff) {
          const next = b[at + 1]!
          if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2
          else if (next === 0xff) at += 1
          else break
        } else {
          at++
        }
      }
    }
  }
  if (!frame) throw new JpegStructureError('corrupt JPEG: no frame header')
  if (scans === 0) throw new JpegStructureError('corrupt JPEG: no image data (no scan)')
  return frame
}
