/**
 * A plan's tables as CSV: Table 6.2 (one line per architecture and λ, every figure with its
 * std over seeds and its 95 % interval) and the curves of Figures 6.6 / 6.7 (one line per
 * source, target group, attack and ε). Ratios in [0, 1].
 */
import type { PlanResult, PlanStat } from '../../../contract/plans'
import type { RunRecord, StoredModel } from '../../store'
import { planResult } from './table'

const statCells = (s: PlanStat | null | undefined): unknown[] =>
  s ? [s.mean, s.std, s.ci95?.[0], s.ci95?.[1], s.n, s.method] : ['', '', '', '', '', '']
const statHeaders = (prefix: string): string[] =>
  ['mean', 'std', 'ci95_low', 'ci95_high', 'seeds', 'interval'].map((x) => `${prefix}_${x}`)

/** Table 6.2 of a plan result: a header line, then one line per row. */
export function planTableLines(r: PlanResult): unknown[][] {
  const cells = new Map<string, (row: PlanResult['rows'][number]) => PlanStat | undefined>()
  for (const row of r.rows) {
    for (const [a, byEps] of Object.entries(row.fooling))
      for (const e of Object.keys(byEps)) cells.set(`fooling_${a}_${e}`, (x) => x.fooling[a]?.[e])
    for (const [a, byEps] of Object.entries(row.whiteBox))
      for (const e of Object.keys(byEps)) cells.set(`whitebox_${a}_${e}`, (x) => x.whiteBox[a]?.[e])
    for (const e of Object.keys(row.worstCase)) cells.set(`worst_${e}`, (x) => x.worstCase[e])
  }
  const header = [
    'arch',
    'lambda',
    'models',
    'collapsed',
    ...statHeaders('delta'),
    'delta_within_std',
    'delta_images',
    ...statHeaders('accuracy'),
    'accuracy_images',
    'train_seconds_mean',
    'train_seconds_std',
    ...[...cells.keys()].flatMap((k) => [...statHeaders(k), `${k}_images`])
  ]
  return [
    header,
    ...r.rows.map((row) => [
      row.arch,
      row.lambda,
      row.models.join(' '),
      row.collapsed.join(' '),
      ...statCells(row.delta),
      row.delta?.withinStd,
      row.delta?.images,
      ...statCells(row.accuracy),
      row.accuracy?.images,
      row.trainSeconds?.mean,
      row.trainSeconds?.std,
      ...[...cells.values()].flatMap((get) => {
        const s = get(row)
        return [...statCells(s), s?.images ?? '']
      })
    ])
  ]
}

/** The figures' curves: one line per (source, target group, attack, ε). */
export function planFigureLines(r: PlanResult): unknown[][] {
  return [
    [
      'figure',
      'source',
      'source_arch',
      'target',
      'role',
      'arch',
      'lambda',
      'attack',
      'epsilon',
      'images',
      ...statHeaders('fooling')
    ],
    ...r.figures.flatMap((f) =>
      f.curves.flatMap((c) =>
        c.points.map((p) => [
          f.kind === 'reference' ? '6.6' : '6.7',
          f.sourceName,
          f.sourceArch,
          c.label,
          c.role,
          c.arch,
          c.lambda,
          c.attack,
          p.epsilon,
          f.sampleCount,
          ...statCells(p.stat)
        ])
      )
    )
  ]
}

/** Table 6.2 of a plan run (what Results → Export CSV writes for it). */
export function planCsvLines(run: RunRecord, models: readonly StoredModel[] = []): unknown[][] {
  return planTableLines(planResult(run, models))
}
