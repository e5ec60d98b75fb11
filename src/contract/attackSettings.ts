/**
 * Settings of one attack other than ε (steps, step size α, momentum μ, seed …), shared by the
 * requests that run attacks (sweep, defense table, plan evaluation). Ranges common to several
 * attacks come from LIMITS; the rest are declared by the attack itself and checked by the
 * engine (engine/attacks/base.ts checkAttackConfig), which names the bad parameter.
 */
import { LIMITS } from './limits'
import { s } from './validate'

export const attackSettingsSchema = s.object({
  steps: s.optional(s.int(LIMITS.steps)),
  stepSize: s.optional(s.number(LIMITS.stepSize)),
  decay: s.optional(s.number(LIMITS.decay)),
  seed: s.optional(s.int(LIMITS.seed)),
  diversityProb: s.optional(s.number()),
  resizeRate: s.optional(s.number())
})
