/**
 * `ortholens evaluate`: the robustness evaluation from the command line (issue 14), on the
 * window's request (contract/evaluation.ts) and the job's service. Text: per model a table of
 * robust accuracy per threat and ε with 95 % intervals, the flags and the plain-words verdict;
 * `--json`: the compact shape (services/evaluation/summary.ts).
 */
import type { EvaluationModelView, EvaluationView, RatioView } from '../../contract/evaluation'
import { getRun, type ProjectDb } from '../store'
import { runEvaluation } from '../services/evaluation/run'
import { evaluationJson } from '../services/evaluation/summary'
import { evaluationView } from '../services/evaluation/view'
import { CASCADE_NOTE } from '../services/evaluation/words'
import type { JobProgress } from '../services/hooks'
import type { EvaluationRequest } from '../../contract/evaluation'
import { flag } from './args'
import { command, dataset, seed, type CommandRunner } from './command'
import { table } from './output'

const pct1 = (v: number) => (100 * v).toFixed(1)
const epsText = (e: number) => `${+(e * 100).toFixed(2)} %`

/** "80.1 (77.5–82.5)": a ratio in percent with its 95 % Wilson interval. */
export function ratioCell(r: RatioView): string {
  return `${pct1(r.value)} (${pct1(r.ci95[0])}–${pct1(r.ci95[1])})`
}

function kindWords(m: EvaluationModelView): string {
  return m.kind === 'orthogonal' ? `orthogonal, λ = ${m.lambda}` : m.kind
}

/** One model: its table (rows threats, columns ε), flags and verdict. */
export function modelText(view: EvaluationView, m: EvaluationModelView): string {
  const threats = m.byEpsilon[0]?.threats ?? []
  const rows = threats.map((t, i) => [
    t.basis === 'cascade' ? `${t.label} *` : t.label,
    ...m.byEpsilon.map((e) => ratioCell(e.threats[i]!.robust))
  ])
  rows.push([
    'Worst case per image (every attack above)',
    ...m.byEpsilon.map((e) => ratioCell(e.worst))
  ])
  const lines = [
    `"${m.name}" (${kindWords(m)}): clean accuracy ${pct1(m.clean.value)} % of ${m.clean.total} images (95 % CI ${pct1(m.clean.ci95[0])}–${pct1(m.clean.ci95[1])} %)`,
    table(
      ['Robust accuracy % (95 % CI)', ...m.byEpsilon.map((e) => `ε = ${epsText(e.epsilon)}`)],
      rows
    )
  ]
  if (threats.some((t) => t.basis === 'cascade'))
    lines.push(
      `* cascade: ran only on the images every attack above left unfooled, so its figure is ${CASCADE_NOTE}`
    )
  if (m.flags.length > 0) {
    lines.push('Flags:')
    for (const f of m.flags) lines.push(`  ⚠ ${f.code}: ${f.message}`)
  } else lines.push('Flags: none raised')
  lines.push('Verdict:')
  for (const line of m.verdict) lines.push(`  ${line}`)
  return lines.join('\n')
}

/** The whole evaluation as text. */
export function evaluationText(view: EvaluationView): string {
  const head = [
    `Robustness evaluation run ${view.runId}: ${view.samples} validation images drawn (the same for every model; every accuracy is over all of them), ` +
      `ε = ${view.epsilons.map(epsText).join(', ')} (${view.seconds.toFixed(0)} s)`,
    ...view.settings.map((s) => `  ${s}`)
  ]
  return [head.join('\n'), ...view.models.map((m) => modelText(view, m))].join('\n\n')
}

/** Runs an evaluation and reads its view back (the view computes the verdicts). */
export async function evaluateAndView(
  project: ProjectDb,
  request: EvaluationRequest,
  onProgress?: (p: JobProgress) => void
): Promise<{ view: EvaluationView; json: ReturnType<typeof evaluationJson> }> {
  const outcome = await runEvaluation(project, request, onProgress ? { onProgress } : {})
  const run = getRun(project.db, outcome.runId)!
  return {
    view: evaluationView(project, run),
    json: evaluationJson(outcome.runId, outcome.evaluation)
  }
}

export const EVALUATE_COMMANDS: Record<string, CommandRunner> = {
  evaluate: command({
    channel: 'evaluation.run',
    usage: `  evaluate F --dataset ID --models ID,ID [--source ID] [--ensemble ID,ID] [--reference ID]
          [--epsilons 3,5 (percent)] [--samples N] [--attacks transfer,ensemble,pgd,apgd-ce,apgd-dlr,square]
          [--square-queries N] [--apgd-steps N] [--pgd-steps N] [--pgd-restarts N] [--seed N] [--batch N]
                          robustness evaluation: robust accuracy per threat model, worst case, flags, verdict`,
    flags: {
      dataset,
      models: flag('modelIds', 'ints'),
      source: flag('sourceId', 'int'),
      ensemble: flag('ensembleIds', 'ints'),
      reference: flag('referenceId', 'int'),
      epsilons: flag('epsilons', 'percents'),
      samples: flag('sampleCount', 'int'),
      attacks: flag('threats', 'list'),
      'square-queries': flag('square.queries', 'int'),
      'apgd-steps': flag('apgd.steps', 'int'),
      'pgd-steps': flag('pgd.steps', 'int'),
      'pgd-restarts': flag('pgd.restarts', 'int'),
      seed,
      batch: flag('batchSize', 'int')
    },
    async run(project, request, _values, ctx) {
      const { view, json } = await evaluateAndView(project, request, ctx.progress)
      ctx.emit(json, () => evaluationText(view))
      return 0
    }
  })
}
