/**
 * How the evaluation's threat models are named wherever its numbers appear (window, command
 * line, report), so the same figure never carries two descriptions. A cascade figure (APGD-CE,
 * APGD-DLR, Square run only on the images every earlier attack failed to fool) is always
 * labelled as counting the attacks before it.
 */
import { attackLabel } from '../../../contract/words'
import type { ThreatName } from '../../../contract/names'
import type { ResolvedEvaluation } from './settings'

export const THREAT_LABELS: Record<ThreatName, string> = {
  transfer: 'Transfer',
  ensemble: 'Ensemble transfer',
  pgd: 'White-box PGD',
  'apgd-ce': 'APGD-CE',
  'apgd-dlr': 'APGD-DLR',
  square: 'Square'
}

/** Said of every cascade figure. */
export const CASCADE_NOTE = 'after the attacks before it'

const count = (n: number) => n.toLocaleString('en-US')

/** A threat's label with its settings, e.g. "White-box PGD (10 steps × 5 restarts)". */
export function threatLabel(
  threat: ThreatName,
  r: Pick<ResolvedEvaluation, 'transferAttack' | 'pgd' | 'apgd' | 'square'>,
  names: { source?: string; ensemble?: string[] } = {}
): string {
  switch (threat) {
    case 'transfer':
      return `Transfer from ${names.source ? `"${names.source}"` : 'the source'} (${attackLabel(r.transferAttack)})`
    case 'ensemble':
      return `Ensemble transfer from ${names.ensemble?.map((n) => `"${n}"`).join(' + ') ?? 'the ensemble'} (${attackLabel(r.transferAttack)})`
    case 'pgd':
      return `White-box PGD (${r.pgd.steps} steps × ${r.pgd.restarts} restart${r.pgd.restarts === 1 ? '' : 's'})`
    case 'apgd-ce':
    case 'apgd-dlr':
      return `${THREAT_LABELS[threat]} (${r.apgd.steps} iterations${r.apgd.restarts > 1 ? ` × ${r.apgd.restarts} restarts` : ''})`
    case 'square':
      return `Square (${count(r.square.queries)} queries)`
  }
}
