/**
 * `ortholens plan`: an experiment plan (λ × seeds × architectures against one reference; thesis
 * Table 6.2, Figures 6.6 and 6.7) as one resumable job; `plan resume` goes on with a plan that
 * was cancelled, closed or killed; `plan show` prints a plan's table (also one still running).
 */
import { attackLabel } from '../../contract/words'
import type { PlanResult, PlanStat } from '../../contract/plans'
import { resumePlan, runPlan } from '../services/plans/run'
import { planResult } from '../services/plans/table'
import { getRun, listModels, type ProjectDb } from '../store'
import { flag, requireInt, UsageError, type Flags, type Values } from './args'
import { command, dataset, type CliContext, type CommandRunner } from './command'
import { table } from './output'
import { withProject } from './projects'
import { TRAIN_SETTING_FLAGS, TRAIN_SETTING_USAGE } from './trainFlags'

/** The training flags, filling the plan's `training` settings (the seed is the plan's own). */
const trainingFlags: Flags = Object.fromEntries(
  Object.entries(TRAIN_SETTING_FLAGS).map(([name, f]) => [
    name,
    name === 'seed' ? f : { ...f, field: `training.${f.field}` }
  ])
)

const PLAN_FLAGS: Flags = {
  name: flag('name'),
  dataset,
  arch: flag('architectures', 'list'),
  lambdas: flag('lambdas', 'numbers'),
  seeds: flag('seeds', 'int'),
  ...trainingFlags,
  attacks: flag('evaluation.attacks', 'list'),
  epsilons: flag('evaluation.epsilons', 'percents'),
  samples: flag('evaluation.sampleCount', 'int'),
  'white-box': flag('evaluation.whiteBox', 'boolean'),
  sources: flag('evaluation.sourceIds', 'ints'),
  'eval-seed': flag('evaluation.seed', 'int')
}

/** `--reference ID|new`: an existing model, or `new` (the plan trains one first). */
function referenceField(values: Values): Record<string, unknown> {
  const ref = values.reference
  if (ref === undefined || ref === 'new') return {}
  if (typeof ref !== 'string' || !/^\d+$/.test(ref.trim()))
    throw new UsageError(`--reference must be a model id or "new", got "${String(ref)}"`)
  return { referenceId: Number(ref) }
}

const pct = (v: number) => (100 * v).toFixed(1)

/** "86.5 ± 0.3 [85.8, 87.2]" (ratios in %), or "0.512 ± 0.020 [0.46, 0.56]" (plain values). */
export function statText(s: PlanStat | null | undefined, percent: boolean, digits = 3): string {
  if (!s || !Number.isFinite(s.mean)) return '—'
  const f = (v: number) => (percent ? pct(v) : v.toFixed(digits))
  const std = s.std !== null ? ` ± ${f(s.std)}` : ''
  const ci = s.ci95 ? ` [${f(s.ci95[0])}, ${f(s.ci95[1])}]` : ''
  return `${f(s.mean)}${std}${ci}`
}

/** Table 6.2 and the figures' numbers as text. */
export function planText(r: PlanResult): string {
  const lines: string[] = []
  const time = r.seconds !== null ? `, ${r.seconds.toFixed(0)} s of work` : ''
  lines.push(
    `Plan "${r.name}" (run ${r.runId}, ${r.status}): ${r.progress.trained} of ${r.progress.total} models trained${time}`
  )
  if (r.reference) {
    const ref = r.reference
    const ci = ref.accuracyCi95 ? ` [${pct(ref.accuracyCi95[0])}, ${pct(ref.accuracyCi95[1])}]` : ''
    lines.push(
      `Reference: ${ref.name} (id ${ref.modelId}), accuracy ${ref.valAccuracy !== null ? pct(ref.valAccuracy) : '—'} %${ci} of ${ref.accuracyImages ?? '?'} images`
    )
  }
  const first = r.rows.find((row) => Object.keys(row.fooling).length > 0)
  const foolingCols = first
    ? Object.entries(first.fooling).flatMap(([a, byEps]) =>
        Object.keys(byEps).map((e) => [a, e] as const)
      )
    : []
  lines.push('')
  lines.push('Table 6.2: per architecture and λ, over seeds (mean ± std [95 % CI])')
  lines.push(
    table(
      [
        'arch',
        'λ',
        'seeds',
        'δ to reference',
        'within ±',
        'accuracy (%)',
        'train (s)',
        ...foolingCols.map(([a, e]) => `${attackLabel(a)} ε=${+(Number(e) * 100).toFixed(2)}% (%)`)
      ],
      r.rows.map((row) => [
        row.arch,
        row.lambda,
        `${row.models.length}${row.collapsed.length ? ` (+${row.collapsed.length} collapsed)` : ''}${row.pending ? ` (${row.pending} to train)` : ''}`,
        statText(row.delta, false),
        row.delta ? `${row.delta.withinStd.toFixed(3)} (${row.delta.images ?? '?'} img)` : '—',
        statText(row.accuracy, true),
        row.trainSeconds
          ? `${row.trainSeconds.mean.toFixed(0)}${row.trainSeconds.std !== null ? ` ± ${row.trainSeconds.std.toFixed(0)}` : ''}`
          : '—',
        ...foolingCols.map(([a, e]) => statText(row.fooling[a]?.[e], true))
      ])
    )
  )
  const wbRow = r.rows.find((row) => Object.keys(row.whiteBox).length > 0)
  if (wbRow) {
    const wbCols = Object.entries(wbRow.whiteBox).flatMap(([a, byEps]) =>
      Object.keys(byEps).map((e) => [a, e] as const)
    )
    const worstCols = Object.keys(wbRow.worstCase)
    const epsText = (e: string) => `ε=${+(Number(e) * 100).toFixed(2)}%`
    lines.push('')
    lines.push(
      'White-box (each model attacked on itself) and worst case per image (fooled by any attack run on it, transfer or white-box), fooling ratio (%)'
    )
    lines.push(
      table(
        [
          'arch',
          'λ',
          ...wbCols.map(([a, e]) => `${attackLabel(a)} white-box ${epsText(e)}`),
          ...worstCols.map((e) => `worst ${epsText(e)}`)
        ],
        r.rows.map((row) => [
          row.arch,
          row.lambda,
          ...wbCols.map(([a, e]) => statText(row.whiteBox[a]?.[e], true)),
          ...worstCols.map((e) => statText(row.worstCase[e], true))
        ])
      )
    )
  }
  for (const f of r.figures) {
    const fig = f.kind === 'reference' ? 'Figure 6.6' : 'Figure 6.7'
    const attacks = [...new Set(f.curves.map((c) => c.attack))]
    for (const a of attacks) {
      const curves = f.curves.filter((c) => c.attack === a)
      const eps = curves[0]?.points.map((p) => p.epsilon) ?? []
      lines.push('')
      lines.push(
        `${fig}: ${attackLabel(a)} crafted on ${f.sourceName.includes(f.sourceArch) ? f.sourceName : `${f.sourceName} (${f.sourceArch})`}, fooling ratio (%) over ${f.sampleCount} images`
      )
      lines.push(
        table(
          ['target', ...eps.map((e) => `ε=${+(e * 100).toFixed(2)}%`)],
          curves.map((c) => [c.label, ...c.points.map((p) => statText(p.stat, true))])
        )
      )
    }
  }
  lines.push('', r.intervals)
  return lines.join('\n')
}

/** What `--json` prints: the plan run's id and the table's rows first, the rest after. */
export function planJson(r: PlanResult): Record<string, unknown> {
  const { runId, status, rows, ...rest } = r
  return { planRunId: runId, status, rows, ...rest }
}

function show(project: ProjectDb, runId: number, ctx: CliContext): number {
  const run = getRun(project.db, runId)
  if (!run || run.kind !== 'plan') throw new UsageError(`no plan run with id ${runId}`)
  const r = planResult(run, listModels(project.db))
  ctx.emit(planJson(r), () => planText(r))
  return r.status === 'done' ? 0 : 3
}

export const PLAN_COMMANDS: Record<string, CommandRunner> = {
  plan: command(
    {
      channel: 'plans.run',
      usage: `  plan F --dataset ID --arch cnn[,resnet20] --reference ID|new --lambdas 0,5,30 --seeds 3 [--name N]
          ${TRAIN_SETTING_USAGE}
          [--attacks pgd --epsilons 1,3,5 --samples N --white-box yes --sources ID,.. --eval-seed N]
                          experiment plan: λ × seeds × architectures against one reference, one
                          resumable job; prints Table 6.2 and the Figure 6.6/6.7 numbers`,
      flags: PLAN_FLAGS,
      extra: referenceField,
      async run(project, request, _values, ctx) {
        const outcome = await runPlan(project, request, { onProgress: ctx.progress })
        return show(project, outcome.runId, ctx)
      }
    },
    ['reference']
  ),
  'plan resume': {
    usage: `  plan resume F --run ID       go on with a plan that was cancelled, closed or killed`,
    flagNames: ['run'],
    execute: (file, values, ctx) =>
      withProject(file, true, async (project) => {
        const outcome = await resumePlan(
          project,
          { planRunId: requireInt(values, 'run') },
          { onProgress: ctx.progress }
        )
        return show(project, outcome.runId, ctx)
      })
  },
  'plan show': {
    usage: `  plan show F --run ID         a plan's table (also while it runs)`,
    flagNames: ['run'],
    execute: (file, values, ctx) =>
      withProject(file, false, (project) => show(project, requireInt(values, 'run'), ctx))
  }
}
