/**
 * What a stored model is: how it was trained (λ, penalty form), whether its weights may be
 * used, and its role next to a source model (source / ordinary / orthogonal). One reading of
 * the stored training config for the audits, the report and the window.
 */
import type { ModelKind } from '../../contract/entities'
import { PENALTY_FORMS, type PenaltyForm } from '../../contract/names'
import { listModels, RecordNotFoundError, type ProjectDb, type StoredModel } from '../store'

/**
 * Whether a model's weights may be attacked, evaluated and trained against: a ready model, or
 * a training stopped early (cancelled, or cut by a crash) that kept a best checkpoint — its
 * weights are that checkpoint. Not a collapsed, failed or still-training one, nor one stopped
 * before its first validation check (its weights were never checked).
 */
export function isUsable(m: Pick<StoredModel, 'status' | 'checkpoint'>): boolean {
  return m.status === 'ready' || (m.status === 'cancelled' && m.checkpoint !== null)
}

export interface TrainingSettings {
  lambda: number
  penaltyForm: PenaltyForm | null
}

/**
 * λ and the penalty form a model was trained with: `{ request, resolved }` since runs store
 * their request (contract/jobs.ts StoredRunConfig); models saved before hold a flat config with
 * `lambda` and `penalty`. Imported models have neither (λ = 0).
 */
export function trainingOf(model: Pick<StoredModel, 'trainingConfig'>): TrainingSettings {
  const config = (model.trainingConfig ?? {}) as Record<string, unknown>
  const settings = (
    typeof config.resolved === 'object' && config.resolved !== null ? config.resolved : config
  ) as Record<string, unknown>
  const lambda =
    typeof settings.lambda === 'number' && Number.isFinite(settings.lambda) ? settings.lambda : 0
  const form = settings.penaltyForm ?? settings.penalty
  return {
    lambda,
    penaltyForm: PENALTY_FORMS.includes(form as PenaltyForm) ? (form as PenaltyForm) : null
  }
}

/** Whether the model was imported (its training config records the files it came from). */
export function isImported(model: Pick<StoredModel, 'trainingConfig'>): boolean {
  const config = model.trainingConfig as Record<string, unknown> | undefined
  return !config || 'imported' in config
}

export function storedModel(project: ProjectDb, id: number): StoredModel {
  const m = listModels(project.db).find((x) => x.id === id)
  if (!m) throw new RecordNotFoundError('model', id)
  return m
}

/** Refuses models whose weights cannot be trusted, naming the model and why. */
export function requireUsable(project: ProjectDb, id: number, role: string): StoredModel {
  const m = storedModel(project, id)
  if (!isUsable(m)) {
    throw new RangeError(
      `Model "${m.name}" (id ${id}) is ${m.status} and cannot be used as the ${role}` +
        (m.status === 'collapsed'
          ? ': its training collapsed, so its predictions mean nothing'
          : m.status === 'cancelled'
            ? ': its training stopped before its first validation check, so it kept no checkpoint'
            : '')
    )
  }
  return m
}

/**
 * A model's role in a sweep, from its own lineage and never from the choice of source: the
 * source itself; 'orthogonal' when it was trained with λ > 0 (against its own reference —
 * with a source of another architecture, thesis Figure 6.7, it is still the orthogonal model);
 * otherwise 'ordinary'. (A model trained with λ > 0 always had a reference; it stays
 * orthogonal when that reference has since been deleted.)
 */
export function kindOf(m: StoredModel, sourceId: number): ModelKind {
  if (m.id === sourceId) return 'source'
  return trainingOf(m).lambda > 0 ? 'orthogonal' : 'ordinary'
}

/** The model an orthogonal model is orthogonal to (its own reference), else null. */
export function orthogonalTo(m: StoredModel): number | null {
  return trainingOf(m).lambda > 0 ? m.referenceModelId : null
}
