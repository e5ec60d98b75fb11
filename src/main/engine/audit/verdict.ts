/**
 * The plain-words verdict: sentences for analysts who do not read robustness tables, made
 * only from an evaluation's numbers. Each claim is chosen by a number it states beside it, so
 * no sentence can be contradicted by the figures it comes with:
 *  - what share of images keep their label under transfer and under an attacker who has the
 *    model (worst case per image), each with its count and 95 % interval;
 *  - a conclusion whose wording ("protects", "partly protects", "does not protect") follows
 *    the share of the correctly classified images that survive, and says when the interval is
 *    too wide to be sure of that word;
 *  - every raised flag, in its own words, and a caution on the white-box claim when a masking
 *    flag is up.
 * Pure: the same evaluation always gives the same sentences.
 */
import { ratio, type Ratio } from './stats'
import { epsilonText, interval, percent } from './wording'
import type { EpsilonResult, RobustnessEvaluation, SanityFlag, ThreatId } from './robustnessTypes'

export interface VerdictOptions {
  /** Who the conclusion is about, e.g. "Orthogonal training" (default "This model"). */
  subject?: string
  /** How the transfer source is named, e.g. "the reference" (default: its name in quotes). */
  sourceLabel?: string
}

export interface Verdict {
  modelId: string
  /** Sentences, in reading order: clean accuracy, then per ε, then warnings. */
  lines: string[]
}

/** Share of the correctly classified images that must survive for each word. */
export const PROTECTION_LEVELS = { protects: 0.9, partly: 0.5 } as const

type Level = 'protects' | 'partly protects' | 'does not protect'

function level(kept: number): Level {
  return kept >= PROTECTION_LEVELS.protects
    ? 'protects'
    : kept >= PROTECTION_LEVELS.partly
      ? 'partly protects'
      : 'does not protect'
}

/** Whether the kept share's interval reaches across a level boundary (the word is uncertain). */
function uncertain(kept: Ratio): boolean {
  const [lo, hi] = kept.ci95
  return level(lo) !== level(hi)
}

const MASKING_CODES: SanityFlag['code'][] = [
  'gradient-masking',
  'gradient-free-stronger',
  'more-iterations-weaker',
  'white-box-weaker-than-transfer'
]

const THREAT_NAMES: Record<ThreatId, string> = {
  transfer: 'transfer',
  ensemble: 'ensemble transfer',
  pgd: 'PGD with restarts',
  'apgd-ce': 'APGD-CE',
  'apgd-dlr': 'APGD-DLR',
  square: 'Square'
}

function list(words: string[]): string {
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`
}

/** The verdict on one model of an evaluation. */
export function verdictFor(
  evaluation: RobustnessEvaluation,
  modelId: string,
  options: VerdictOptions = {}
): Verdict {
  const model = evaluation.models.find((m) => m.id === modelId)
  if (!model)
    throw new Error(
      `The evaluation has no model "${modelId}" (models: ${evaluation.models.map((m) => m.id).join(', ')})`
    )
  const subject = options.subject ?? 'This model'
  const source =
    options.sourceLabel ?? (evaluation.source ? `"${evaluation.source.name}"` : 'the source model')
  const correct = model.clean.count
  const masking = model.flags.some((f) => MASKING_CODES.includes(f.code))
  const lines = [
    `On clean images it is right on ${percent(model.clean.value)} of ${model.clean.total} (${interval(model.clean)}).`
  ]
  for (const e of model.byEpsilon)
    lines.push(epsilonLine(e, evaluation, modelId, subject, source, correct, masking))
  for (const flag of model.flags)
    lines.push(`${flag.code === 'accuracy-cost' ? 'Accuracy cost' : 'Warning'}: ${flag.message}`)
  return { modelId, lines }
}

function epsilonLine(
  e: EpsilonResult,
  evaluation: RobustnessEvaluation,
  modelId: string,
  subject: string,
  source: string,
  correct: number,
  masking: boolean
): string {
  const eps = `ε = ${epsilonText(e.epsilon)}`
  const n = e.worst.total
  const sentences: string[] = []
  const find = (t: ThreatId) => e.threats.find((r) => r.threat === t)
  const transfer = find('transfer')
  const ensemble = find('ensemble')
  const ran = e.threats.map((r) => r.threat)
  const whiteBox = ran.some((t) => t === 'pgd' || t === 'apgd-ce' || t === 'apgd-dlr')
  const queries = ran.includes('square')
  const stated = (r: Ratio) =>
    `${percent(r.value)} of images keep their label (n = ${n}, ${interval(r)})`
  // For the source itself "transfer" is a white-box attack: it says nothing about transfer.
  const isSource = evaluation.source?.id === modelId
  if (transfer)
    sentences.push(
      isSource
        ? `Against perturbations crafted on itself (it is the transfer source, ${eps}): ${stated(transfer.robust)}.`
        : `Against perturbations transferred from ${source} (${eps}): ${stated(transfer.robust)}.`
    )
  if (ensemble) {
    const members = evaluation.ensemble ?? []
    const names = list(members.map((m) => `"${m.name}"`))
    const inside = members.some((m) => m.id === modelId) ? ', which includes this model' : ''
    sentences.push(
      `Against perturbations crafted on the ensemble of ${names}${inside} (${eps}): ${stated(ensemble.robust)}.`
    )
  }
  const attacker = whiteBox
    ? 'an attacker who has this model'
    : queries
      ? 'an attacker who can query this model'
      : undefined
  if (attacker) {
    const over = list(ran.map((t) => THREAT_NAMES[t]))
    sentences.push(
      `Against ${attacker} (${eps}, worst case per image over ${over}): ${stated(e.worst)}.`
    )
  }
  if (correct === 0) {
    sentences.push('It classifies none of the images correctly, so there is nothing to protect.')
    return sentences.join(' ')
  }
  // What share of the images it gets right survive: the basis of the words below.
  const keptTransfer = transfer && !isSource ? ratio(transfer.robust.count, correct) : undefined
  const keptWorst = attacker ? ratio(e.worst.count, correct) : undefined
  const hedge = (kept: Ratio) =>
    uncertain(kept)
      ? ` (${correct} correctly classified images are too few to be sure of that)`
      : ''
  const attackerWord = whiteBox
    ? 'an attacker who has the model'
    : 'an attacker who can query the model'
  if (keptTransfer && level(keptTransfer.value) === 'does not protect') {
    sentences.push(
      `${subject} does not protect against transfer from ${source} at ${eps}: ${percent(1 - keptTransfer.value)} of the images it classifies correctly are fooled${hedge(keptTransfer)}.`
    )
  } else if (keptTransfer && keptWorst && level(keptWorst.value) === 'does not protect') {
    sentences.push(
      `${subject} ${level(keptTransfer.value)} against transfer from ${source} only: ${attackerWord} fools ` +
        `${percent(1 - keptWorst.value)} of the images it classifies correctly at ${eps}${hedge(keptWorst)}.`
    )
  } else if (keptWorst) {
    const claim = masking
      ? `appears to withstand ${attackerWord} (${percent(keptWorst.value)} of the images it classifies correctly survive at ${eps}), but gradient masking is suspected, so this may overstate its robustness`
      : `${level(keptWorst.value)} against ${attackerWord}${keptTransfer ? ' as well' : ''}: ${percent(keptWorst.value)} of the images it classifies correctly survive at ${eps}${hedge(keptWorst)}`
    const transferPart = keptTransfer
      ? ` ${level(keptTransfer.value)} against transfer from ${source} and`
      : ''
    sentences.push(`${subject}${transferPart} ${claim}.`)
  } else if (keptTransfer) {
    sentences.push(
      `${subject} ${level(keptTransfer.value)} against transfer from ${source} at ${eps}${hedge(keptTransfer)}; no attack with access to the model was run, so nothing is known about such an attacker.`
    )
  }
  return sentences.join(' ')
}
