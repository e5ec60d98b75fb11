/**
 * The command line: every job the window can run, on the same project file and engine, with
 * the same requests (jobCommands.ts). Human-readable output by default; `--json` prints one
 * JSON document on stdout for scripts (progress always goes to stderr).
 */
import { parseArgs } from 'node:util'
import { ARCHITECTURES, PENALTY_FORMS } from '../../contract/names'
import { initBackend, type BackendName } from '../engine/backend'
import { createProject, getProjectMeta, listDatasets, listModels, listRuns } from '../store'
import { defined, UsageError, type Values } from './args'
import { EXIT_USAGE, failureReport, joinNegativeValues, usageTextOf } from './failure'
import { reportCommand } from './audit'
import { DEMO_FLAGS, DEMO_USAGE, demoOptions, runDemo } from './demo'
import { modelListText, withAccuracyCost } from './modelList'
import type { CliContext } from './command'
import { JOB_COMMANDS } from './jobCommands'
import { LIFECYCLE_COMMANDS, LIFECYCLE_USAGE } from './lifecycle'
import { pctCi, progressPrinter, table } from './output'
import { predictCommand, PREDICT_USAGE } from './predict'
import { withProject } from './projects'
import { RERUN_USAGE, rerunCommand } from './rerun'

const HELP = `Ortholens — audit and harden image classifiers against adversarial examples

Usage: ortholens <command> [project file] [options]      (npm run cli -- <command> …)

Commands
${DEMO_USAGE}
  project create F [--name N]        create an empty project file
  project info F                     name, versions, datasets, models, runs
  dataset list F
  model list F
  runs F [--kind K]
${Object.values(JOB_COMMANDS)
  .map((c) => c.usage)
  .join('\n')}
${LIFECYCLE_USAGE}
${PREDICT_USAGE}
${RERUN_USAGE}
  report F [--out report.html] [--csv-dir DIR]
                          self-contained HTML audit report (+ CSV of every table)

  Architectures: ${ARCHITECTURES.join(', ')}; penalty forms: ${PENALTY_FORMS.join(', ')}.
  Every value is checked against the same limits as in the window.

Global options
  --json            print the result as JSON on stdout
  --quiet           no progress on stderr
  --verbose         on a failure, also print its technical details (file, errno, library text)
  --backend B       tensorflow | wasm | cpu | auto (default: best available)
`

/** Every flag of every command (node:util wants them declared together); all take a value. */
const valueFlags = new Set([
  'backend',
  'name',
  'kind',
  'run',
  'out',
  'csv-dir',
  'input',
  ...DEMO_FLAGS,
  ...Object.values(JOB_COMMANDS).flatMap((c) => c.flagNames)
])
const options = {
  json: { type: 'boolean' },
  'with-dependents': { type: 'boolean' },
  quiet: { type: 'boolean' },
  verbose: { type: 'boolean' },
  gradient: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries([...valueFlags].map((f) => [f, { type: 'string' as const }]))
} as const

function print(json: boolean, value: unknown, human: () => string): void {
  console.log(
    json
      ? JSON.stringify(
          value,
          (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
          2
        )
      : human()
  )
}

/** The flags and positionals of `argv`; a malformed line is a UsageError in words. */
function parseLine(argv: string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({
      args: joinNegativeValues(argv, valueFlags),
      options,
      allowPositionals: true,
      strict: true
    }) as { values: Values; positionals: string[] }
  } catch (err) {
    const text = usageTextOf(err)
    throw text ? new UsageError(text) : err
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseLine(argv)
  const v = values as Values
  const json = Boolean(v.json)
  const quiet = Boolean(v.quiet)
  if (v.help || positionals.length === 0) {
    console.log(HELP)
    return 0
  }
  await initBackend((v.backend as BackendName | 'auto' | undefined) ?? undefined)
  const [command, sub, ...rest] = positionals
  const ctx: CliContext = {
    json,
    progress: progressPrinter(quiet),
    emit: (value, human) => print(json, value, human)
  }

  // A job command is `<command> F …` or `<command> <sub> F …` (dataset import, model export …).
  const job = JOB_COMMANDS[`${command} ${sub}`] ?? JOB_COMMANDS[command!]
  if (job) {
    const file = JOB_COMMANDS[`${command} ${sub}`] ? rest[0] : sub
    return job.execute(file, v, ctx)
  }

  const lifecycle = LIFECYCLE_COMMANDS[`${command} ${sub}`]
  if (lifecycle) return withProject(rest[0], true, (p) => lifecycle.execute(p, v, ctx))

  switch (command) {
    case 'demo': {
      const summary = await runDemo({ ...demoOptions(v), json, quiet })
      if (json) print(true, summary, () => '')
      else
        console.log(
          `\nProject written to ${summary.project} (${summary.seconds.toFixed(0)} s in all)`
        )
      return 0
    }
    case 'rerun':
      return withProject(sub, true, (p) => rerunCommand(p, v, ctx))
    case 'predict':
      return withProject(sub, false, (p) => predictCommand(p, v, ctx))
    case 'project': {
      const file = rest[0]
      if (sub === 'create') {
        if (!file) throw new UsageError('project create needs a file name')
        const p = createProject(file, {
          name: (v.name as string | undefined) ?? file.replace(/\.[^.]+$/, '')
        })
        const meta = getProjectMeta(p.db)
        p.close()
        print(json, { file, ...meta }, () => `Created project "${meta.name}" at ${file}`)
        return 0
      }
      if (sub === 'info') {
        return withProject(file, false, (p) => {
          const info = {
            file,
            ...getProjectMeta(p.db),
            datasets: listDatasets(p.db),
            models: listModels(p.db).map(({ architecture: _a, trainingConfig: _t, ...m }) => m),
            runs: listRuns(p.db).length
          }
          print(json, info, () =>
            [
              `Project "${info.name}" (${file}), created ${info.createdAt} by Ortholens ${info.createdBy}`,
              `${info.datasets.length} dataset(s), ${info.models.length} model(s), ${info.runs} run(s)`
            ].join('\n')
          )
          return 0
        })
      }
      throw new UsageError(`unknown project command "${sub ?? ''}" (create, info)`)
    }
    case 'dataset':
      if (sub === 'list') {
        return withProject(rest[0], false, (p) => {
          const list = listDatasets(p.db)
          print(json, list, () =>
            table(
              ['id', 'name', 'shape', 'train', 'validation', 'classes'],
              list.map((d) => [
                d.id,
                d.name,
                d.shape.join('x'),
                d.trainCount,
                d.validationCount,
                d.classNames.length
              ])
            )
          )
          return 0
        })
      }
      throw new UsageError(`unknown dataset command "${sub ?? ''}" (import, list, rename, delete)`)
    case 'model':
      if (sub === 'list') {
        return withProject(rest[0], false, (p) => {
          const list = withAccuracyCost(listModels(p.db), listDatasets(p.db))
          print(json, list, () =>
            modelListText(
              list,
              table(
                [
                  'id',
                  'name',
                  'status',
                  'val. acc. [95 % CI]',
                  'δ to ref.',
                  'reference',
                  'parameters'
                ],
                list.map((m) => {
                  const metrics = (m.metrics ?? {}) as {
                    valAccuracy?: number
                    accuracyImages?: number
                    delta?: { mean: number }
                  }
                  return [
                    m.id,
                    m.name,
                    m.status,
                    pctCi(metrics.valAccuracy, metrics.accuracyImages),
                    metrics.delta ? metrics.delta.mean.toFixed(4) : '—',
                    m.referenceModelId ?? '—',
                    m.parameterCount
                  ]
                })
              )
            )
          )
          return 0
        })
      }
      throw new UsageError(
        `unknown model command "${sub ?? ''}" (list, export, import, rename, delete)`
      )
    case 'runs':
      return withProject(sub, false, (p) => {
        const runs = listRuns(p.db, defined({ kind: v.kind as string | undefined }))
        print(json, runs, () =>
          table(
            ['id', 'kind', 'status', 'backend', 'started', 'seconds'],
            runs.map((r) => [
              r.id,
              r.kind,
              r.status,
              r.backend,
              r.startedAt,
              r.durationMs != null ? (r.durationMs / 1000).toFixed(1) : '—'
            ])
          )
        )
        return 0
      })
    case 'report':
      return withProject(sub, false, (p) => {
        const r = reportCommand(p, sub!, v)
        print(json, { htmlPath: r.htmlPath, files: r.files }, () => r.text)
        return 0
      })
    default:
      throw new UsageError(`unknown command "${command}"; run with --help`)
  }
}

const isEntry =
  process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)
if (isEntry) {
  const argv = process.argv.slice(2)
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(`ortholens: ${err.message}\n\n${HELP}`)
        process.exit(EXIT_USAGE)
      }
      const { text, exitCode } = failureReport(err, argv.includes('--verbose'))
      console.error(text)
      process.exit(exitCode)
    }
  )
}
