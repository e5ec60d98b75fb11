/**
 * The contract keeps its own lists of names (it cannot import the engine, which pulls in
 * tensors and node); each must equal the engine registry it stands for, in order, so a name
 * added on one side only fails here instead of in a user's request.
 */
import { describe, expect, it } from 'vitest'
import {
  ARCHITECTURES,
  ATTACK_NAMES,
  DEFENSE_NAMES,
  EVALUATION_ATTACK_NAMES,
  PENALTY_FORMS,
  THREAT_NAMES,
  SALIENCY_METHODS
} from '../../src/contract/names'
import { JOB_CHANNELS, RERUNNABLE_KINDS } from '../../src/contract/jobs'
import { JOB_KINDS } from '../../src/contract/names'
import { CHANNELS } from '../../src/contract/requests'
import { listAttacks, listEvaluationAttacks } from '../../src/main/engine/attacks'
import { THREAT_ORDER } from '../../src/main/engine/audit/robustnessTypes'
import { listDefenses } from '../../src/main/engine/defenses'
import { ARCHITECTURES as ENGINE_ARCHITECTURES } from '../../src/main/engine/models'
import { PENALTY_FORMS as ENGINE_PENALTY_FORMS } from '../../src/main/engine/training/penalty'
import { SALIENCY_METHODS as ENGINE_SALIENCY_METHODS } from '../../src/main/engine/saliency'
import { JOB_SERVICES } from '../../src/main/services/jobServices'
import { jobRunners } from '../../src/main/jobs/runners'

describe('the contract lists equal the engine registries', () => {
  it.each([
    ['attacks', ATTACK_NAMES, () => listAttacks().map((a) => a.id)],
    ['evaluation attacks', EVALUATION_ATTACK_NAMES, () => listEvaluationAttacks().map((a) => a.id)],
    ['threat models', THREAT_NAMES, () => [...THREAT_ORDER]],
    ['defenses', DEFENSE_NAMES, () => listDefenses().map((d) => d.id)],
    ['architectures', ARCHITECTURES, () => ENGINE_ARCHITECTURES.map((a) => a.id)],
    ['penalty forms', PENALTY_FORMS, () => [...ENGINE_PENALTY_FORMS]],
    ['saliency methods', SALIENCY_METHODS, () => [...ENGINE_SALIENCY_METHODS]]
  ] as const)('%s', (_what, contract, engine) => {
    expect([...contract]).toEqual(engine())
  })

  it('every job kind has a channel, a service and a worker body; re-runnable kinds are job kinds', () => {
    expect(Object.keys(JOB_CHANNELS).sort()).toEqual([...JOB_KINDS].sort())
    expect(Object.keys(JOB_SERVICES).sort()).toEqual([...JOB_KINDS].sort())
    expect(Object.keys(jobRunners).sort()).toEqual([...JOB_KINDS].sort())
    for (const channel of Object.values(JOB_CHANNELS)) expect(CHANNELS).toContain(channel)
    for (const kind of RERUNNABLE_KINDS) expect(JOB_KINDS).toContain(kind)
  })
})
