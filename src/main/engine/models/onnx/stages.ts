/**
 * Saliency stages of an imported graph. Grad-CAM and CAMERAS cut a model in two —
 * activation = forwardTo(stage, x), logits = forwardFrom(stage, activation) — which is exact
 * only where every path from the input to the output passes through the stage's value (a
 * "cut" value: a ResNet block's output, not the inside of a residual branch, whose shortcut
 * bypasses it). So the stages are exactly those values, in graph order.
 */
import type { Plan } from './plan'

export interface Stage {
  /** The name shown to the user: the producing node's name, or the value's if unnamed or repeated. */
  name: string
  /** The graph value it reads. */
  value: string
}

/** Cut values of the plan's runtime graph, in execution order (the output excluded). */
export function cutStages(plan: Plan): Stage[] {
  const steps = plan.steps
  const inputName = plan.graph.input.name
  const output = plan.graph.output
  const consumers = new Map<string, number[]>()
  steps.forEach((s, i) => {
    for (const v of s.inputs) if (v !== '') consumers.set(v, [...(consumers.get(v) ?? []), i])
  })
  /** Whether the output is reachable from the input without passing through `blocked`. */
  const reachableAvoiding = (blocked: string): boolean => {
    const seen = new Set<string>([inputName])
    const stack = [inputName]
    while (stack.length > 0) {
      const v = stack.pop()!
      if (v === output) return true
      for (const i of consumers.get(v) ?? []) {
        for (const o of steps[i]!.outputs) {
          if (o !== '' && o !== blocked && !seen.has(o)) {
            seen.add(o)
            stack.push(o)
          }
        }
      }
    }
    return false
  }
  const nameCount = new Map<string, number>()
  for (const s of steps) if (s.label) nameCount.set(s.label, (nameCount.get(s.label) ?? 0) + 1)
  const stages: Stage[] = []
  for (const s of steps) {
    const value = s.outputs[0]
    if (!value || value === output || !plan.values.get(value) || reachableAvoiding(value)) continue
    const unique = s.label !== '' && nameCount.get(s.label) === 1 && s.outputs.length === 1
    stages.push({ name: unique ? s.label : value, value })
  }
  return stages
}
