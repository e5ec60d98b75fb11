/**
 * A built graph for one input size: every node's shapes and layouts inferred, constants and
 * PyTorch's shape arithmetic folded, each remaining node turned into a tf computation, and
 * common activation pairs fused (Conv/Gemm/BatchNormalization + Relu or Clip). Executing it
 * runs only the steps a target value needs, from the graph input or from any fed value (the
 * saliency stages), and frees each intermediate after its last use unless a gradient is
 * being recorded (then tf.grad needs them, and the caller's tidy frees them).
 */
import { tf, type Tensor } from '../../tf'
import { type ConstantCache, makeContext } from './context'
import { OnnxImportError } from './errors'
import { describeNode, type OnnxGraphDef, type OnnxNodeDef } from './graph'
import { type HostTensor, fromJson, hasBatch } from './hostTensor'
import { relayout, type ValueInfo } from './layout'
import type { FusedActivation, OperatorRegistry, RunFn } from './registry'

export interface Step {
  node: OnnxNodeDef
  /** The node name users see: the activation's when one was fused into the node. */
  label: string
  inputs: string[]
  outputs: string[]
  run: RunFn
}

interface Schedule {
  steps: Step[]
  /** Values whose tensors may be freed after step i. */
  frees: string[][]
}

export interface PlanSource {
  graph: OnnxGraphDef
  /** Float initializers by name. */
  weights: Map<string, HostTensor>
  cache: ConstantCache
  registry: OperatorRegistry
}

/** Whether tf is recording a gradient tape now (tf.grad / variableGrads in progress). */
export function recordingGradient(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state
  return state?.gradientDepth === undefined ? true : state.gradientDepth > 0
}

export class Plan {
  readonly values = new Map<string, ValueInfo>()
  readonly steps: Step[] = []
  /**
   * Set when a partial plan stopped at a node that cannot be built for this input size (a
   * flatten head at another size): the values before it still run (CAMERAS' trunk).
   */
  buildError: OnnxImportError | undefined
  private readonly producer = new Map<string, Step>()
  private readonly schedules = new Map<string, Schedule>()

  /**
   * @param input the graph input as it will be fed: ONNX shape (BATCH first) and layout.
   */
  constructor(
    private readonly source: PlanSource,
    readonly input: ValueInfo,
    options: { partial?: boolean } = {}
  ) {
    const { graph } = source
    this.values.set(graph.input.name, input)
    for (const [name, json] of Object.entries(graph.constants)) {
      const host = fromJson(json)
      this.values.set(name, { shape: host.dims, layout: 'plain', host })
    }
    for (const [name, host] of source.weights)
      this.values.set(name, { shape: host.dims, layout: 'plain', host })
    try {
      this.build()
    } catch (err) {
      if (!options.partial || !(err instanceof OnnxImportError)) throw err
      this.buildError = err
    }
  }

  get graph(): OnnxGraphDef {
    return this.source.graph
  }

  private build(): void {
    const { graph, registry, cache } = this.source
    const fusions = this.findFusions()
    const skipped = new Set([...fusions.values()].map((f) => f.by))
    const declared = graph.input.dims[0]
    const declaredBatch = typeof declared === 'number' && declared > 0 ? declared : undefined
    const missing = graph.nodes.filter((n) => n.domain !== '' || !registry.has(n.op))
    if (missing.length > 0) throw unsupported(missing, graph.opset, registry)
    for (const node of graph.nodes) {
      if (skipped.has(node)) continue
      const spec = registry.get(node.op)!
      const fusion = fusions.get(node)
      const ctx = makeContext(node, graph.opset, this.values, cache, {
        fused: fusion?.activation,
        declaredBatch
      })
      const built = spec.build(ctx)
      const outputs = fusion ? fusion.by.outputs : node.outputs
      outputs.forEach((name, i) => {
        if (name !== '' && !built.outputs[i])
          ctx.fail(`output ${i + 1} ('${name}') is not supported`)
      })
      const inputs = node.inputs
      const foldable =
        built.run &&
        inputs.every((i) => i === '' || this.values.get(i)!.host) &&
        built.outputs.every((o) => !hasBatch(o.shape))
      if (built.run && foldable) {
        const hosts = this.fold(node, built.run, built.outputs)
        built.outputs.forEach((o, i) => (o.host = hosts[i]))
      } else if (built.run) {
        const step: Step = {
          node,
          label: fusion ? fusion.by.name : node.name,
          inputs,
          outputs,
          run: built.run
        }
        this.steps.push(step)
        for (const o of outputs) if (o !== '') this.producer.set(o, step)
      } else if (built.outputs.some((o) => !o.host)) {
        ctx.fail('produced no computation')
      }
      outputs.forEach((name, i) => {
        if (name !== '' && built.outputs[i]) this.values.set(name, built.outputs[i]!)
      })
    }
    const out = this.values.get(graph.output)
    if (!out) throw new OnnxImportError(`The graph output '${graph.output}' is never computed`)
    if (out.host)
      throw new OnnxImportError(`The graph output '${graph.output}' does not depend on the input`)
  }

  /** Evaluates a node whose inputs are all constants, at build time. */
  private fold(node: OnnxNodeDef, run: RunFn, outputs: ValueInfo[]): HostTensor[] {
    return tf.tidy(() => {
      const tensors = node.inputs.map((name) => {
        const h = name === '' ? undefined : this.values.get(name)!.host
        if (!h || h.dtype !== 'float32') return undefined
        return tf.tensor(h.data, h.dims, 'float32')
      })
      const results = run(tensors, 1)
      return results.map((t, i) => {
        const plain = relayout(t, outputs[i]!, 'plain')
        const data = plain.dataSync() as Float32Array
        outputs[i]!.layout = 'plain'
        return { dtype: 'float32' as const, dims: plain.shape, data: Float32Array.from(data) }
      })
    })
  }

  /**
   * Pairs (node, activation) to fuse: the node's only consumer is a Relu, or a Clip with
   * constant bounds, and its output is not the graph output (nor a value anyone else reads).
   */
  private findFusions(): Map<OnnxNodeDef, { by: OnnxNodeDef; activation: FusedActivation }> {
    const { graph, registry } = this.source
    const consumers = new Map<string, OnnxNodeDef[]>()
    for (const n of graph.nodes) {
      for (const i of n.inputs) if (i !== '') consumers.set(i, [...(consumers.get(i) ?? []), n])
    }
    const fusions = new Map<OnnxNodeDef, { by: OnnxNodeDef; activation: FusedActivation }>()
    for (const n of graph.nodes) {
      const spec = n.domain === '' ? registry.get(n.op) : undefined
      if (!spec?.fuses || n.outputs.length !== 1 || n.outputs[0] === graph.output) continue
      const users = consumers.get(n.outputs[0]!) ?? []
      if (users.length !== 1) continue
      const user = users[0]!
      if (user.domain !== '' || user.inputs[0] !== n.outputs[0]) continue
      const activation = this.activationOf(user)
      if (activation && spec.fuses.includes(activation.kind))
        fusions.set(n, { by: user, activation })
    }
    return fusions
  }

  private activationOf(node: OnnxNodeDef): FusedActivation | undefined {
    if (node.op === 'Relu') return { kind: 'relu' }
    if (node.op !== 'Clip') return undefined
    const { opset, constants } = this.source.graph
    if (opset < 11) {
      const min = node.attributes.min
      const max = node.attributes.max
      return {
        kind: 'clip',
        min: typeof min === 'number' ? min : -Infinity,
        max: typeof max === 'number' ? max : Infinity
      }
    }
    const bound = (i: number, fallback: number): number | undefined => {
      const name = node.inputs[i]
      if (name === undefined || name === '') return fallback
      const w = this.source.weights.get(name)
      const c = constants[name]
      const v = w ? w.data[0] : c ? c.values[0] : undefined
      return typeof v === 'number' ? v : undefined
    }
    const min = bound(1, -Infinity)
    const max = bound(2, Infinity)
    return min === undefined || max === undefined ? undefined : { kind: 'clip', min, max }
  }

  /** The value the saliency stages and the output are read from. */
  value(name: string): ValueInfo {
    const v = this.values.get(name)
    if (!v) throw this.buildError ?? new OnnxImportError(`No value '${name}' in the graph`)
    return v
  }

  /** Runs what `target` needs, from `feeds` (stored tensors by value name). */
  execute(feeds: Map<string, Tensor>, target: string, batch: number): Tensor {
    const schedule = this.schedule([...feeds.keys()], target)
    const memo = new Map<string, Tensor>(feeds)
    const refs = new Map<Tensor, number>()
    const hold = (t: Tensor): void => void refs.set(t, (refs.get(t) ?? 0) + 1)
    for (const t of feeds.values()) hold(t) // never released: the caller owns them
    const free = !recordingGradient()
    schedule.steps.forEach((step, i) => {
      const inputs = step.inputs.map((name) => {
        if (name === '') return undefined
        const v = this.values.get(name)!
        if (v.host)
          return v.host.dtype === 'float32' ? this.constantTensor(name, v.host) : undefined
        return memo.get(name)
      })
      // A step's own temporaries (a padded copy, a pre-bias product) go with its tidy when no
      // gradient is recorded; under a tape the caller's tidy frees everything at the end.
      const results = free ? tf.tidy(() => step.run(inputs, batch)) : step.run(inputs, batch)
      step.outputs.forEach((name, k) => {
        if (name === '' || !results[k]) return
        memo.set(name, results[k]!)
        hold(results[k]!)
      })
      if (!free) return
      for (const name of schedule.frees[i]!) {
        const t = memo.get(name)
        if (!t) continue
        memo.delete(name)
        const left = refs.get(t)! - 1
        refs.set(t, left)
        if (left === 0) t.dispose()
      }
    })
    const out = memo.get(target)
    if (!out) throw new OnnxImportError(`'${target}' was not computed`)
    return out
  }

  private constantTensor(name: string, host: HostTensor): Tensor {
    return this.source.cache.get(`value:${name}`, () =>
      tf.tensor(host.data as Float32Array, host.dims, 'float32')
    )
  }

  /** The steps from `fed` values to `target`, in graph order, with the values each step frees. */
  private schedule(fed: string[], target: string): Schedule {
    const key = `${fed.join('|')}→${target}`
    const cached = this.schedules.get(key)
    if (cached) return cached
    const fedSet = new Set(fed)
    const needed = new Set<Step>()
    const visit = (name: string): void => {
      if (name === '' || fedSet.has(name)) return
      const v = this.values.get(name)
      if (!v) throw this.buildError ?? new OnnxImportError(`No value '${name}' in the graph`)
      if (v.host) return
      const step = this.producer.get(name)
      if (!step) {
        throw new OnnxImportError(
          name === this.source.graph.input.name
            ? `'${target}' depends on the graph input other than through ${fed.join(', ')}`
            : `'${name}' has no producer`
        )
      }
      if (needed.has(step)) return
      needed.add(step)
      for (const i of step.inputs) visit(i)
    }
    visit(target)
    const steps = this.steps.filter((s) => needed.has(s))
    const lastUse = new Map<string, number>()
    steps.forEach((s, i) => s.inputs.forEach((name) => lastUse.set(name, i)))
    const frees: string[][] = steps.map(() => [])
    for (const [name, i] of lastUse) {
      if (!fedSet.has(name) && name !== target && !this.values.get(name)?.host) frees[i]!.push(name)
    }
    const schedule = { steps, frees }
    this.schedules.set(key, schedule)
    return schedule
  }
}

/** One message naming every node whose operator Ortholens cannot run. */
function unsupported(
  nodes: OnnxNodeDef[],
  opset: number,
  registry: OperatorRegistry
): OnnxImportError {
  const listed = nodes.slice(0, 8).map((n) => describeNode(n, opset))
  const more = nodes.length > 8 ? ` and ${nodes.length - 8} more` : ''
  const ops = [...new Set(nodes.map((n) => (n.domain === '' ? n.op : `${n.domain}.${n.op}`)))]
  return new OnnxImportError(
    `Operator${ops.length > 1 ? 's' : ''} ${ops.join(', ')} ${ops.length > 1 ? 'are' : 'is'} not supported: ${listed.join('; ')}${more}. ` +
      `Ortholens runs these standard ONNX operators: ${registry.names().join(', ')}`
  )
}
