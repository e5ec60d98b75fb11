/**
 * A Keras/TensorFlow.js Layers topology (Sequential, or a functional graph that is a chain
 * with residual Add blocks) as our declarative ModelArchitecture plus its weights. Layers
 * Ortholens cannot run exactly, or could not differentiate, are refused in one error listing
 * every one of them, rather than imported approximately. The work is split by job: reading
 * the topology (topology.ts), converting each layer (kerasLayers.ts), checking shapes
 * (shapes.ts), collecting weights (weights.ts).
 */
import type { LayerDef, ModelArchitecture } from '../architecture'
import type { SerializedWeights } from '../network'
import type { DecodedWeight } from './files'
import { LayersFormatError } from './files'
import { convertKerasLayer, SUPPORTED_SUMMARY, type ConvertEnv } from './kerasLayers'
import { checkShapes } from './shapes'
import { chainItems, type Item, parseTopology, resolveInputShape } from './topology'
import { collectWeights } from './weights'

export interface ConvertOptions {
  /** Fills input dimensions the model leaves open (null), e.g. from the target dataset. */
  inputShape?: [number, number, number]
  /** Named in messages. */
  source: string
}

export interface Converted {
  architecture: ModelArchitecture
  weights: SerializedWeights
  warnings: string[]
}

/** Converts a parsed model.json topology and its decoded weights. */
export function convertTopology(
  topology: unknown,
  decoded: DecodedWeight[],
  options: ConvertOptions
): Converted {
  const where = options.source
  const { layers, input, output, sequential } = parseTopology(topology, where)
  const warnings: string[] = []
  const problems: string[] = []
  const inputLayer = layers.find((l) => l.name === input)
  const inputShape = resolveInputShape(inputLayer?.config ?? {}, options.inputShape, where)
  const items: Item[] = sequential
    ? layers.filter((l) => l.className !== 'InputLayer')
    : chainItems(layers, input, output, where)

  const names = new Set(layers.map((l) => l.name))
  const env: Omit<ConvertEnv, 'isLast' | 'isFirst'> = {
    warnings,
    bnFlags: new Map(),
    extraName: (base, suffix) => {
      let n = `${base}_${suffix}`
      for (let i = 1; names.has(n); i++) n = `${base}_${suffix}_${i}`
      names.add(n)
      return n
    }
  }
  let first = true
  const convert = (list: Item[], top: boolean): LayerDef[] => {
    const out: LayerDef[] = []
    list.forEach((item, i) => {
      if ('add' in item) {
        first = false
        out.push({
          kind: 'residual',
          name: item.add.name,
          body: convert(item.body, false),
          shortcut: convert(item.shortcut, false)
        })
        return
      }
      const defs = convertKerasLayer(item, {
        ...env,
        isLast: top && i === list.length - 1,
        isFirst: first
      })
      first = false
      if (typeof defs === 'string') problems.push(`${item.name} (${item.className}): ${defs}`)
      else out.push(...defs)
    })
    return out
  }
  const defs = convert(items, true)
  if (problems.length > 0) {
    throw new LayersFormatError(
      `${where} uses layers Ortholens cannot import:\n  ${problems.join('\n  ')}\nSupported: ${SUPPORTED_SUMMARY}`
    )
  }
  if (defs.length === 0) throw new LayersFormatError(`${where} has no layers to import`)
  const outShape = checkShapes(defs, inputShape, where)
  if (outShape.length !== 1) {
    throw new LayersFormatError(
      `${where}: the model outputs shape [${outShape.join(', ')}], expected a vector of class scores`
    )
  }
  const numClasses = outShape[0]!
  if (numClasses < 2)
    throw new LayersFormatError(
      `${where}: the model has ${numClasses} output; a classifier needs >= 2`
    )
  const architecture: ModelArchitecture = {
    format: 1,
    arch: 'imported',
    inputShape,
    numClasses,
    layers: defs
  }
  const weights = collectWeights(defs, decoded, env.bnFlags, where, warnings)
  return { architecture, weights, warnings }
}
