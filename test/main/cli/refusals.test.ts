/**
 * Issue 19 on the command line: a negative number reaches its flag's range check instead of
 * being read as a flag, unknown ids are named in one wording everywhere, `--max-per-class`
 * caps the built-in sample, and a failure prints the plain message with its technical part
 * only under --verbose. Every refusal leaves the project file byte for byte as it was.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { UsageError } from '../../../src/main/cli/args'
import { failureReport, joinNegativeValues } from '../../../src/main/cli/failure'
import { main } from '../../../src/main/cli/index'
import { ImportError } from '../../../src/main/engine/data/errors'
import { initBackend } from '../../../src/main/engine/backend'
import { buildModel } from '../../../src/main/engine/models'
import { createProject, saveDataset, saveModel } from '../../../src/main/store'
import { syntheticDataset } from '../../helpers/syntheticDataset'

await initBackend('cpu')

const dir = mkdtempSync(join(tmpdir(), 'ortholens-cli-refusals-'))
const file = join(dir, 'p.ortholens')
let datasetId = 0
let modelId = 0

const hash = (): string => createHash('sha256').update(readFileSync(file)).digest('hex')

async function cli(args: string[]): Promise<string> {
  const lines: string[] = []
  const spy = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')))
  try {
    await main([...args, '--backend', 'cpu', '--quiet'])
    return lines.join('\n')
  } finally {
    spy.mockRestore()
  }
}

beforeAll(() => {
  const p = createProject(file, { name: 'refusals' })
  const db = p.writable()
  datasetId = saveDataset(db, {
    ...syntheticDataset({ classes: 4, train: 40, validation: 20 }),
    name: 'tiny'
  })
  const net = buildModel('cnn', [8, 8, 1], 4, { seed: 1, name: 'ref' })
  modelId = saveModel(db, {
    name: 'ref',
    architecture: net.architecture,
    weights: net.exportWeights(),
    datasetId,
    status: 'ready'
  })
  net.dispose()
  p.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('negative numbers', () => {
  it('joins a negative number to its value flag, and only there', () => {
    const flags = new Set(['lambda', 'mean', 'name'])
    expect(
      joinNegativeValues(['train', 'f', '--lambda', '-1', '--mean', '-0.5,0.2'], flags)
    ).toEqual(['train', 'f', '--lambda=-1', '--mean=-0.5,0.2'])
    // Not a number: a flag after a flag stays a flag; a boolean flag takes no value.
    expect(joinNegativeValues(['--name', '--json', '--quiet', '-1'], flags)).toEqual([
      '--name',
      '--json',
      '--quiet',
      '-1'
    ])
  })

  it('--lambda -1 is refused by its range, before anything is written', async () => {
    const before = hash()
    const args = [
      'train',
      file,
      '--dataset',
      String(datasetId),
      '--arch',
      'cnn',
      '--name',
      'x',
      '--reference',
      String(modelId)
    ]
    await expect(cli([...args, '--lambda', '-1'])).rejects.toThrow(
      new UsageError('--lambda: must be between 0 and 1000')
    )
    await expect(cli([...args, '--epochs', '-3'])).rejects.toThrow(
      /^--epochs: must be between 1 and \d+$/
    )
    expect(hash()).toBe(before)
  })

  it('an unknown option or a missing value is a usage error in words', async () => {
    await expect(cli(['runs', file, '--frobnicate'])).rejects.toThrow(
      new UsageError('unknown option --frobnicate')
    )
    await expect(main(['runs', file, '--kind'])).rejects.toThrow(
      new UsageError('--kind needs a value')
    )
    await expect(main(['runs', file, '--kind', '--json'])).rejects.toThrow(
      new UsageError('--kind needs a value; to give one starting with a dash, write --kind=-VALUE')
    )
    await expect(main(['runs', file, '--json=yes'])).rejects.toThrow(
      new UsageError('--json takes no value')
    )
  })
})

describe('unknown ids', () => {
  it('are named in one wording by every command, and the project is untouched', async () => {
    const before = hash()
    const d = String(datasetId)
    await expect(cli(['attack', file, '--dataset', d, '--source', '99'])).rejects.toThrow(
      /^model 99 does not exist in this project$/
    )
    await expect(
      cli(['explain', file, '--dataset', d, '--models', `${modelId},99`])
    ).rejects.toThrow(/^model 99 does not exist in this project$/)
    await expect(
      cli(['similarity', file, '--dataset', d, '--a', String(modelId), '--b', '99'])
    ).rejects.toThrow(/^model 99 does not exist in this project$/)
    await expect(
      cli(['attack', file, '--dataset', '42', '--source', String(modelId)])
    ).rejects.toThrow(/^dataset 42 does not exist in this project$/)
    await expect(cli(['rerun', file, '--run', '777'])).rejects.toThrow(
      /^run 777 does not exist in this project$/
    )
    expect(hash()).toBe(before)
  })
})

describe('dataset import --source builtin --max-per-class', () => {
  it('caps each split of the built-in sample per class', async () => {
    const out = JSON.parse(
      await cli([
        'dataset',
        'import',
        file,
        '--source',
        'builtin',
        '--max-per-class',
        '20',
        '--json'
      ])
    ) as {
      summary: { trainCount: number; validationCount: number }
      trainClassCounts: number[]
      validationClassCounts: number[]
    }
    expect(out.summary.trainCount).toBe(200)
    expect(out.summary.validationCount).toBe(200)
    expect(out.trainClassCounts).toEqual(new Array(10).fill(20))
    expect(out.validationClassCounts).toEqual(new Array(10).fill(20))
  })
})

describe('a failure as the command line prints it', () => {
  it('the plain message; where and the technical part only with --verbose', () => {
    const err = new ImportError('/data/cat/3.png', 'corrupt PNG: a chunk is damaged', {
      detail: 'IDAT CRC 0x1234abcd, computed 0x00ff00ff'
    })
    expect(failureReport(err, false)).toEqual({
      text: 'ortholens: /data/cat/3.png: corrupt PNG: a chunk is damaged',
      exitCode: 1
    })
    expect(failureReport(err, true).text).toBe(
      'ortholens: /data/cat/3.png: corrupt PNG: a chunk is damaged\n  where: /data/cat/3.png\n  details: IDAT CRC 0x1234abcd, computed 0x00ff00ff'
    )
    const raw = failureReport(
      new TypeError("Cannot read properties of undefined (reading 'shape')"),
      false
    )
    expect(raw.text).not.toMatch(/Cannot read|TypeError/)
    expect(raw.text).toMatch(/unexpected error[\s\S]*--verbose/)
    const verbose = failureReport(
      new TypeError("Cannot read properties of undefined (reading 'shape')"),
      true
    )
    expect(verbose.text).toMatch(
      /details: TypeError: Cannot read properties of undefined \(reading 'shape'\)\n.*TypeError[\s\S]*refusals\.test\.ts/
    )
  })

  it('the real command: stderr and exit code of a refused model import, with and without --verbose', () => {
    const model = join(dir, 'bad-model')
    mkdirSync(model)
    writeFileSync(join(model, 'model.json'), '{"modelTopology": {"class_name": "Sequential"')
    const before = hash()
    const run = (extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/main/cli/index.ts',
          'model',
          'import',
          file,
          '--path',
          model,
          '--quiet',
          ...extra
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, ORTHOLENS_BACKEND: 'cpu' }
        }
      )
    const plain = run([])
    expect(plain.status).toBe(1)
    const lines = plain.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^ortholens: .*model\.json/)
    expect(lines[0]).not.toMatch(/Unexpected|JSON at position|SyntaxError/)
    const verbose = run(['--verbose'])
    expect(verbose.status).toBe(1)
    expect(verbose.stderr).toContain(lines[0]!)
    expect(verbose.stderr).toMatch(/\n {2}details: .+/)
    expect(hash()).toBe(before)
  })
})
