/**
 * Reading a Keras / TensorFlow.js Layers topology (Sequential, or a functional graph that is a
 * chain with residual Add blocks) into a list of layers and residual items, and its input shape.
 */
import { LayersFormatError } from './files'
import { HINTS } from './kerasLayers'
import type { KLayer } from './kLayer'

export type { KLayer } from './kLayer'

export type Item = KLayer | { add: KLayer; body: Item[]; shortcut: Item[] }

/** Layers, input and output names of a Sequential or functional topology. */
export function parseTopology(
  topology: unknown,
  where: string
): { layers: KLayer[]; input: string; output: string; sequential: boolean } {
  let top = topology as Record<string, unknown>
  if (top && typeof top === 'object' && 'model_config' in top)
    top = top.model_config as Record<string, unknown>
  const className = top?.class_name
  const config = top?.config as Record<string, unknown> | unknown[] | undefined
  if (typeof className !== 'string' || !config)
    throw new LayersFormatError(`${where}: modelTopology has no class_name/config`)
  const rawLayers = (Array.isArray(config) ? config : config.layers) as
    Record<string, unknown>[] | undefined
  if (!Array.isArray(rawLayers))
    throw new LayersFormatError(`${where}: modelTopology lists no layers`)
  if (className === 'Sequential') {
    const layers: KLayer[] = rawLayers.map((l, i) => {
      const cfg = (l.config ?? {}) as Record<string, unknown>
      return {
        className: String(l.class_name),
        name: String(cfg.name ?? `layer_${i}`),
        config: cfg,
        inbound: []
      }
    })
    const firstWithShape = layers.find((l) => l.config.batch_input_shape || l.config.batch_shape)
    return {
      layers,
      input: firstWithShape?.name ?? '',
      output: layers[layers.length - 1]?.name ?? '',
      sequential: true
    }
  }
  if (className !== 'Model' && className !== 'Functional') {
    throw new LayersFormatError(
      `${where}: model class "${className}" is not supported (Sequential or functional Model)`
    )
  }
  const cfg = config as Record<string, unknown>
  const layers: KLayer[] = rawLayers.map((l) => {
    const nodes = (l.inbound_nodes ?? []) as unknown[]
    const name = String(l.name ?? (l.config as Record<string, unknown>)?.name)
    if (nodes.length > 1) {
      throw new LayersFormatError(
        `${where}: layer ${name} is used ${nodes.length} times (shared layers are not supported)`
      )
    }
    return {
      className: String(l.class_name),
      name,
      config: (l.config ?? {}) as Record<string, unknown>,
      inbound: nodes.length === 0 ? [] : nodeInputs(nodes[0])
    }
  })
  const ends = (key: string): string[] =>
    ((cfg[key] ?? []) as unknown[]).map((e) => (Array.isArray(e) ? String(e[0]) : String(e)))
  const inputs = ends('input_layers')
  let outputs = ends('output_layers')
  // Keras 3 writes a single output as ["name", 0, 0] instead of [["name", 0, 0]].
  if (outputs.length === 3 && !Array.isArray((cfg.output_layers as unknown[])[0]))
    outputs = [outputs[0]!]
  const inputsFixed =
    inputs.length === 3 && !Array.isArray((cfg.input_layers as unknown[])[0])
      ? [inputs[0]!]
      : inputs
  if (inputsFixed.length !== 1 || outputs.length !== 1) {
    throw new LayersFormatError(
      `${where}: models with ${inputsFixed.length} inputs and ${outputs.length} outputs are not supported (one each)`
    )
  }
  return { layers, input: inputsFixed[0]!, output: outputs[0]!, sequential: false }
}

/** Inbound layer names of one node, in the tfjs/Keras 2 and the Keras 3 formats. */
function nodeInputs(node: unknown): string[] {
  if (Array.isArray(node)) return node.map((e) => String((e as unknown[])[0]))
  const args = ((node as Record<string, unknown>)?.args ?? []) as unknown[]
  const names: string[] = []
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit)
    else if (v && typeof v === 'object') {
      const history = ((v as Record<string, unknown>).config as Record<string, unknown> | undefined)
        ?.keras_history
      if (Array.isArray(history)) names.push(String(history[0]))
    }
  }
  args.forEach(visit)
  return names
}

/**
 * Walks the graph back from the output: a plain layer continues the chain, an Add splits it
 * into two branches that meet at their fork (the latest common ancestor). Every layer must be
 * on that path and only forks may feed two layers, otherwise the graph is not a chain.
 */
export function chainItems(layers: KLayer[], input: string, output: string, where: string): Item[] {
  const byName = new Map(layers.map((l) => [l.name, l]))
  const consumers = new Map<string, number>()
  for (const l of layers) for (const n of l.inbound) consumers.set(n, (consumers.get(n) ?? 0) + 1)
  const ancestorCache = new Map<string, Set<string>>()
  const ancestors = (name: string): Set<string> => {
    let set = ancestorCache.get(name)
    if (!set) {
      set = new Set([name])
      for (const n of byName.get(name)?.inbound ?? []) for (const a of ancestors(n)) set.add(a)
      ancestorCache.set(name, set)
    }
    return set
  }
  const visited = new Set<string>([input])
  const forks = new Map<string, number>()
  const notChain = (why: string): LayersFormatError =>
    new LayersFormatError(`${where}: the model graph is not a chain with residual blocks (${why})`)

  const walk = (to: string, from: string): Item[] => {
    const items: Item[] = []
    let n = to
    while (n !== from) {
      const k = byName.get(n)
      if (!k) throw notChain(`layer "${n}" is not defined`)
      if (visited.has(n)) throw notChain(`layer ${n} is reached twice`)
      visited.add(n)
      if (k.className === 'Add') {
        if (k.inbound.length !== 2) throw notChain(`Add ${n} has ${k.inbound.length} inputs, not 2`)
        const [a, b] = k.inbound as [string, string]
        const common = [...ancestors(a)].filter((x) => ancestors(b).has(x))
        if (common.length === 0) throw notChain(`the branches of ${n} never meet`)
        const fork = common.reduce((best, x) =>
          ancestors(x).size > ancestors(best).size ? x : best
        )
        forks.set(fork, (forks.get(fork) ?? 0) + 2)
        const ia = walk(a, fork)
        const ib = walk(b, fork)
        const [body, shortcut] = ia.length >= ib.length ? [ia, ib] : [ib, ia]
        items.unshift({ add: k, body, shortcut })
        n = fork
      } else {
        if (k.inbound.length === 0) throw notChain(`${n} is an input other than ${from}`)
        if (k.inbound.length > 1) {
          throw new LayersFormatError(
            `${where} uses layers Ortholens cannot import:\n  ${n} (${k.className}): ` +
              (HINTS[k.className] ?? 'only chains with residual Add blocks are supported')
          )
        }
        items.unshift(k)
        n = k.inbound[0]!
      }
    }
    return items
  }
  const items = walk(output, input)
  const missing = layers.filter((l) => !visited.has(l.name)).map((l) => l.name)
  if (missing.length > 0) throw notChain(`layers off the path: ${missing.join(', ')}`)
  for (const [name, count] of consumers) {
    const expected = (forks.get(name) ?? 0) > 0 ? 2 : 1
    if (count > expected) throw notChain(`${name} feeds ${count} layers`)
  }
  return items
}

export function resolveInputShape(
  config: Record<string, unknown>,
  given: [number, number, number] | undefined,
  where: string
): [number, number, number] {
  const raw = (config.batch_input_shape ?? config.batch_shape) as (number | null)[] | undefined
  if (!Array.isArray(raw)) {
    if (given) return given
    throw new LayersFormatError(
      `${where}: the model does not declare its input shape; import it against a dataset`
    )
  }
  const dims = raw.slice(1)
  if (dims.length !== 3) {
    throw new LayersFormatError(
      `${where}: the model input has shape [${dims.map((d) => d ?? '?').join(', ')}]; Ortholens needs images (height, width, channels)`
    )
  }
  const shape = dims.map((d, i) => {
    if (d === null || d === undefined || d < 0) {
      if (!given)
        throw new LayersFormatError(
          `${where}: the model input size is open ([${dims.map((x) => x ?? '?').join(', ')}]); import it against a dataset`
        )
      return given[i]!
    }
    return d
  })
  return shape as [number, number, number]
}
