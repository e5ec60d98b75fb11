import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { threadId } from 'node:worker_threads'
import {
  currentOwner,
  markThreadEnded,
  newRunOwner,
  ownerAlive,
  releaseRunOwner
} from '../../../src/main/store/owner'

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

describe('run owner tags of this process', () => {
  it('a run of this thread is alive until released; another thread of this process counts as alive', () => {
    const owner = newRunOwner()
    expect(owner).toMatch(new RegExp(`^${hostname()}:${process.pid}/t\\d+/[0-9a-f]{12}$`))
    expect(ownerAlive(owner)).toBe(true)
    releaseRunOwner(owner)
    expect(ownerAlive(owner)).toBe(false)
    // The same nonce claimed by another thread of this process: that thread's business.
    expect(ownerAlive(owner.replace(/\/t\d+\//, '/t987654/'))).toBe(true)
    // A tag left by an earlier process that had this pid (a run this thread never started).
    expect(ownerAlive(`${hostname()}:${process.pid}/t${threadId}/0123456789ab`)).toBe(false)
  })
})

describe('threads this thread saw end', () => {
  it('a run of a thread marked ended is dead; other threads and this one are not affected', () => {
    const tag = `${hostname()}:${process.pid}`
    const ofThread = (t: number) => `${tag}/t${t}/00000000000${t % 10}`
    expect(ownerAlive(ofThread(876541))).toBe(true)
    markThreadEnded(876541)
    expect(ownerAlive(ofThread(876541))).toBe(false)
    expect(ownerAlive(ofThread(876542))).toBe(true)
    // This thread's own runs are judged by what it started, never by this list.
    const mine = newRunOwner()
    markThreadEnded(threadId)
    expect(ownerAlive(mine)).toBe(true)
    releaseRunOwner(mine)
  })
})
