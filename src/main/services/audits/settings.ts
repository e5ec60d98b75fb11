/** Attack settings of the audits: the defaults of a request and what every (attack, ε) resolves to. */
import type { AttackName } from '../../../contract/names'
import type { AttackSettings } from '../../../contract/requests'
import { checkAttackConfig, getAttack, type ResolvedAttackConfig } from '../../engine/attacks'

/** The four attacks of the thesis' Figures 6.5–6.7: the default of sweeps and defense tables. */
export const THESIS_ATTACKS: AttackName[] = ['fgsm', 'ifgsm', 'mifgsm', 'pgd']

/** Samples per attack batch unless a request says otherwise; bounds memory, not results. */
export const DEFAULT_AUDIT_BATCH = 100

/** Samples of a sweep or a defense table unless a request says otherwise (the thesis' 1000). */
export const DEFAULT_SAMPLE_COUNT = 1000

export type PerAttackSettings = Partial<Record<AttackName, AttackSettings>>

/** Every parameter of every (attack, ε) as it will run, checked against the attack's declaration. */
export function resolvedSettings(
  attacks: string[],
  epsilons: number[],
  settings: PerAttackSettings,
  batchSize: number
): Record<string, { epsilon: number; config: ResolvedAttackConfig }[]> {
  return Object.fromEntries(
    attacks.map((a) => [
      a,
      epsilons.map((epsilon) => ({
        epsilon,
        config: checkAttackConfig(getAttack(a), {
          ...settings[a as AttackName],
          epsilon,
          batchSize
        })
      }))
    ])
  )
}

/** ε as the figures label it: percent of the dynamic range. */
export function epsLabel(e: number): string {
  return `${+(e * 100).toFixed(2)} %`
}

/** Throttles writing a run's progress to the project to once a second. */
export function progressWriter(
  write: (p: { fraction: number; stage: string }) => void
): (fraction: number, stage: string) => void {
  let last = 0
  return (fraction, stage) => {
    const now = Date.now()
    if (now - last > 1000) {
      write({ fraction, stage })
      last = now
    }
  }
}
