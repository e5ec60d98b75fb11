/** Small ONNX graphs written with the engine's writer, for tests of import details and bad input. */
import {
  attr,
  floatTensor,
  intTensor,
  type ModelSpec,
  type NodeSpec
} from '../../../../../src/main/engine/models/onnx/writer'

/** Deterministic values in about [-0.5, 0.5]. */
export function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(seed * 1.3 + i * 0.77))
}

/** input [N, 2, 5, 5] → Conv 3x3 (pad 1) → Relu → GlobalAveragePool → Flatten → Gemm → 4 logits. */
export function tinyConv(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    opset: 17,
    nodes: [
      {
        op: 'Conv',
        name: 'conv',
        inputs: ['input', 'W', 'B'],
        outputs: ['c'],
        attributes: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])]
      },
      { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['r'], outputs: ['g'] },
      { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'FW', 'FB'], outputs: ['logits'] }
    ],
    initializers: [
      floatTensor('W', [3, 2, 3, 3], values(54, 1)),
      floatTensor('B', [3], values(3, 2)),
      floatTensor('FW', [3, 4], values(12, 3)),
      floatTensor('FB', [4], values(4, 4))
    ],
    inputs: [{ name: 'input', dims: ['N', 2, 5, 5] }],
    outputs: [{ name: 'logits', dims: ['N', 4] }],
    ...overrides
  }
}

/**
 * input [N, C, H, W] → `body` (reading 'input', writing 'y', a 4-D map) → GlobalAveragePool →
 * Flatten → Gemm to `classes` logits: a harness for one operator.
 */
export function around(
  body: NodeSpec[],
  inits: Record<string, unknown>[],
  input: [number, number, number],
  channelsOut: number,
  opset = 17,
  classes = 3
): ModelSpec {
  return {
    opset,
    nodes: [
      ...body,
      { op: 'GlobalAveragePool', name: 'gap', inputs: ['y'], outputs: ['g'] },
      { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'FW', 'FB'], outputs: ['logits'] }
    ],
    initializers: [
      ...inits,
      floatTensor('FW', [channelsOut, classes], values(channelsOut * classes, 9)),
      floatTensor('FB', [classes], values(classes, 8))
    ],
    inputs: [{ name: 'input', dims: ['N', ...input] }],
    outputs: [{ name: 'logits', dims: ['N', classes] }]
  }
}

export { attr, floatTensor, intTensor }
