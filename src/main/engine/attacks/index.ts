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

const registry = new Map<string, AttackDefinition>()

/** Adds an attack; throws if its id is already taken. */
export function registerAttack(def: AttackDefinition): void {
  if (registry.has(def.id)) throw new Error(`Attack "${def.id}" is already registered`)
  registry.set(def.id, def)
}

for (const def of [fgsm, ifgsm, mifgsm, pgd, di2fgsm, apgdCe, apgdDlr, square]) registerAttack(def)

/** All registered attacks, in registration order. */
export function listAttacks(): AttackDefinition[] {
  return [...registry.values()]
}

/** The attack with this id; throws naming the known ids otherwise. */
export function getAttack(id: string): AttackDefinition {
  const def = registry.get(id)
  if (!def) throw new Error(`Unknown attack "${id}" (known: ${[...registry.keys()].join(', ')})`)
  return def
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
