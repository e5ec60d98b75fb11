/**
 * The output shape of converted stages, checking what only shapes can tell (a Dense layer on
 * a map, a pool larger than its input, residual branches that disagree), with messages that
 * name the layer.
 */
import type { LayerDef } from '../architecture'
import { LayersFormatError } from './files'

/** TensorFlow's window output size: 'same' = ceil(n / stride). */
function out(n: number, size: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - size) / stride) + 1
}

export function checkShapes(layers: LayerDef[], input: number[], where: string): number[] {
  let shape = [...input]
  for (const l of layers) {
    const fail = (why: string): never => {
      throw new LayersFormatError(`${where}: layer ${l.name}: ${why} (input [${shape.join(', ')}])`)
    }
    const map = (what: string): [number, number, number] => {
      if (shape.length !== 3) fail(`${what} needs a feature map`)
      return shape as [number, number, number]
    }
    switch (l.kind) {
      case 'conv':
      case 'depthwise':
      case 'separable': {
        const [h, w, c] = map('a convolution')
        const o = (n: number) => out(n, l.kernel, l.stride, l.padding)
        if (o(h) < 1 || o(w) < 1) fail('the input is smaller than the kernel')
        const channels = l.kind === 'depthwise' ? c * l.multiplier : l.filters
        shape = [o(h), o(w), channels]
        break
      }
      case 'dense':
        if (shape.length !== 1)
          fail('Dense on a feature map (without Flatten or global pooling) is not supported')
        shape = [l.units]
        break
      case 'maxpool':
      case 'avgpool': {
        const [h, w, c] = map('pooling')
        const o = (n: number) => out(n, l.size, l.stride, l.padding ?? 'valid')
        if (o(h) < 1 || o(w) < 1) fail('the input is smaller than the pool')
        shape = [o(h), o(w), c]
        break
      }
      case 'zeropad': {
        const [h, w, c] = map('padding')
        shape = [h + l.pads[0] + l.pads[1], w + l.pads[2] + l.pads[3], c]
        break
      }
      case 'gap':
      case 'gmp':
        shape = [map('global pooling')[2]]
        break
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)]
        break
      case 'residual': {
        const body = checkShapes(l.body, shape, where)
        const short = checkShapes(l.shortcut, shape, where)
        if (body.join('x') !== short.join('x'))
          fail(`the branches give [${body.join(', ')}] and [${short.join(', ')}]`)
        shape = body
        break
      }
      default:
        break
    }
  }
  return shape
}
