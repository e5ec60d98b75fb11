/**
 * Runs recorded before every run stored its request verbatim (`config.request`) kept their
 * settings under the services' former names (arch, referenceModelId, penalty, evalEvery,
 * trainSamples …) and string ids. This reads the kinds that could be re-run then back into
 * today's requests, so a project saved by an older version still re-runs; nothing writes these
 * shapes any more.
 */
import { DEFENSE_NAMES } from '../../contract/names'

type Json = Record<string, unknown>

const num = (v: unknown): number | undefined =>
  v === null || v === undefined || v === '' ? undefined : Number(v)
const defined = (o: Json): Json =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

/** The request a legacy run's config stands for, or undefined when it is not one. */
export function legacyRequest(kind: string, c: Json): unknown {
  const request = (c.request ?? undefined) as Json | undefined
  if (kind === 'train' && c.arch !== undefined) {
    return defined({
      // Named after its model when replayed (runs.ts).
      name: 'Re-run',
      datasetId: num(c.datasetId),
      architecture: c.arch,
      referenceId: num(c.referenceModelId),
      lambda: c.lambda,
      penaltyForm: c.penalty,
      epochs: c.epochs,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      validateEvery: c.evalEvery,
      patience: c.patience,
      trainLimit:
        typeof c.trainSamples === 'number' && c.trainSamples > 0 ? c.trainSamples : undefined,
      valLimit: typeof c.valSamples === 'number' && c.valSamples > 0 ? c.valSamples : undefined,
      seed: c.seed
    })
  }
  if (kind === 'similarity' && c.modelA !== undefined) {
    return defined({
      datasetId: num(c.datasetId),
      modelA: num(c.modelA),
      modelB: num(c.modelB),
      valLimit: c.samples,
      seed: c.seed
    })
  }
  if (kind === 'attack-sweep' && request) {
    return defined({
      ...request,
      datasetId: num(request.datasetId),
      sourceId: num(request.sourceId),
      targetIds: Array.isArray(request.targetIds) ? request.targetIds.map(Number) : undefined
    })
  }
  if (kind === 'defense-table' && request) {
    // The table's models were a target list plus the orthogonal one; defenses were matched
    // without case ('bitdepth').
    const targets = Array.isArray(request.targetIds) ? request.targetIds.map(Number) : []
    const orthogonal = num(request.orthogonalId) ?? targets[1]
    const spelled = (d: unknown) =>
      DEFENSE_NAMES.find((n) => n.toLowerCase() === String(d).toLowerCase()) ?? d
    return defined({
      datasetId: num(request.datasetId),
      sourceId: num(request.sourceId),
      ordinaryId: targets.find((t) => t !== orthogonal),
      orthogonalId: orthogonal,
      attacks: request.attacks,
      epsilons: request.epsilons,
      defenses: Array.isArray(request.defenses) ? request.defenses.map(spelled) : undefined,
      sampleCount: request.sampleCount,
      seed: request.seed
    })
  }
  return undefined
}
