/**
 * The CI share of the hostile-input campaign (issue 19): two cases of every family, run through
 * the import service, the model importer and the project open. Each must be refused with a
 * message that names the file in plain words, leaving the project byte-identical, or (the
 * valid controls and the undecidable ones) accepted whole. The full campaign of over 1,000
 * cases, with time and memory per case in child processes, is scripts/hostile-campaign.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/engine/backend'
import {
  FAMILIES,
  isFailure,
  makeProjectTemplate,
  makeRichProject,
  runHostileCase,
  writeCases,
  type HostileCase
} from '../helpers/hostile/index'

const PER_FAMILY = 2
let root: string
let template: string
let cases: HostileCase[]

beforeAll(async () => {
  await initBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'ortholens-hostile-ci-'))
  template = makeProjectTemplate(root)
  // Seeds other than the campaign's first ones, so CI adds coverage run after run of the script.
  cases = writeCases(root, makeRichProject(root), { perFamily: PER_FAMILY, seedBase: 5000 })
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('hostile inputs (a sample of every family)', () => {
  it('covers every family of the campaign', () => {
    expect(new Set(cases.map((c) => c.family)).size).toBe(FAMILIES.length)
    expect(FAMILIES.reduce((n, f) => n + f.count, 0)).toBeGreaterThanOrEqual(1000)
  })

  for (const family of FAMILIES) {
    it(`${family.name}: refused clearly (project unchanged) or accepted whole`, async () => {
      for (const c of cases.filter((x) => x.family === family.name)) {
        const r = await runHostileCase(c, root, template)
        expect(
          isFailure(r),
          `${c.id} (${c.note}): ${r.outcome}: ${r.why ?? ''} ${r.message ?? ''}`
        ).toBe(false)
        if (c.expect === 'refuse') expect(r.outcome).toBe('refused-clear')
        if (c.expect === 'accept') expect(r.outcome).toBe('accepted')
      }
    })
  }
})
