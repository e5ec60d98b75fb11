/**
 * Issue 19, "plain messages": what any thrown error becomes on its way to the window, the
 * command line and the log. Errors written for people keep their words and code; the file or
 * record at fault goes to `where`, the technical text to `technical`; an unexpected error is
 * told in plain words, its raw text kept as `technical` (and logged), never in the message.
 */
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ContractError, DISK_FULL_MESSAGE } from '../../../src/contract/errors'
import { ValidationError } from '../../../src/contract/validate'
import { ImportError } from '../../../src/main/engine/data/errors'
import { FileAccessError } from '../../../src/main/engine/io/errors'
import { LayersFormatError } from '../../../src/main/engine/models/layers/files'
import { OnnxImportError } from '../../../src/main/engine/models/onnx/errors'
import { HEAP_EXHAUSTED } from '../../../src/main/engine/wasmHeap'
import { INTERNAL_MESSAGE, logIfInternal, toErrorData } from '../../../src/main/jobs/errorData'
import { IncompatibleModelError } from '../../../src/main/services/compatibility'
import { ProjectFileError, RecordNotFoundError } from '../../../src/main/store'

/** A real SQLITE_FULL from better-sqlite3: a database capped at a few pages, then filled. */
function sqliteFullError(): Error {
  const db = new Database(':memory:')
  try {
    db.exec('CREATE TABLE t (x BLOB)')
    db.pragma('max_page_count = 4')
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024))
  } catch (err) {
    return err as Error
  } finally {
    db.close()
  }
  throw new Error('the capped database took 64 kB')
}

afterEach(() => vi.restoreAllMocks())

describe('toErrorData', () => {
  it('an unknown id is not-found with the one wording, naming the record', () => {
    expect(toErrorData(new RecordNotFoundError('model', 99))).toEqual({
      code: 'not-found',
      message: 'model 99 does not exist in this project',
      where: 'model 99'
    })
  })

  it('TF.js Layers and ONNX refusals are import-failed, their technical detail passed through', () => {
    const layers = new LayersFormatError(
      '/m/model.json: weights.bin is shorter than the manifest says',
      {
        detail: 'expected 1084 bytes, found 1000'
      }
    )
    expect(toErrorData(layers)).toEqual({
      code: 'import-failed',
      message: '/m/model.json: weights.bin is shorter than the manifest says',
      technical: 'expected 1084 bytes, found 1000'
    })
    const onnx = new OnnxImportError(
      'cut.onnx is not a readable ONNX model (truncated or corrupt protobuf)',
      {
        detail: 'protobuf: index out of range: 812 + 10 > 820'
      }
    )
    expect(toErrorData(onnx)).toMatchObject({
      code: 'import-failed',
      technical: 'protobuf: index out of range: 812 + 10 > 820'
    })
    expect(toErrorData(onnx).message).not.toMatch(/index out of range/)
  })

  it('a dataset refusal names its file as `where`, the checksum as `technical`', () => {
    const err = new ImportError('/data/cat/3.png', 'corrupt PNG: a chunk is damaged', {
      detail: 'IDAT CRC 0x1234abcd, computed 0x00ff00ff'
    })
    expect(toErrorData(err)).toEqual({
      code: 'import-failed',
      message: '/data/cat/3.png: corrupt PNG: a chunk is damaged',
      where: '/data/cat/3.png',
      technical: 'IDAT CRC 0x1234abcd, computed 0x00ff00ff'
    })
    const access = new FileAccessError(
      'missing',
      '/m/w.bin',
      'the file does not exist (moved or deleted?)',
      "ENOENT: no such file or directory, open '/m/w.bin'"
    )
    expect(toErrorData(access)).toMatchObject({
      code: 'import-failed',
      where: '/m/w.bin',
      technical: expect.stringMatching(/^ENOENT/)
    })
    expect(toErrorData(access).message).not.toMatch(/ENOENT/)
  })

  it('an unexpected error is told in plain words; its raw text is the technical part only', () => {
    for (const raw of [
      new Error('have should not go down'),
      new TypeError("Cannot read properties of undefined (reading 'shape')"),
      new RangeError('Invalid typed array length: 4294967296'),
      'a thrown string'
    ]) {
      const data = toErrorData(raw)
      expect(data.code).toBe('internal')
      expect(data.message).toBe(INTERNAL_MESSAGE)
      const text = raw instanceof Error ? raw.message : raw
      expect(data.technical).toContain(text)
      expect(data.message).not.toContain(text)
    }
    expect(toErrorData(new TypeError('x is not a function')).technical).toBe(
      'TypeError: x is not a function'
    )
  })

  it('a refusal the services word as a RangeError stays in its words', () => {
    expect(
      toErrorData(new RangeError('Orthogonal training (λ > 0) needs a reference model'))
    ).toEqual({
      code: 'invalid-args',
      message: 'Orthogonal training (λ > 0) needs a reference model'
    })
    expect(
      toErrorData(new IncompatibleModelError('Model "a" takes 32x32x3 images', 'sourceId'))
    ).toEqual({
      code: 'invalid-args',
      message: 'Model "a" takes 32x32x3 images',
      where: 'sourceId'
    })
    expect(toErrorData(new ValidationError('epochs', 'must be between 1 and 500, got 0'))).toEqual({
      code: 'invalid-args',
      message: 'epochs: must be between 1 and 500, got 0',
      where: 'epochs'
    })
  })

  it('a full disk, from SQLite or the OS, is disk-full in words, SQLite’s text kept as technical', () => {
    const sqlite = sqliteFullError()
    expect((sqlite as { code?: string }).code).toBe('SQLITE_FULL')
    expect(toErrorData(sqlite)).toEqual({
      code: 'disk-full',
      message: DISK_FULL_MESSAGE,
      technical: 'SQLITE_FULL (SqliteError: database or disk is full)'
    })
    const os = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC'
    })
    expect(toErrorData(os)).toMatchObject({
      code: 'disk-full',
      technical: 'Error: ENOSPC: no space left on device, write'
    })
    const wrapped = new Error('saving failed', { cause: sqlite })
    expect(toErrorData(wrapped).code).toBe('disk-full')
    const open = new ProjectFileError(
      'disk-full',
      '/p/a.ortho',
      '/p/a.ortho cannot be written: the disk is full',
      { cause: sqlite }
    )
    expect(toErrorData(open)).toMatchObject({
      code: 'disk-full',
      where: '/p/a.ortho',
      technical: 'SQLITE_FULL: database or disk is full'
    })
    expect(DISK_FULL_MESSAGE).not.toMatch(/SQLITE|ENOSPC/)
  })

  it('a refused project file names the file; SQLite’s report is technical', () => {
    const err = new ProjectFileError(
      'damaged',
      '/p/a.ortho',
      '/p/a.ortho is an Ortholens project but it is damaged (its pages do not fit together); open a backup',
      {
        detail: 'SQLITE_CORRUPT: database disk image is malformed'
      }
    )
    expect(toErrorData(err)).toMatchObject({
      code: 'project-file',
      where: '/p/a.ortho',
      technical: 'SQLITE_CORRUPT: database disk image is malformed'
    })
  })

  it('keeps a ContractError whole, and the wasm heap’s advice as out-of-memory', () => {
    const e = new ContractError('forbidden-path', 'Choose /x with the file picker first', '/x', {
      technical: 'real path /y'
    })
    expect(toErrorData(e)).toEqual({
      code: 'forbidden-path',
      message: 'Choose /x with the file picker first',
      where: '/x',
      technical: 'real path /y'
    })
    expect(ContractError.from(toErrorData(e)).toJSON()).toEqual(e.toJSON())
    const heap = new Error(`${HEAP_EXHAUSTED}: 90 MB more were needed. Use a smaller batch.`)
    expect(toErrorData(heap)).toEqual({ code: 'out-of-memory', message: heap.message })
  })

  it('logs the raw text and stack of an unexpected error, and nothing for a refusal', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const raw = new Error('There are some read requests waitng on finished stream')
    logIfInternal(raw, toErrorData(raw), 'the train job')
    expect(log).toHaveBeenCalledTimes(1)
    expect(String(log.mock.calls[0]![0])).toMatch(
      /unexpected error in the train job: Error: There are some read requests waitng[\s\S]*errorData\.test\.ts/
    )
    const refusal = new RecordNotFoundError('run', 3)
    logIfInternal(refusal, toErrorData(refusal), 'results.get')
    expect(log).toHaveBeenCalledTimes(1)
  })
})
