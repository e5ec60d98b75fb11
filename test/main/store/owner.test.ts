import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { currentOwner, ownerAlive } from '../../../src/main/store/owner'

describe('run owners', () => {
  it('this process is alive; an exited one, another host and junk are not', () => {
    expect(currentOwner()).toBe(`${hostname()}:${process.pid}`)
    expect(ownerAlive(currentOwner())).toBe(true)
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    expect(ownerAlive(`${hostname()}:${exited.stdout.toString()}`)).toBe(false)
    expect(ownerAlive(`not-${hostname()}:${process.pid}`)).toBe(false)
    expect(ownerAlive('')).toBe(false)
    expect(ownerAlive(`${hostname()}:abc`)).toBe(false)
  })
})
