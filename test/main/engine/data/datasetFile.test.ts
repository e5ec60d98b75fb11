import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { decodeDatasetFile, encodeDatasetFile } from '../../../../src/main/engine/data/datasetFile'
import { DatasetFileError } from '../../../../src/main/engine/data/errors'
import type { ImageDataset } from '../../../../src/main/engine/data/types'

const ds: ImageDataset = {
  name: 'tiny',
  classNames: ['a', 'b', 'c'],
  height: 2,
  width: 2,
  channels: 1,
  train: {
    images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    labels: Uint8Array.from([0, 2, 1]),
    count: 3
  },
  validation: {
    images: Uint8Array.from([200, 201, 202, 203]),
    labels: Uint8Array.from([2]),
    count: 1
  },
  provenance: { importer: 'test', source: 'here', splitSeed: 5 }
}

/** Re-gzips the raw file after `edit`. */
function tamper(file: Buffer, edit: (raw: Buffer) => Buffer): Buffer {
  return gzipSync(edit(gunzipSync(file)))
}

describe('dataset file format', () => {
  it('round-trips a dataset byte for byte and records the header fields', () => {
    const file = encodeDatasetFile(ds)
    const back = decodeDatasetFile(file, 'x.olds.gz')
    expect(back).toEqual(ds)
    const raw = gunzipSync(file)
    expect(raw.toString('ascii', 0, 4)).toBe('OLDS')
    const header = JSON.parse(raw.toString('utf8', 12, 12 + raw.readUInt32LE(8)))
    expect(header).toMatchObject({
      shape: [2, 2, 1],
      counts: { train: 3, validation: 1 },
      splitSeed: 5,
      source: 'here'
    })
    expect(encodeDatasetFile(ds).equals(file)).toBe(true)
  })

  it('rejects corrupt files with a DatasetFileError naming the file and the problem', () => {
    const file = encodeDatasetFile(ds)
    const cases: [Buffer, RegExp][] = [
      [file.subarray(0, file.length - 10), /gzip/],
      [gzipSync(Buffer.from('PK\u0003\u0004 something else')), /magic/],
      [tamper(file, (r) => (r.writeUInt32LE(9, 4), r)), /version 9/],
      [tamper(file, (r) => (r.writeUInt32LE(0xfffffff, 8), r)), /header length/],
      [tamper(file, (r) => r.subarray(0, r.length - 1)), /payload is/],
      [tamper(file, (r) => Buffer.concat([r, Buffer.from([0])])), /payload is/],
      [tamper(file, (r) => ((r[r.length - 1] = 3), r)), /validation label 3/],
      [tamper(file, (r) => (r.write('[', 12), r)), /JSON/]
    ]
    for (const [bytes, message] of cases) {
      let caught: unknown
      try {
        decodeDatasetFile(bytes, '/p/broken.olds.gz')
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(DatasetFileError)
      expect((caught as DatasetFileError).file).toBe('/p/broken.olds.gz')
      expect((caught as Error).message).toMatch(message)
      expect((caught as Error).message).toContain('/p/broken.olds.gz')
    }
  })
})
