/**
 * The accuracy-cost flag and the verdict wherever the numbers appear: the model list (window
 * and command line), the defense table (with its adaptive column and its transfer-only note),
 * and the HTML report (models table, Table 6.3, the verdict section), plus the evaluation's
 * CSV. Models here carry hand-set validation accuracies, so each flag's figures are known.
 */
import { separableLowestRatio } from '../../../src/main/engine/audit/stats'
import { mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/main/engine/backend'
import { escapeHtml } from '../../../src/main/engine/audit/report'
import { accuracyCostFlag } from '../../../src/main/engine/audit/sanityFlags'
import { listDatasets, listModels, saveModel, getRun } from '../../../src/main/store'
import { toModelSummary } from '../../../src/main/ipc/mappers'
import { modelListText, withAccuracyCost } from '../../../src/main/cli/modelList'
import { defenseText, sweepTables } from '../../../src/main/cli/audit'
import { runAttackSweep } from '../../../src/main/services/audits/sweep'
import {
  runDefenseTable,
  type DefenseTableOutcome
} from '../../../src/main/services/audits/defenseTable'
import { defenseTableNote } from '../../../src/main/services/audits/defenseNote'
import { runEvaluation, type EvaluationOutcome } from '../../../src/main/services/evaluation/run'
import { evaluationView } from '../../../src/main/services/evaluation/view'
import { buildReportHtml, writeReport } from '../../../src/main/services/report'
import { LINEAR, linear, tinyProject, type TinyProject } from './fixtures'

await initBackend('cpu')

describe('accuracy cost and verdict in lists, tables and the report', () => {
  let t: TinyProject
  let costly = 0
  let close = 0
  let evaluation: EvaluationOutcome
  let table: DefenseTableOutcome

  beforeAll(async () => {
    t = tinyProject()
    const db = t.project.writable()
    // Orthogonal models of the source (valAccuracy 0.9, 80 validation images, valLimit 2000):
    // one 10 points below it, one 4 points below it (within the 5-point allowance).
    const store = (name: string, accuracy: number, seed: number) => {
      const net = linear(seed, name)
      const id = saveModel(db, {
        name,
        architecture: LINEAR,
        weights: net.exportWeights(),
        datasetId: t.datasetId,
        referenceModelId: t.sourceId,
        trainingConfig: {
          request: {},
          resolved: { lambda: 30, penaltyForm: 'squared', valLimit: 2000 }
        },
        status: 'ready',
        metrics: { valAccuracy: accuracy }
      })
      net.dispose()
      return id
    }
    costly = store('costly', 0.8, 7)
    close = store('close', 0.86, 8)
    evaluation = await runEvaluation(t.project, {
      datasetId: t.datasetId,
      modelIds: [t.ordinaryId, costly],
      sourceId: t.sourceId,
      threats: ['transfer', 'pgd', 'apgd-ce'],
      epsilons: [0.1],
      sampleCount: 30,
      pgd: { steps: 2, restarts: 1 },
      apgd: { steps: 5 },
      checks: false
    })
    table = await runDefenseTable(t.project, {
      datasetId: t.datasetId,
      sourceId: t.sourceId,
      ordinaryId: t.ordinaryId,
      orthogonalId: costly,
      attacks: ['fgsm'],
      adaptive: 'pgd',
      epsilons: [0.1],
      sampleCount: 20,
      defenses: ['bitDepth']
    })
  })
  afterAll(() => t.cleanup())

  it('flags the model 10 points below its reference on its card and in the command line, not the one 4 points below', () => {
    const models = listModels(t.project.db)
    const datasets = listDatasets(t.project.db)
    const card = (id: number) =>
      toModelSummary(
        models.find((m) => m.id === id)!,
        datasets,
        models
      )
    expect(card(costly).accuracyCost).toBe(
      'Clean accuracy 80 % is 10.0 points below the reference "source" (90 %).'
    )
    expect(card(close).accuracyCost).toBeNull()
    // The sentence names the images each accuracy rests on where both records say.
    const of = (id: string, value: number, total?: number) => ({
      id,
      name: id,
      clean: { value, total }
    })
    expect(accuracyCostFlag(of('m', 0.8, 80), of('ref', 0.9, 2000))!.message).toBe(
      'Clean accuracy 80 % is 10.0 points below the reference "ref" (90 %; measured on 80 and 2000 images).'
    )
    expect(accuracyCostFlag(of('m', 0.849, 80), of('ref', 0.9, 80))!.message).toMatch(
      /5\.1 points .*both on 80 images/
    )
    expect(accuracyCostFlag(of('m', 0.85, 80), of('ref', 0.9, 80))).toBeUndefined()
    // The source has no reference; the ordinary model shares its accuracy.
    expect(card(t.sourceId).accuracyCost).toBeNull()
    expect(card(t.ordinaryId).accuracyCost).toBeNull()
    const listed = withAccuracyCost(models, datasets)
    const text = modelListText(listed, 'TABLE')
    expect(text.split('\n')).toEqual([
      'TABLE',
      `⚠ ${costly} "costly" accuracy cost: Clean accuracy 80 % is 10.0 points below the reference "source" (90 %).`
    ])
  })

  it('marks the costly model in the command line’s sweep tables', async () => {
    const sweep = await runAttackSweep(t.project, {
      datasetId: t.datasetId,
      sourceId: t.sourceId,
      targetIds: [t.ordinaryId, costly],
      attacks: ['fgsm'],
      epsilons: [0.1],
      sampleCount: 10,
      gallerySamples: 0
    })
    expect(sweep.models.map((m) => m.accuracyCost === null)).toEqual([true, true, false])
    const text = sweepTables(sweep)
    expect(text).toMatch(/orthogonal \(costly\) ⚠/)
    expect(text).not.toMatch(/ordinary \(ordinary\) ⚠/)
    expect(text.split('\n').at(-1)).toBe(
      '⚠ accuracy cost of "costly": Clean accuracy 80 % is 10.0 points below the reference "source" (90 %).'
    )
  })

  it('builds Table 6.3 with the adaptive column and says what its transfer columns measure', () => {
    expect(table.columns.map((c) => c.key)).toEqual(['clean', 'fgsm@0.1', 'adaptive:pgd@0.1'])
    const orth = table.rows.find((r) => r.key === 'orthogonal')!
    const note = defenseTableNote(table, 'source')
    expect(note[0]).toMatch(
      /^The attack columns are transfer attacks: perturbations crafted on "source"/
    )
    const lowest =
      orth.values['fgsm@0.1']! <= Math.min(...table.rows.map((r) => r.values['fgsm@0.1']!))
    const others = table.rows
      .filter((r) => r.key !== 'orthogonal')
      .map((r) => r.values['fgsm@0.1']!)
    // 20 images: the star needs the orthogonal row's 95 % interval wholly below every other.
    const clear =
      lowest &&
      separableLowestRatio(
        table.rows.map((r) => r.values['fgsm@0.1']),
        20
      ) === table.rows.indexOf(orth)
    expect(note[1]).toBe(
      !lowest
        ? 'The orthogonal model is not the lowest in any of the 1 transfer column.'
        : clear
          ? 'The orthogonal model is clearly the lowest (★) in 1 of 1 transfer column.'
          : 'The orthogonal model is lowest or tied in 1 of 1 transfer column, clearly lowest (★) in 0: over 20 images the other differences are within noise.'
    )
    expect(others.length).toBeGreaterThan(0)
    expect(note[2]).toBe(
      `Adaptive PGD, crafted on each row's own model (through its defense by BPDA), fools the orthogonal model on ` +
        `${(100 * orth.values['adaptive:pgd@0.1']!).toFixed(1)} % at ε = 10 % (FGSM transferred from "source": ${(100 * orth.values['fgsm@0.1']!).toFixed(1)} %) of 20 images.`
    )
    // The orthogonal row's model carries the flag: the text table marks the row and says why.
    expect(table.models.find((m) => m.role === 'orthogonal')!.accuracyCost).toMatch(
      /10.0 points below/
    )
    const text = defenseText(table)
    expect(text).toMatch(/Orthogonal model \(no defense\) ⚠/)
    expect(text).toMatch(/⚠ accuracy cost of "costly": Clean accuracy 80 % is 10.0 points below/)
    expect(text).not.toMatch(/No defense ⚠/)
    // A table without the adaptive column says so.
    const transferOnly = defenseTableNote(
      { ...table, columns: table.columns.slice(0, 2) },
      'source'
    )
    expect(transferOnly.at(-1)).toMatch(/^This table has no adaptive column/)
  })

  it('puts the verdict, the flags and the transfer-only note into the report', () => {
    const html = buildReportHtml(t.project)
    const view = evaluationView(t.project, getRun(t.project.db, evaluation.runId)!)
    // The verdict section comes right after the models, before the transfer study.
    const order = ['id="models"', 'id="verdict"', 'id="transfer"', 'id="defenses"'].map((s) =>
      html.indexOf(s)
    )
    expect(order.every((i) => i > 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    for (const m of view.models) {
      expect(m.verdict.length).toBeGreaterThan(1)
      for (const line of m.verdict) expect(html).toContain(`<p>${escapeHtml(line)}</p>`)
    }
    // The costly model: flagged in the models table and in its verdict card.
    expect(html).toContain(
      escapeHtml('Accuracy cost: Clean accuracy 80 % is 10.0 points below the reference "source"')
    )
    const costlyView = view.models.find((m) => m.modelId === costly)!
    const flag = costlyView.flags.find((f) => f.code === 'accuracy-cost')
    const cost = view.reference!.clean.value - costlyView.clean.value
    expect(Boolean(flag)).toBe(cost > 0.05 + 1e-9)
    if (flag) expect(html).toContain(escapeHtml(flag.message))
    // Table 6.3: the note and the orthogonal row's mark.
    expect(html).toContain('The attack columns are transfer attacks')
    expect(html).toMatch(
      /Orthogonal model \(no defense\) <span class="flag" title="Accuracy cost of &quot;costly&quot;/
    )
    // Each evaluation figure with its interval and count.
    const worst = costlyView.byEpsilon[0]!.worst
    expect(html).toContain(
      `${(100 * worst.value).toFixed(1)} <small>(${(100 * worst.ci95[0]).toFixed(1)}–${(100 * worst.ci95[1]).toFixed(1)}; ${worst.count}/30)</small>`
    )
    expect(html).toContain('after the attacks before it')
  })

  it('writes the evaluation as CSV beside the report', () => {
    const dir = mkdtempSync(join(t.dir, 'report-'))
    const out = writeReport(t.project, join(dir, 'r.html'), { csvDir: dir })
    const csv = out.files.find((f) => f.endsWith(`robustness-evaluation-${evaluation.runId}.csv`))!
    const lines = readFileSync(csv, 'utf8').trim().split('\n')
    expect(lines[0]).toBe(
      'model_id,model,epsilon,threat,basis,ran_on,fooled,robust,images,robust_accuracy,ci95_low,ci95_high'
    )
    // Per model: clean, three threats, worst.
    expect(lines).toHaveLength(1 + 2 * 5)
    const worst = evaluation.evaluation.models[1]!.byEpsilon[0]!.worst
    expect(lines).toContain(
      `${costly},costly,0.1,worst,per image,,,${worst.count},30,${worst.value},${worst.ci95[0]},${worst.ci95[1]}`
    )
  })
})
