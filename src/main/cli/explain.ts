/**
 * Command-line explanations: `explain`, `sanity`, `saliency-pgd` (dispatched from index.ts).
 * Human-readable by default, one JSON document with --json (maps are left out of the JSON:
 * they are in the run, and --out writes them as a grid PNG).
 */
import { writeFileSync } from 'node:fs'
import type { SaliencyMethod } from '../engine/saliency'
import {
  explainSamples,
  explanationGridPng,
  gridColumns,
  saliencyPgdStudy,
  sanityStudy,
  SALIENCY_METHODS,
  type FixedSizeHead
} from '../services/explain'
import type { JobProgress } from '../services/hooks'
import type { ProjectDb } from '../store'
import { optionalInt, optionalNumber, requireInt, requireString, UsageError } from './args'
import { pct, table } from './output'

type Values = Record<string, string | boolean | undefined>

export interface ExplainCliContext {
  values: Values
  json: boolean
  progress: (p: JobProgress) => void
  emit: (json: boolean, value: unknown, human: () => string) => void
}

/** Options these commands add to the parser in index.ts. */
export const EXPLAIN_OPTIONS = {
  models: { type: 'string' },
  model: { type: 'string' },
  indices: { type: 'string' },
  methods: { type: 'string' },
  out: { type: 'string' },
  count: { type: 'string' },
  targets: { type: 'string' },
  epsilon: { type: 'string' },
  steps: { type: 'string' },
  'class': { type: 'string' },
  stage: { type: 'string' },
  'fixed-head': { type: 'string' }
} as const

export const EXPLAIN_HELP = `  explain F --dataset ID --models ID,ID,.. [--samples N | --indices i,j] [--methods gradcam,cameras]
          [--class C] [--stage S] [--out grid.png] [--fixed-head adaptive-pool|refuse]
                          Grad-CAM / CAMERAS of several models side by side (Figure 6.3)
  sanity F --dataset ID --model ID [--count 100] [--methods gradcam,cameras] [--seed N]
                          sanity score (lower is saner) of each method on validation images
  saliency-pgd F --dataset ID --source ID [--targets ID,..] [--epsilon 0.047] [--steps 10] [--count N]
                          saliency-enhanced vs vanilla PGD at the same ε (Figure 5.13)`

function idList(v: Values, name: string, required: boolean): number[] | undefined {
  const raw = v[name]
  if (raw === undefined) {
    if (required) throw new UsageError(`--${name} is required`)
    return undefined
  }
  const ids = String(raw)
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number)
  if (ids.length === 0 || ids.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new UsageError(`--${name} must be a comma-separated list of integers, got "${String(raw)}"`)
  }
  return ids
}

function methodsOf(v: Values): SaliencyMethod[] | undefined {
  if (v.methods === undefined) return undefined
  const ms = String(v.methods)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const m of ms) {
    if (!SALIENCY_METHODS.includes(m as SaliencyMethod)) {
      throw new UsageError(`--methods takes ${SALIENCY_METHODS.join(', ')}, got "${m}"`)
    }
  }
  return ms as SaliencyMethod[]
}

function fixedHeadOf(v: Values): FixedSizeHead | undefined {
  const f = v['fixed-head']
  if (f === undefined) return undefined
  if (f !== 'adaptive-pool' && f !== 'refuse') {
    throw new UsageError(`--fixed-head must be adaptive-pool or refuse, got "${String(f)}"`)
  }
  return f
}

const f3 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3))

/** Runs one of the explanation commands on an open project; returns the exit code. */
export async function runExplainCommand(command: string, project: ProjectDb, ctx: ExplainCliContext): Promise<number> {
  const v = ctx.values
  const hooks = { onProgress: ctx.progress }
  switch (command) {
    case 'explain': {
      if (v.samples !== undefined && v.indices !== undefined) {
        throw new UsageError('give --samples or --indices, not both')
      }
      const e = await explainSamples(
        project,
        {
          datasetId: requireInt(v, 'dataset'),
          modelIds: idList(v, 'models', true)!,
          sampleIndices: idList(v, 'indices', false),
          count: optionalInt(v, 'samples'),
          seed: optionalInt(v, 'seed'),
          methods: methodsOf(v),
          classIndex: optionalInt(v, 'class'),
          stage: v.stage as string | undefined,
          fixedSizeHead: fixedHeadOf(v)
        },
        hooks
      )
      const out = v.out as string | undefined
      if (out) writeFileSync(out, explanationGridPng(e))
      const summary = {
        runId: e.runId,
        sampleIndices: e.sampleIndices,
        labels: e.labels,
        columns: gridColumns(e),
        png: out ?? null,
        models: e.models.map((m) => ({
          modelId: m.modelId,
          modelName: m.modelName,
          predicted: m.predicted,
          classIndex: m.classIndex,
          camerasVariant: m.camerasVariant ?? null,
          methods: Object.fromEntries(
            Object.entries(m.maps).map(([k, map]) => [k, map && 'error' in map ? { error: map.error } : { shape: map!.shape }])
          )
        }))
      }
      ctx.emit(ctx.json, summary, () => {
        const rows = e.models.flatMap((m) =>
          e.methods.map((method) => {
            const map = m.maps[method]
            const status =
              map && 'error' in map ? `refused: ${map.error}` : method === 'cameras' && m.camerasVariant ? 'ok (adaptive-pool variant)' : 'ok'
            return [m.modelId, m.modelName, method, m.predicted.map((p) => e.classNames[p] ?? p).join(', '), status]
          })
        )
        return (
          `Explanation run ${e.runId}: validation samples ${e.sampleIndices.join(', ')} (true: ${e.labels.map((l) => e.classNames[l] ?? l).join(', ')})\n` +
          table(['model', 'name', 'method', 'predicted', 'status'], rows) +
          (out ? `\nGrid PNG written to ${out} (rows: samples; columns: image, ${gridColumns(e).join(' | ')})` : '')
        )
      })
      return 0
    }
    case 'sanity': {
      const r = await sanityStudy(
        project,
        {
          datasetId: requireInt(v, 'dataset'),
          modelId: requireInt(v, 'model'),
          count: optionalInt(v, 'count'),
          seed: optionalInt(v, 'seed'),
          methods: methodsOf(v),
          fixedSizeHead: fixedHeadOf(v)
        },
        hooks
      )
      const { sampleIndices: _s, ...rest } = r
      const compact = {
        ...rest,
        count: r.sampleIndices.length,
        methods: Object.fromEntries(Object.entries(r.methods).map(([k, m]) => [k, { ...m, scores: undefined }]))
      }
      ctx.emit(ctx.json, compact, () => {
        const rows = Object.entries(r.methods).map(([k, m]) =>
          m!.error ? [k, '—', '—', m!.error] : [k + (m!.variant ? ' (adaptive-pool)' : ''), `${f3(m!.mean)} ± ${f3(m!.std)}`, f3(m!.median), `${m!.scores.length} images`]
        )
        return (
          `Sanity run ${r.runId} on "${r.modelName}" (${r.sampleIndices.length} validation images; in [0, 1], lower is saner)\n` +
          table(['method', 'mean ± std', 'median', ''], rows) +
          (r.wins ? `\nPer image: Grad-CAM saner on ${r.wins.gradcam}, CAMERAS on ${r.wins.cameras}, ${r.wins.ties} ties` : '')
        )
      })
      return 0
    }
    case 'saliency-pgd': {
      if (v.source === undefined) requireString(v, 'source')
      const r = await saliencyPgdStudy(
        project,
        {
          datasetId: requireInt(v, 'dataset'),
          sourceModelId: requireInt(v, 'source'),
          targetModelIds: idList(v, 'targets', false),
          epsilon: optionalNumber(v, 'epsilon'),
          steps: optionalInt(v, 'steps'),
          count: optionalInt(v, 'count'),
          seed: optionalInt(v, 'seed'),
          fixedSizeHead: fixedHeadOf(v)
        },
        hooks
      )
      const { sampleIndices: _s, ...compact } = r
      ctx.emit(ctx.json, { ...compact, attacked: r.sampleIndices.length }, () => {
        const rows = [r.source, ...r.targets].flatMap((o) =>
          (['vanilla', 'enhanced'] as const).map((k) => [
            o.modelName,
            pct(o.cleanErrorRate),
            k === 'vanilla' ? 'PGD' : 'saliency PGD',
            f3(o[k].meanL2),
            `${(o[k].meanLinf * 255).toFixed(1)}/255`,
            pct(o[k].foolingRate),
            pct(o[k].meanFoolingConfidence)
          ])
        )
        return (
          `Saliency-PGD run ${r.runId}: ε = ${(r.epsilon * 255).toFixed(1)}/255, ${r.steps} steps, ${r.method} weighting, ${r.sampleIndices.length} of ${r.drawn} drawn images correct on the source\n` +
          table(['model', 'clean error', 'attack', 'mean L2', 'mean L∞', 'fooling rate', 'fooling conf.'], rows)
        )
      })
      return 0
    }
    default:
      throw new UsageError(`unknown explanation command "${command}"`)
  }
}
