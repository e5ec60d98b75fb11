/**
 * `ortholens rerun F --run ID [--json]`: replays a run's stored request through the same
 * replay the window's Re-run uses (services/runs.ts) and the same service entry point, in this
 * process. A training re-run gives bit-identical weights (same request, same seeds).
 */
import type { ProjectDb } from '../store'
import { runJob } from '../services/jobServices'
import { replayOf } from '../services/runs'
import { UsageError, requireInt, type Values } from './args'
import type { CliContext } from './command'

export const RERUN_USAGE = `  rerun F --run ID         replay a run's stored request exactly (train, similarity, attack,
                          defense, explain, explain-adversarial, sanity, saliency-pgd,
                          robustness-evaluation runs)`

export async function rerunCommand(
  project: ProjectDb,
  values: Values,
  ctx: CliContext
): Promise<number> {
  const runId = requireInt(values, 'run')
  let replay
  try {
    replay = replayOf(project, runId)
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message)
    throw err
  }
  const result = await runJob(replay, project, { onProgress: ctx.progress })
  const summary = { rerunOf: runId, kind: replay.kind, request: replay.args, result }
  ctx.emit(summary, () => {
    const r = result as { runId?: number; modelId?: number; status?: string }
    const what =
      r.modelId !== undefined
        ? `model ${r.modelId} (${r.status ?? 'done'}), run ${r.runId}`
        : `run ${r.runId}`
    return `Re-ran ${replay.kind} run ${runId} with its stored request: ${what}`
  })
  const status = (result as { status?: string }).status
  return status === undefined || status === 'ready' ? 0 : 3
}
