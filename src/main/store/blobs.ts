/**
 * Typed arrays <-> SQLite blobs. Blobs hold the platform's byte order; every platform
 * Electron and Node ship for is little-endian, so files move between machines unchanged.
 */

/** A view of the array's bytes, no copy. */
export function float32ToBlob(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/**
 * A fresh Float32Array from a blob. Copies: better-sqlite3 may hand back a Buffer from
 * Node's pool at an offset that is not a multiple of 4, which a Float32Array view rejects.
 */
export function blobToFloat32(blob: Uint8Array, what: string): Float32Array {
  if (blob.byteLength % 4 !== 0) {
    throw new Error(`${what}: blob of ${blob.byteLength} bytes is not a float32 array`)
  }
  const out = new Float32Array(blob.byteLength / 4)
  new Uint8Array(out.buffer).set(blob)
  return out
}

/** A view of the bytes, no copy. */
export function bytesToBlob(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

/** JSON text for a column; `undefined` becomes SQL NULL. */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value)
}

/** Parses a JSON column; NULL becomes `undefined`. */
export function fromJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T)
}
