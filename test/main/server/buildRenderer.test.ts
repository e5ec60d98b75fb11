import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildIsFresh, newestMtime } from '../../../src/main/server/buildRenderer'

const dir = mkdtempSync(join(tmpdir(), 'ortholens-build-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the loopback host reuses a renderer build only while it is newer than the sources', () => {
  it('finds the newest file, however deep', () => {
    mkdirSync(join(dir, 'tree', 'a', 'b'), { recursive: true })
    writeFileSync(join(dir, 'tree', 'top.txt'), 'x')
    writeFileSync(join(dir, 'tree', 'a', 'b', 'deep.txt'), 'y')
    utimesSync(join(dir, 'tree', 'top.txt'), 1000, 1000)
    utimesSync(join(dir, 'tree', 'a', 'b', 'deep.txt'), 2000, 2000)
    expect(newestMtime(join(dir, 'tree'))).toBe(2000 * 1000)
    expect(newestMtime(join(dir, 'missing'))).toBe(0)
  })

  it('calls a build older than the renderer sources stale, and a newer one fresh', () => {
    const out = join(dir, 'out')
    expect(buildIsFresh(out)).toBe(false)
    mkdirSync(out)
    writeFileSync(join(out, 'index.html'), '<!doctype html>')
    // Built in 1970: older than any source file of the checkout.
    utimesSync(join(out, 'index.html'), 1, 1)
    expect(buildIsFresh(out)).toBe(false)
    const future = Date.now() / 1000 + 3600
    utimesSync(join(out, 'index.html'), future, future)
    expect(buildIsFresh(out)).toBe(true)
  })
})
