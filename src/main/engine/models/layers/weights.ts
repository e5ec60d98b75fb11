/**
 * The weights of converted stages, in architecture order, found by Keras weight name
 * (`<layer>/<kernel|bias|depthwise_kernel|pointwise_kernel|gamma|…>`).
 */
import type { LayerDef } from '../architecture'
import type { SerializedWeights } from '../network'
import { type DecodedWeight, LayersFormatError } from './files'

export function collectWeights(
  layers: LayerDef[],
  decoded: DecodedWeight[],
  bnFlags: Map<string, { center: boolean; scale: boolean }>,
  where: string,
  warnings: string[]
): SerializedWeights {
  const byKey = new Map<string, DecodedWeight>()
  for (const w of decoded) {
    const parts = w.name.replace(/:\d+$/, '').split('/')
    if (parts.length >= 2) byKey.set(`${parts[parts.length - 2]}/${parts[parts.length - 1]}`, w)
  }
  const used = new Set<DecodedWeight>()
  const entries: { name: string; shape: number[]; data: Float32Array }[] = []
  const missing: string[] = []
  const take = (layer: string, suffix: string): void => {
    const w = byKey.get(`${layer}/${suffix}`)
    if (!w) {
      missing.push(`${layer}/${suffix}`)
      return
    }
    used.add(w)
    entries.push({ name: `${layer}/${suffix}`, shape: w.shape, data: w.data })
  }
  const constant = (name: string, like: string, value: number): void => {
    const ref = byKey.get(like)
    const c = ref?.shape[0] ?? 0
    entries.push({ name, shape: [c], data: new Float32Array(c).fill(value) })
  }
  const visit = (list: LayerDef[]): void => {
    for (const l of list) {
      switch (l.kind) {
        case 'conv':
        case 'dense':
          take(l.name, 'kernel')
          if (l.bias) take(l.name, 'bias')
          break
        case 'depthwise':
        case 'separable':
          take(l.name, 'depthwise_kernel')
          if (l.kind === 'separable') take(l.name, 'pointwise_kernel')
          if (l.bias) take(l.name, 'bias')
          break
        case 'batchnorm': {
          const flags = bnFlags.get(l.name) ?? { center: true, scale: true }
          // Constants stand in for what the layer lacks, so the model runs through our own
          // batch norm: tfjs' BatchNormalization with center/scale off cannot be differentiated.
          if (flags.scale) take(l.name, 'gamma')
          else constant(`${l.name}/gamma`, `${l.name}/moving_mean`, 1)
          if (flags.center) take(l.name, 'beta')
          else constant(`${l.name}/beta`, `${l.name}/moving_mean`, 0)
          take(l.name, 'moving_mean')
          take(l.name, 'moving_variance')
          break
        }
        case 'residual':
          visit(l.body)
          visit(l.shortcut)
          break
        default:
          break
      }
    }
  }
  visit(layers)
  if (missing.length > 0)
    throw new LayersFormatError(`${where}: the weights manifest lacks ${missing.join(', ')}`)
  const unused = decoded.filter((w) => !used.has(w)).map((w) => w.name)
  if (unused.length > 0)
    warnings.push(`weights not used by any imported layer: ${unused.join(', ')}`)
  const data = new Float32Array(entries.reduce((n, e) => n + e.data.length, 0))
  let offset = 0
  for (const e of entries) {
    data.set(e.data, offset)
    offset += e.data.length
  }
  return { manifest: entries.map(({ name, shape }) => ({ name, shape })), data }
}
