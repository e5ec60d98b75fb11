/**
 * A model's state in words an analyst reads without help: whether it can be used, and if its
 * training stopped early, where and what it kept.
 */
import { architectureLabel } from '../../../contract/words'
import type { ModelSummary } from '../../../contract/entities'

export interface ModelStatusWords {
  /** A short label for the badge. */
  label: string
  /** One sentence saying what it means and what to do. */
  detail: string
  tone: 'ok' | 'busy' | 'warn' | 'bad'
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`

export function modelStatus(m: ModelSummary): ModelStatusWords {
  const planned = m.epochsPlanned !== null ? ` of ${m.epochsPlanned}` : ''
  switch (m.status) {
    case 'ready':
      return { label: 'Ready', detail: '', tone: 'ok' }
    case 'training':
      return {
        label: 'Training…',
        detail: 'Its training is running; it can be used once it ends.',
        tone: 'busy'
      }
    case 'cancelled':
      return m.checkpoint
        ? {
            label: `Stopped early after epoch ${m.epochsRun}${planned}`,
            detail: `Usable: it keeps its best checkpoint, from epoch ${m.checkpoint.epoch} (${pct(m.checkpoint.valAccuracy)} validation accuracy).`,
            tone: 'warn'
          }
        : {
            label: 'Stopped before its first check',
            detail:
              'Its training stopped before the first validation check, so no weights were kept. Delete it, or train it again.',
            tone: 'bad'
          }
    case 'collapsed':
      return {
        label: 'Collapsed',
        detail: m.collapse ?? 'Its training collapsed; its predictions mean nothing.',
        tone: 'bad'
      }
    case 'failed':
      return {
        label: 'Failed',
        detail:
          'Its training stopped with an error (or the app stopped) before any weights were kept. Delete it, or train it again.',
        tone: 'bad'
      }
    default:
      return { label: m.status, detail: '', tone: 'warn' }
  }
}

/** "small CNN · orthogonal to Reference, λ = 30 (squared penalty)". */
export function modelKind(m: ModelSummary, nameOf: (id: number | null) => string): string {
  if (m.origin === 'imported') return `${architectureLabel(m.architecture)} · imported`
  if (m.lambda > 0)
    return `${architectureLabel(m.architecture)} · orthogonal to ${nameOf(m.referenceId)}, λ = ${m.lambda}${m.penaltyForm ? ` (${m.penaltyForm} penalty)` : ''}`
  return `${architectureLabel(m.architecture)} · ordinary`
}
