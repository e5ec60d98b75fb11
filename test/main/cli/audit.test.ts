import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { runCli } from '../../helpers/cli'
import { flagValue } from '../../../src/main/cli/args'
import { getRun } from '../../../src/main/store'
import { tinyProject, type TinyProject } from '../services/fixtures'

await initBackend('cpu')

const cli = runCli

describe('ortholens attack | defense | report', () => {
  let t: TinyProject
  beforeAll(() => {
    t = tinyProject()
    t.project.close() // the CLI opens the file itself
  })
  afterAll(() => t.cleanup())

  it('reads --epsilons in percent', () => {
    expect(flagValue('epsilons', 'percents', '0,0.5,8')).toEqual([0, 0.005, 0.08])
    expect(() => flagValue('epsilons', 'percents', '0,x')).toThrow(
      /--epsilons must be a number, got "x"/
    )
  })

  it('runs a sweep, a defense table and writes the report, all with --json', async () => {
    const ids = {
      ds: String(t.datasetId),
      src: String(t.sourceId),
      ord: String(t.ordinaryId),
      orth: String(t.orthogonalId)
    }
    const sweep = await cli([
      'attack',
      t.path,
      '--dataset',
      ids.ds,
      '--source',
      ids.src,
      '--targets',
      `${ids.ord},${ids.orth}`,
      '--attacks',
      'fgsm',
      '--epsilons',
      '0,30',
      '--samples',
      '20',
      '--seed',
      '4',
      '--json'
    ])
    expect(sweep.code).toBe(0)
    const s = JSON.parse(sweep.out) as {
      runId: number
      curves: { role: string; points: { epsilon: number; foolingRatio: number }[] }[]
    }
    expect(s.curves).toHaveLength(3)
    expect(s.curves[0]!.points.map((p) => p.epsilon)).toEqual([0, 0.3])
    expect(s.curves[0]!.points[1]!.foolingRatio).toBeGreaterThan(0)

    const human = await cli([
      'attack',
      t.path,
      '--dataset',
      ids.ds,
      '--source',
      ids.src,
      '--targets',
      ids.ord,
      '--attacks',
      'fgsm',
      '--epsilons',
      '0,30',
      '--samples',
      '20',
      '--seed',
      '4'
    ])
    expect(human.out).toMatch(/FGSM: fooling ratio/)
    // Each ratio with its 95 % Wilson interval over the sweep's images.
    expect(human.out).toMatch(/^30 +\d+\.\d \[\d+\.\d, \d+\.\d\] +\d+\.\d \[\d+\.\d, \d+\.\d\]$/m)

    const table = await cli([
      'defense',
      t.path,
      '--dataset',
      ids.ds,
      '--source',
      ids.src,
      '--ordinary',
      ids.ord,
      '--orthogonal',
      ids.orth,
      '--attacks',
      'fgsm',
      '--defenses',
      'bitDepth',
      '--samples',
      '10',
      '--json'
    ])
    const d = JSON.parse(table.out) as { runId: number; rows: { label: string }[] }
    expect(d.rows.map((r) => r.label)).toContain('Orthogonal model (no defense)')

    const out = join(t.dir, 'audit.html')
    const report = await cli([
      'report',
      t.path,
      '--out',
      out,
      '--csv-dir',
      join(t.dir, 'csv'),
      '--json'
    ])
    const r = JSON.parse(report.out) as { htmlPath: string; files: string[] }
    expect(r.htmlPath).toBe(out)
    expect(readFileSync(out, 'utf8')).toContain('Defenses compared')
    for (const f of r.files) expect(existsSync(f)).toBe(true)

    const { openProject } = await import('../../../src/main/store')
    const p = openProject(t.path, { readonly: true })
    expect(getRun(p.db, s.runId)!.seed).toBe(4)
    p.close()
  })

  it('checks flags with the window validators: one spelling of each name, the declared limits', async () => {
    const base = [
      'defense',
      t.path,
      '--dataset',
      String(t.datasetId),
      '--source',
      String(t.sourceId),
      '--ordinary',
      String(t.ordinaryId)
    ]
    await expect(
      cli([...base, '--orthogonal', String(t.orthogonalId), '--defenses', 'bitdepth'])
    ).rejects.toThrow(
      /--defenses \(defenses\[0\]\): must be one of "jpeg", "tvm", "bitDepth", "bilateral"/
    )
    await expect(cli([...base, '--orthogonal', String(t.sourceId)])).rejects.toThrow(
      /--orthogonal: source, ordinary and orthogonal must be three different models/
    )
    await expect(cli(base)).rejects.toThrow(/--orthogonal is required/)
    await expect(
      cli([
        'attack',
        t.path,
        '--dataset',
        String(t.datasetId),
        '--source',
        String(t.sourceId),
        '--epsilons',
        '120'
      ])
    ).rejects.toThrow(/--epsilons \(epsilons\[0\]\): must be between 0 and 1/)
  })

  it('refuses a collapsed target with a message naming it', async () => {
    await expect(
      cli([
        'attack',
        t.path,
        '--dataset',
        String(t.datasetId),
        '--source',
        String(t.sourceId),
        '--targets',
        String(t.collapsedId),
        '--samples',
        '5'
      ])
    ).rejects.toThrow(/collapsed/)
  })
})
