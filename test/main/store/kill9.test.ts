/**
 * kill -9 of a project writer inside a WAL checkpoint, a transaction and a close, and a writer
 * that runs out of file size (as on a full disk): the project opens, intact, with every
 * acknowledged commit and no run left 'running'. A handful of trials; the campaign of 80 is
 * scripts/kill9-campaign.ts.
 */
import { platform } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runKillTrial, type KillMoment } from '../../helpers/killTrials'
import { tempDir } from './helpers'

let dir: string
let cleanup: () => void
beforeAll(() => ({ dir, cleanup } = tempDir()))
afterAll(() => cleanup())

const TRIALS: [KillMoment, number][] = [
  ['checkpoint', 101],
  ['checkpoint', 102],
  ['transaction', 103],
  ['close', 104],
  ...(platform() === 'linux' ? ([['full-disk', 105]] as [KillMoment, number][]) : [])
]

describe('a writer killed with SIGKILL (or stopped by a full disk) leaves a project that opens intact', () => {
  it.each(TRIALS)('killed at %s (trial %i)', async (moment, seed) => {
    const r = await runKillTrial(dir, moment, seed, 1500)
    expect(r.outcome, `${JSON.stringify(r)}`).toBe('intact')
    expect(r.committed).toBeGreaterThan(0)
    if (moment !== 'full-disk') expect(r.diedIn).toBe(moment)
  })
})
