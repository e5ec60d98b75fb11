/**
 * The commands that run a job: each parses its flags into the job's contract request (the
 * window's request type, through the window's validator) and calls the job's service entry
 * point, so a model trained here and one trained from the window are configured identically
 * and either re-runs the other's way (`ortholens rerun`).
 *
 * Adding one: a line in JOB_COMMANDS (or MODEL_COMMANDS) naming its channel, which flag fills
 * which request field, and how to print what the service returns.
 */
import { writeFileSync } from 'node:fs'
import { importDataset } from '../services/datasets'
import { runAttackSweep } from '../services/audits/sweep'
import { runDefenseTable } from '../services/audits/defenseTable'
import { explainAdversarialSample } from '../services/explain/adversarial'
import { explanationGridPng } from '../services/explain/images'
import { saliencyPgdStudy } from '../services/explain/saliencyPgd'
import { explainSamples } from '../services/explain/samples'
import { sanityStudy } from '../services/explain/sanity'
import type { Explanation } from '../services/explain/stored'
import { similarityReport, trainModel } from '../services/models'
import { flag, UsageError, type Values } from './args'
import { command, dataset, seed, type CommandRunner } from './command'
import { MODEL_COMMANDS } from './modelCommands'
import { EVALUATE_COMMANDS } from './evaluate'
import { defenseTableText, sweepText } from './audit'
import {
  explanationSummary,
  explanationText,
  saliencyPgdSummary,
  saliencyPgdText,
  sanitySummary,
  sanityText
} from './explain'
import { pct } from './output'

const fixedHead = flag('fixedSizeHead')
const methods = flag('methods', 'list')

/** Writes an explanation's grid PNG when --out is given; returns the path or null. */
function writeGrid(e: Explanation, values: Values): string | null {
  const out = typeof values.out === 'string' ? values.out : null
  if (out) writeFileSync(out, explanationGridPng(e))
  return out
}

/** `--source builtin|auto|imageFolder|cifar10|idx [--path P]` as the request's tagged source. */
function datasetSource(values: Values): Record<string, unknown> {
  const kind = values.source
  if (typeof kind !== 'string')
    throw new UsageError('--source is required (builtin, auto, imageFolder, cifar10 or idx)')
  if (kind === 'builtin') return { source: { kind } }
  const path = values.path
  if (typeof path !== 'string') throw new UsageError(`--path is required for --source ${kind}`)
  // IDX: a folder (every pair in it) or the files themselves, comma-separated.
  const paths = path
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
  return { source: kind === 'idx' ? { kind, paths } : { kind, path } }
}

/** Every job command, by its command line (a sub-command after a space). */
export const JOB_COMMANDS: Record<string, CommandRunner> = {
  'dataset import': command(
    {
      channel: 'datasets.import',
      usage: `  dataset import F --source builtin|auto|imageFolder|cifar10|idx [--path P] [--name N]
          [--validation FRACTION --seed N --max-per-class N --on-bad-file stop|skip]
                          idx: --path is the folder (every pair in it) or the files, e.g.
                          --path train-images-idx3-ubyte,train-labels-idx1-ubyte`,
      flags: {
        name: flag('name'),
        validation: flag('validationFraction', 'number'),
        seed,
        'max-per-class': flag('maxPerClass', 'int'),
        'on-bad-file': flag('onBadFile')
      },
      extra: datasetSource,
      async run(project, request, _values, ctx) {
        const result = await importDataset(project, request, { onProgress: ctx.progress })
        ctx.emit(result, () => {
          const s = result.summary
          return `Imported "${s.name}" as dataset ${result.datasetId}: ${s.trainCount} training / ${s.validationCount} validation images of ${s.shape.join('x')}, ${s.classNames.length} classes`
        })
        return 0
      }
    },
    ['source', 'path']
  ),

  ...MODEL_COMMANDS,

  ...EVALUATE_COMMANDS,

  train: command({
    channel: 'models.train',
    usage: `  train F --dataset ID --arch A --name N [--reference ID --lambda L --penalty P]
          [--epochs N --batch N --lr X --seed N --train-samples N --val-samples N --eval-every N --patience N]
                          ordinary (λ = 0) or orthogonal training against a reference`,
    flags: {
      name: flag('name'),
      dataset,
      arch: flag('architecture'),
      reference: flag('referenceId', 'int'),
      lambda: flag('lambda', 'number'),
      penalty: flag('penaltyForm'),
      epochs: flag('epochs', 'int'),
      batch: flag('batchSize', 'int'),
      lr: flag('learningRate', 'number'),
      seed,
      'train-samples': flag('trainLimit', 'int'),
      'val-samples': flag('valLimit', 'int'),
      'eval-every': flag('validateEvery', 'int'),
      patience: flag('patience', 'int')
    },
    async run(project, request, _values, ctx) {
      const result = await trainModel(project, request, { onProgress: ctx.progress })
      ctx.emit(
        result,
        () =>
          `Model ${result.modelId} ${result.status}: validation accuracy ${pct(result.valAccuracy)}` +
          (result.delta
            ? `, δ to reference ${result.delta.mean.toFixed(4)} ± ${result.delta.std.toFixed(4)}`
            : '') +
          (result.message ? `\n${result.message}` : '')
      )
      return result.status === 'ready' ? 0 : 3
    }
  }),

  similarity: command({
    channel: 'models.similarity',
    usage: '  similarity F --a ID --b ID --dataset ID [--samples N] [--seed N]',
    flags: {
      a: flag('modelA', 'int'),
      b: flag('modelB', 'int'),
      dataset,
      samples: flag('valLimit', 'int'),
      seed
    },
    async run(project, request, _values, ctx) {
      const r = await similarityReport(project, request)
      ctx.emit(
        r,
        () =>
          `δ = ${r.mean.toFixed(4)} ± ${r.std.toFixed(4)} (mean |δ| ${r.meanAbs.toFixed(4)}) over ${r.count} validation images; accuracy ${pct(r.accuracyA)} / ${pct(r.accuracyB)}`
      )
      return 0
    }
  }),

  attack: command({
    channel: 'attacks.sweep',
    usage: `  attack F --dataset ID --source ID [--targets ID,ID] [--attacks fgsm,ifgsm,mifgsm,pgd]
          [--epsilons 0,0.5,1,2,3,4,5,6,8 (percent)] [--samples N] [--seed N] [--gallery N] [--batch N]
                          transfer ε sweep: fooling ratio per attack, ε and model`,
    flags: {
      dataset,
      source: flag('sourceId', 'int'),
      targets: flag('targetIds', 'ints'),
      attacks: flag('attacks', 'list'),
      epsilons: flag('epsilons', 'percents'),
      samples: flag('sampleCount', 'int'),
      seed,
      gallery: flag('gallerySamples', 'int'),
      batch: flag('batchSize', 'int')
    },
    async run(project, request, _values, ctx) {
      const outcome = await runAttackSweep(project, request, { onProgress: ctx.progress })
      ctx.emit(outcome, () => sweepText(outcome))
      return 0
    }
  }),

  defense: command({
    channel: 'defenses.table',
    usage: `  defense F --dataset ID --source ID --ordinary ID --orthogonal ID [--attacks …] [--adaptive pgd]
          [--epsilons 3,5 (percent)] [--defenses jpeg,tvm,bitDepth,bilateral] [--samples N] [--seed N] [--batch N]
                          Table 6.3: defenses on the ordinary target vs the orthogonal model; --adaptive adds
                          a column crafted on each row's own model (BPDA through its defense)`,
    flags: {
      dataset,
      source: flag('sourceId', 'int'),
      ordinary: flag('ordinaryId', 'int'),
      orthogonal: flag('orthogonalId', 'int'),
      attacks: flag('attacks', 'list'),
      adaptive: flag('adaptive'),
      epsilons: flag('epsilons', 'percents'),
      defenses: flag('defenses', 'list'),
      samples: flag('sampleCount', 'int'),
      seed,
      batch: flag('batchSize', 'int')
    },
    async run(project, request, _values, ctx) {
      const outcome = await runDefenseTable(project, request, { onProgress: ctx.progress })
      ctx.emit(outcome, () => defenseTableText(outcome))
      return 0
    }
  }),

  explain: command(
    {
      channel: 'explain.samples',
      usage: `  explain F --dataset ID --models ID,ID,.. [--samples N | --indices i,j] [--methods gradcam,cameras]
          [--class C] [--stage S] [--out grid.png] [--fixed-head adaptive-pool|refuse] [--seed N]
                          Grad-CAM / CAMERAS of several models side by side (Figure 6.3)`,
      flags: {
        dataset,
        models: flag('modelIds', 'ints'),
        samples: flag('count', 'int'),
        indices: flag('sampleIndices', 'ints'),
        methods,
        class: flag('classIndex', 'int'),
        stage: flag('stage'),
        'fixed-head': fixedHead,
        seed
      },
      async run(project, request, values, ctx) {
        if (values.samples !== undefined && values.indices !== undefined)
          throw new UsageError('give --samples or --indices, not both')
        const e = await explainSamples(project, request, { onProgress: ctx.progress })
        const png = writeGrid(e, values)
        ctx.emit(explanationSummary(e, png), () => explanationText(e, png))
        return 0
      }
    },
    ['out']
  ),

  'explain-adversarial': command(
    {
      channel: 'explain.adversarial',
      usage: `  explain-adversarial F --dataset ID --model ID --index I [--attack pgd|saliency-pgd] [--epsilon 0.047]
          [--steps 10] [--methods gradcam,cameras] [--out pair.png] [--fixed-head …] [--seed N]
                          an adversarial image next to its original, the true class explained`,
      flags: {
        dataset,
        model: flag('modelId', 'int'),
        index: flag('sampleIndex', 'int'),
        attack: flag('attack'),
        epsilon: flag('epsilon', 'number'),
        steps: flag('steps', 'int'),
        methods,
        'fixed-head': fixedHead,
        seed
      },
      async run(project, request, values, ctx) {
        const r = await explainAdversarialSample(project, request, { onProgress: ctx.progress })
        const png = writeGrid(r.adversarial, values)
        const original = { ...r.original, runId: r.runId }
        const adversarial = { ...r.adversarial, runId: r.runId }
        ctx.emit(
          {
            runId: r.runId,
            original: explanationSummary(original, null),
            adversarial: explanationSummary(adversarial, png)
          },
          () =>
            `${explanationText(original, null, 'Original')}\n\n${explanationText(adversarial, png, 'Adversarial')}`
        )
        return 0
      }
    },
    ['out']
  ),

  sanity: command({
    channel: 'explain.sanity',
    usage: `  sanity F --dataset ID --model ID [--count 100] [--methods gradcam,cameras] [--seed N] [--fixed-head …]
                          sanity score (lower is saner) of each method on validation images`,
    flags: {
      dataset,
      model: flag('modelId', 'int'),
      count: flag('count', 'int'),
      methods,
      seed,
      'fixed-head': fixedHead,
      batch: flag('batchSize', 'int')
    },
    async run(project, request, _values, ctx) {
      const r = await sanityStudy(project, request, { onProgress: ctx.progress })
      ctx.emit(sanitySummary(r), () => sanityText(r))
      return 0
    }
  }),

  'saliency-pgd': command({
    channel: 'explain.saliencyPgd',
    usage: `  saliency-pgd F --dataset ID --source ID [--targets ID,..] [--epsilon 0.047] [--steps 10] [--count N]
          [--saliency gradcam|cameras] [--seed N] [--fixed-head …]
                          saliency-enhanced vs vanilla PGD at the same ε (Figure 5.13)`,
    flags: {
      dataset,
      source: flag('sourceId', 'int'),
      targets: flag('targetIds', 'ints'),
      epsilon: flag('epsilon', 'number'),
      steps: flag('steps', 'int'),
      count: flag('count', 'int'),
      saliency: flag('saliency'),
      seed,
      'fixed-head': fixedHead,
      batch: flag('batchSize', 'int')
    },
    async run(project, request, _values, ctx) {
      const r = await saliencyPgdStudy(project, request, { onProgress: ctx.progress })
      ctx.emit(saliencyPgdSummary(r), () => saliencyPgdText(r))
      return 0
    }
  })
}
