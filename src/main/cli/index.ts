/**
 * The command line: every job the window can run, on the same project file and engine.
 * Human-readable output by default; `--json` prints one JSON document on stdout for scripts
 * (progress always goes to stderr).
 */
import { parseArgs } from 'node:util'
import { initBackend, type BackendName } from '../engine/backend'
import { ARCHITECTURES, type ArchitectureId } from '../engine/models'
import { PENALTY_FORMS, type PenaltyForm } from '../engine/training/penalty'
import {
  createProject,
  getProjectMeta,
  listDatasets,
  listModels,
  listRuns,
  openProject,
  ProjectFileError,
  type ProjectDb
} from '../store'
import { importDataset } from '../services/datasets'
import { similarityReport, trainModel } from '../services/models'
import { exportModelFiles, importModelFiles } from '../services/modelFiles'
import { defined, optionalInt, optionalNumber, requireInt, requireString, UsageError } from './args'
import { attackCommand, defenseCommand, reportCommand } from './audit'
import { DEMO_DEFAULTS, runDemo } from './demo'
import { EXPLAIN_HELP, EXPLAIN_OPTIONS, runExplainCommand } from './explain'
import { pct, progressPrinter, table } from './output'

const HELP = `Ortholens — audit and harden image classifiers against adversarial examples

Usage: ortholens <command> [project file] [options]      (npm run cli -- <command> …)

Commands
  demo [--project F] [--epochs N] [--train-samples N] [--lambda L] [--penalty P] [--arch A]
       [--audit-samples N]
                          one-command audit on the built-in Fashion-MNIST sample
  project create F [--name N]        create an empty project file
  project info F                     name, versions, datasets, models, runs
  dataset import F --source builtin|auto|imageFolder|cifar10|idx [--path P] [--name N]
  dataset list F
  model list F
  model export F --model ID --out DIR   write a TensorFlow.js Layers model (model.json + weights)
  model import F --path DIR|model.json --name N [--dataset ID]
                                     import a TensorFlow.js Layers model as a ready model
  train F --dataset ID --arch ${ARCHITECTURES.map((a) => a.id).join('|')} --name N
          [--reference ID --lambda L --penalty ${PENALTY_FORMS.join('|')}]
          [--epochs N --batch N --lr X --seed N --train-samples N --eval-every N --patience N]
  similarity F --a ID --b ID --dataset ID [--samples N]
  runs F [--kind K]
  attack F --dataset ID --source ID --targets ID,ID [--attacks fgsm,ifgsm,mifgsm,pgd]
          [--epsilons 0,0.5,1,2,3,4,5,6,8 (percent)] [--samples N] [--seed N] [--gallery N]
                          transfer ε sweep: fooling ratio per attack, ε and model
  defense F --dataset ID --source ID --ordinary ID --orthogonal ID [--attacks …]
          [--epsilons 3,5 (percent)] [--defenses jpeg,tvm,bitDepth,bilateral] [--samples N]
                          Table 6.3: defenses on the ordinary target vs the orthogonal model
  report F [--out report.html] [--csv-dir DIR]
                          self-contained HTML audit report (+ CSV of every table)
${EXPLAIN_HELP}

Global options
  --json            print the result as JSON on stdout
  --quiet           no progress on stderr
  --backend B       tensorflow | wasm | cpu | auto (default: best available)
`

const options = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  backend: { type: 'string' },
  name: { type: 'string' },
  source: { type: 'string' },
  path: { type: 'string' },
  project: { type: 'string' },
  dataset: { type: 'string' },
  arch: { type: 'string' },
  reference: { type: 'string' },
  lambda: { type: 'string' },
  penalty: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  'train-samples': { type: 'string' },
  'eval-every': { type: 'string' },
  patience: { type: 'string' },
  samples: { type: 'string' },
  kind: { type: 'string' },
  attacks: { type: 'string' },
  epsilons: { type: 'string' },
  ordinary: { type: 'string' },
  orthogonal: { type: 'string' },
  defenses: { type: 'string' },
  gallery: { type: 'string' },
  'csv-dir': { type: 'string' },
  'audit-samples': { type: 'string' },
  a: { type: 'string' },
  b: { type: 'string' },
  ...EXPLAIN_OPTIONS
} as const

type Values = Record<string, string | boolean | undefined>

function emit(json: boolean, value: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) : human())
}

function withProject<T>(file: string | undefined, write: boolean, fn: (p: ProjectDb) => Promise<T> | T): Promise<T> {
  if (!file) throw new UsageError('a project file is required')
  const project = openProject(file, { readonly: !write })
  return Promise.resolve(fn(project)).finally(() => project.close())
}

function archOf(v: Values): ArchitectureId {
  const arch = requireString(v, 'arch')
  if (!ARCHITECTURES.some((a) => a.id === arch)) {
    throw new UsageError(`--arch must be one of ${ARCHITECTURES.map((a) => a.id).join(', ')}, got "${arch}"`)
  }
  return arch as ArchitectureId
}

function penaltyOf(v: Values): PenaltyForm | undefined {
  const p = v.penalty
  if (p === undefined) return undefined
  if (!PENALTY_FORMS.includes(p as PenaltyForm)) {
    throw new UsageError(`--penalty must be one of ${PENALTY_FORMS.join(', ')}, got "${String(p)}"`)
  }
  return p as PenaltyForm
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  const v = values as Values
  const json = Boolean(v.json)
  const quiet = Boolean(v.quiet) || false
  if (v.help || positionals.length === 0) {
    console.log(HELP)
    return 0
  }
  await initBackend((v.backend as BackendName | 'auto' | undefined) ?? undefined)
  const [command, sub, ...rest] = positionals
  const progress = progressPrinter(quiet)

  switch (command) {
    case 'demo': {
      const summary = await runDemo({
        ...DEMO_DEFAULTS,
        ...defined({
          projectPath: v.project as string | undefined,
          arch: v.arch !== undefined ? archOf(v) : undefined,
          epochs: optionalInt(v, 'epochs'),
          trainSamples: optionalInt(v, 'train-samples'),
          lambda: optionalNumber(v, 'lambda'),
          penalty: penaltyOf(v),
          samples: optionalInt(v, 'samples'),
          auditSamples: optionalInt(v, 'audit-samples')
        }),
        json,
        quiet
      })
      if (json) emit(true, summary, () => '')
      else console.log(`\nProject written to ${summary.project} (${summary.seconds.toFixed(0)} s in all)`)
      return 0
    }
    case 'project': {
      const file = rest[0]
      if (sub === 'create') {
        if (!file) throw new UsageError('project create needs a file name')
        const p = createProject(file, { name: (v.name as string | undefined) ?? file.replace(/\.[^.]+$/, '') })
        const meta = getProjectMeta(p.db)
        p.close()
        emit(json, { file, ...meta }, () => `Created project "${meta.name}" at ${file}`)
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
          emit(json, info, () =>
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
    case 'dataset': {
      const file = rest[0]
      if (sub === 'import') {
        return withProject(file, true, async (p) => {
          const result = await importDataset(
            p,
            {
              source: requireString(v, 'source'),
              path: v.path as string | undefined,
              name: v.name as string | undefined
            },
            { onProgress: progress }
          )
          emit(json, result, () => {
            const s = result.summary
            return `Imported "${s.name}" as dataset ${result.datasetId}: ${s.trainCount} training / ${s.validationCount} validation images of ${s.shape.join('x')}, ${s.classNames.length} classes`
          })
          return 0
        })
      }
      if (sub === 'list') {
        return withProject(file, false, (p) => {
          const list = listDatasets(p.db)
          emit(json, list, () =>
            table(['id', 'name', 'shape', 'train', 'validation', 'classes'], list.map((d) => [d.id, d.name, d.shape.join('x'), d.trainCount, d.validationCount, d.classNames.length]))
          )
          return 0
        })
      }
      throw new UsageError(`unknown dataset command "${sub ?? ''}" (import, list)`)
    }
    case 'model': {
      const file = rest[0]
      if (sub === 'list') {
        return withProject(file, false, (p) => {
          const list = listModels(p.db)
          emit(json, list, () =>
            table(
              ['id', 'name', 'status', 'val. acc.', 'δ to ref.', 'reference', 'parameters'],
              list.map((m) => {
                const metrics = (m.metrics ?? {}) as { valAccuracy?: number; delta?: { mean: number } }
                return [m.id, m.name, m.status, pct(metrics.valAccuracy), metrics.delta ? metrics.delta.mean.toFixed(4) : '—', m.referenceModelId ?? '—', m.parameterCount]
              })
            )
          )
          return 0
        })
      }
      if (sub === 'export') {
        return withProject(file, true, async (p) => {
          const r = await exportModelFiles(p, requireInt(v, 'model'), requireString(v, 'out'))
          emit(json, r, () => `Wrote ${r.modelJson} and ${r.weightFiles.length} weight file(s) (max |logit difference| ${r.maxAbsDiff.toExponential(1)})`)
          return 0
        })
      }
      if (sub === 'import') {
        return withProject(file, true, async (p) => {
          const r = await importModelFiles(p, {
            path: requireString(v, 'path'),
            name: requireString(v, 'name'),
            datasetId: optionalInt(v, 'dataset')
          })
          emit(json, r, () =>
            [`Imported model ${r.modelId}: ${r.inputShape.join('x')} images, ${r.numClasses} classes, ${r.parameterCount} parameters`, ...r.warnings.map((w) => `  note: ${w}`)].join('\n')
          )
          return 0
        })
      }
      throw new UsageError(`unknown model command "${sub ?? ''}" (list, export, import)`)
    }
    case 'train': {
      const file = sub
      return withProject(file, true, async (p) => {
        const result = await trainModel(
          p,
          {
            name: requireString(v, 'name'),
            datasetId: requireInt(v, 'dataset'),
            arch: archOf(v),
            referenceModelId: optionalInt(v, 'reference'),
            config: defined({
              lambda: optionalNumber(v, 'lambda'),
              penalty: penaltyOf(v),
              epochs: optionalInt(v, 'epochs'),
              batchSize: optionalInt(v, 'batch'),
              learningRate: optionalNumber(v, 'lr'),
              seed: optionalInt(v, 'seed'),
              trainSamples: optionalInt(v, 'train-samples'),
              evalEvery: optionalInt(v, 'eval-every'),
              patience: optionalInt(v, 'patience')
            })
          },
          { onProgress: progress }
        )
        emit(json, result, () =>
          `Model ${result.modelId} ${result.status}: validation accuracy ${pct(result.valAccuracy)}` +
          (result.delta ? `, δ to reference ${result.delta.mean.toFixed(4)} ± ${result.delta.std.toFixed(4)}` : '') +
          (result.message ? `\n${result.message}` : '')
        )
        return result.status === 'ready' ? 0 : 3
      })
    }
    case 'similarity': {
      const file = sub
      return withProject(file, true, async (p) => {
        const r = await similarityReport(p, {
          modelA: requireInt(v, 'a'),
          modelB: requireInt(v, 'b'),
          datasetId: requireInt(v, 'dataset'),
          samples: optionalInt(v, 'samples')
        })
        emit(json, r, () =>
          `δ = ${r.mean.toFixed(4)} ± ${r.std.toFixed(4)} (mean |δ| ${r.meanAbs.toFixed(4)}) over ${r.count} validation images; accuracy ${pct(r.accuracyA)} / ${pct(r.accuracyB)}`
        )
        return 0
      })
    }
    case 'runs': {
      const file = sub
      return withProject(file, false, (p) => {
        const runs = listRuns(p.db, defined({ kind: v.kind as string | undefined }))
        emit(json, runs, () =>
          table(['id', 'kind', 'status', 'backend', 'started', 'seconds'], runs.map((r) => [r.id, r.kind, r.status, r.backend, r.startedAt, r.durationMs !== null && r.durationMs !== undefined ? (r.durationMs / 1000).toFixed(1) : '—']))
        )
        return 0
      })
    }
    case 'explain':
    case 'sanity':
    case 'saliency-pgd':
      return withProject(sub, true, (p) => runExplainCommand(command, p, { values: v, json, progress, emit }))
    case 'attack':
      return withProject(sub, true, async (p) => {
        const r = await attackCommand(p, v, progress)
        emit(json, r.outcome, () => r.text)
        return 0
      })
    case 'defense':
      return withProject(sub, true, async (p) => {
        const r = await defenseCommand(p, v, progress)
        emit(json, r.outcome, () => r.text)
        return 0
      })
    case 'report':
      return withProject(sub, false, (p) => {
        const r = reportCommand(p, sub!, v)
        emit(json, { htmlPath: r.htmlPath, files: r.files }, () => r.text)
        return 0
      })
    default:
      throw new UsageError(`unknown command "${command}"; run with --help`)
  }
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(`ortholens: ${err.message}\n\n${HELP}`)
        process.exit(2)
      }
      if (err instanceof ProjectFileError) {
        console.error(`ortholens: ${err.message}`)
        process.exit(4)
      }
      console.error(`ortholens: ${err instanceof Error ? err.message : String(err)}`)
      process.exit(1)
    }
  )
}
