/**
 * The decoded image every importer hands on. Its own module because both the decoders
 * (png.ts) and the pixel work that calls them (imageOps.ts) name it: either holding it would
 * tie the two into an import cycle.
 */

/** An 8-bit image, row-major HWC. */
export interface RawImage {
  height: number
  width: number
  channels: number
  data: Uint8Array
}
