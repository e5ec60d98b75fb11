/**
 * The attack registry: every attack the engine offers, with its declared parameters so the UI
 * can build forms. Registering an id twice throws (checked, not trusted).
 */
import type { Tensor1D, Tensor4D } from '../tf'
import type { Classifier } from '../models/types'
import { runAttackWith, type AttackRunOptions } from './base'
import { apgdCe, apgdDlr } from './apgd'
import { di2fgsm } from './di2fgsm'
import { fgsm } from './fgsm'
import { ifgsm } from './ifgsm'
import { mifgsm } from './mifgsm'
import { pgd } from './pgd'
import { square } from './square'
import type { AttackConfig, AttackDefinition } from './types'

export type { AttackConfig, AttackDefinition, AttackParamSpec, ResolvedAttackConfig } from './types'
export type { AttackProgress, AttackRunOptions } from './base'
export { checkAttackConfig, isLoopAttack } from './base'

/**
 * Two groups: the transfer attacks the sweep and the defense table offer (the contract's
 * ATTACK_NAMES), and the attacks of the robustness evaluation (white-box APGD, score-based
 * Square), which `getAttack` finds but the transfer forms do not list.
 */
export type AttackGroup = 'transfer' | 'evaluation'

const registry = new Map<string, { def: AttackDefinition; group: AttackGroup }>()

/** Adds an attack to a group; throws if its id is already taken. */
export function registerAttack(def: AttackDefinition, group: AttackGroup = 'transfer'): void {
  if (registry.has(def.id)) throw new Error(`Attack "${def.id}" is already registered`)
  registry.set(def.id, { def, group })
}

for (const def of [fgsm, ifgsm, mifgsm, pgd, di2fgsm]) registerAttack(def)
for (const def of [apgdCe, apgdDlr, square]) registerAttack(def, 'evaluation')

/** The transfer attacks (sweep, defense table), in registration order. */
export function listAttacks(): AttackDefinition[] {
  return [...registry.values()].filter((e) => e.group === 'transfer').map((e) => e.def)
}

/** The robustness evaluation's own attacks (APGD-CE, APGD-DLR, Square), in registration order. */
export function listEvaluationAttacks(): AttackDefinition[] {
  return [...registry.values()].filter((e) => e.group === 'evaluation').map((e) => e.def)
}

/** The attack with this id, of either group; throws naming the known ids otherwise. */
export function getAttack(id: string): AttackDefinition {
  const entry = registry.get(id)
  if (!entry) throw new Error(`Unknown attack "${id}" (known: ${[...registry.keys()].join(', ')})`)
  return entry.def
}

/**
 * Crafts adversarial images for `x` ([N, H, W, C] in [0, 1]) against `model` with attack `id`.
 * Resolves to new images within ε of `x` (L∞) and in [0, 1]; rejects with an AbortError when
 * `options.signal` aborts.
 */
export async function runAttack(
  id: string,
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  config: AttackConfig,
  options: Omit<AttackRunOptions, 'gradientWeight'> = {}
): Promise<Tensor4D> {
  return runAttackWith(getAttack(id), model, x, labels, config, options)
}

/**
 * As `runAttack`, with the loss gradient multiplied element-wise by `gradientWeight` at every
 * step (saliency-enhanced PGD: the perturbation goes where the saliency map is high).
 */
export async function runWeightedAttack(
  id: string,
  model: Classifier,
  x: Tensor4D,
  labels: Tensor1D,
  gradientWeight: Tensor4D,
  config: AttackConfig,
  options: Omit<AttackRunOptions, 'gradientWeight'> = {}
): Promise<Tensor4D> {
  return runAttackWith(getAttack(id), model, x, labels, config, { ...options, gradientWeight })
}
