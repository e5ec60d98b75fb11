import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  formatBytes,
  inflateBounded,
  readFileBounded,
  readFileBoundedAsync
} from '../../../../src/main/engine/io/bounded'
import { ConfinedFolder } from '../../../../src/main/engine/io/confined'
import { describeFileError, FileAccessError } from '../../../../src/main/engine/io/errors'

let dir: string
let folder: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ortholens-confine-'))
  folder = join(dir, 'picked')
  mkdirSync(join(folder, 'sub'), { recursive: true })
  writeFileSync(join(folder, 'sub', 'w.bin'), 'inside')
  writeFileSync(join(dir, 'secret.txt'), 'outside')
  symlinkSync(join(dir, 'secret.txt'), join(folder, 'out.bin'))
  symlinkSync(join(folder, 'sub', 'w.bin'), join(folder, 'in.bin'))
  symlinkSync('/dev/zero', join(folder, 'zero.bin'))
  execFileSync('mkfifo', [join(folder, 'pipe.bin')])
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const problem = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(FileAccessError)
    return `${(err as FileAccessError).problem}: ${(err as Error).message}`
  }
  throw new Error('not refused')
}

describe('ConfinedFolder: a path a file lists must stay inside its folder', () => {
  it('accepts plain and linked paths that resolve inside', () => {
    const f = new ConfinedFolder(folder)
    expect(f.resolveListed('sub/w.bin', 'model.json').real).toBe(join(f.real, 'sub', 'w.bin'))
    expect(f.resolveListed('in.bin', 'model.json').real).toBe(join(f.real, 'sub', 'w.bin'))
  })

  it('refuses "..", absolute and drive paths, NUL and links out, before reading anything', () => {
    const f = new ConfinedFolder(folder)
    expect(problem(() => f.resolveListed('../../dev/zero', 'model.json'))).toMatch(
      /^outside-folder: model.json: it lists "..\/..\/dev\/zero", a path that climbs out/
    )
    expect(problem(() => f.resolveListed('sub/../../secret.txt', 'm'))).toMatch(/climbs out/)
    expect(problem(() => f.resolveListed('/etc/passwd', 'm'))).toMatch(/an absolute path/)
    expect(problem(() => f.resolveListed('C:\\Windows\\win.ini', 'm'))).toMatch(/an absolute path/)
    expect(problem(() => f.resolveListed('w.bin\0.txt', 'm'))).toMatch(/NUL/)
    expect(problem(() => f.resolveListed('out.bin', 'm'))).toMatch(
      /a link that leads outside the folder/
    )
    expect(problem(() => f.resolveListed('missing.bin', 'm'))).toMatch(/^missing: .*does not exist/)
    expect(problem(() => f.resolveFound(join(folder, 'zero.bin')))).toMatch(
      /link to \/dev\/zero, outside the chosen folder/
    )
  })
})

describe('bounded reads: regular files only, sizes known before reading', () => {
  it('refuses a FIFO (without waiting for a writer), a device and a folder', async () => {
    expect(problem(() => readFileBounded(join(folder, 'pipe.bin'), { maxBytes: 10 }))).toMatch(
      /^not-a-file: .*not a regular file/
    )
    expect(problem(() => readFileBounded('/dev/zero', { maxBytes: 10 }))).toMatch(/^not-a-file/)
    await expect(readFileBoundedAsync(join(folder, 'sub'), { maxBytes: 10 })).rejects.toThrow(
      /not a regular file/
    )
  })

  it('refuses a file over the limit with both sizes, and reads one within it exactly', () => {
    const big = join(dir, 'big.bin')
    writeFileSync(big, Buffer.alloc(5000, 7))
    expect(problem(() => readFileBounded(big, { maxBytes: 4999, what: 'a weight file' }))).toMatch(
      /^too-large: .*a weight file of 5,000 bytes is larger than the 4,999 bytes this import reads/
    )
    expect(readFileBounded(big, { maxBytes: 5000 })).toEqual(Buffer.alloc(5000, 7))
  })

  it('inflates within a bound: a 50 MB gzip bomb stops at the bound, a cut stream is "truncated"', () => {
    const bomb = gzipSync(Buffer.alloc(50_000_000))
    expect(bomb.length).toBeLessThan(100_000)
    expect(
      problem(() => inflateBounded(bomb, { maxBytes: 1_000_000, format: 'gzip', file: 'x.gz' }))
    ).toMatch(/^too-large: x.gz: .* unpacks to more than 1.0 MB/)
    const ok = gzipSync(Buffer.from('hello'))
    expect(inflateBounded(ok, { maxBytes: 5, format: 'gzip', file: 'x' }).toString()).toBe('hello')
    expect(
      problem(() =>
        inflateBounded(ok.subarray(0, ok.length - 4), { maxBytes: 99, format: 'gzip', file: 'x' })
      )
    ).toMatch(/ends early \(the file is truncated\)/)
  })

  it('errno codes become words, the code stays in the detail', () => {
    const d = describeFileError(
      Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT' })
    )
    expect(d.reason).toBe('the file does not exist (moved or deleted?)')
    expect(d.detail).toMatch(/ENOENT/)
    expect(formatBytes(3.7e9)).toBe('3.7 GB')
  })
})
