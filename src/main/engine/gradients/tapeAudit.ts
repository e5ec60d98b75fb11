/**
 * Which kernels a double-backprop computation reaches, and whether each has a gradient that
 * is right at second order. Orthogonal training differentiates an input gradient (steps.ts):
 * every kernel recorded on the outer tape between the weights and the objective, whether it
 * ran in the forward pass or in the inner backward pass, is differentiated once more. A
 * missing gradient throws in tfjs, but a wrong one (a stock gradient that reuses a saved
 * output, tfjs issue #3252, or one computed outside the tape) silently gives a wrong
 * penalty gradient. So every kernel reached must be one of:
 *  - ours: its gradient is registered by this project (gradients/index.ts);
 *  - stock and vetted: tfjs's gradient is built from differentiable ops on the saved INPUTS
 *    only, listed below with the reason (tfjs-core 4.22's gradients/*_grad.ts);
 *  - a clone tfjs makes to save a tensor (identity gradient);
 *  - a zero-gradient customGrad of ours (ops/crossEntropy's stopGradient).
 * auditSecondOrder() walks the tape of one computation and names any other kernel; the test
 * test/main/engine/gradients/tapeAudit.test.ts runs it on one orthogonal step of every
 * architecture.
 */
import { tf } from '../tf'
import { ourGradientKernels } from './registry'

/**
 * Stock tfjs gradients that are correct at any order, each with why (the gradient as tfjs
 * 4.22 writes it, gradients/*_grad.ts, in terms of the saved inputs and the upstream dy).
 * `onlyThrough` names the inputs through which the gradient is right: the others must not
 * depend on the differentiated variables.
 */
export const STOCK_GRADIENTS_CORRECT_AT_ANY_ORDER: Readonly<
  Record<string, { why: string; onlyThrough?: string[] }>
> = {
  Add: { why: 'dy, reduced over broadcast axes (sum + reshape)' },
  Sub: { why: 'dy and -dy, reduced over broadcast axes' },
  Multiply: { why: 'dy*b and dy*a (saved inputs), reduced over broadcast axes' },
  RealDiv: { why: 'dy/b and -dy*a/b² (saved inputs), reduced over broadcast axes' },
  Neg: { why: '-dy' },
  Reshape: { why: 'dy reshaped back' },
  Cast: { why: 'dy cloned' },
  Identity: { why: 'dy' },
  Log: { why: 'dy / x (saved input)' },
  Log1p: { why: 'dy / (1 + x) (saved input)' },
  Sqrt: { why: 'dy / (2 sqrt(x)), recomputed from the saved input' },
  Rsqrt: { why: '-dy / (2 x^1.5), from the saved input through Pow with a constant exponent' },
  Pow: {
    why: "base: dy b a^(b-1) from the saved inputs; the exponent's gradient reuses the output",
    onlyThrough: ['a']
  },
  Square: { why: 'dy * 2x (saved input)' },
  Abs: { why: 'dy * step(x, -1): a piecewise-constant mask of the saved input' },
  Step: { why: 'zero (piecewise constant)' },
  ZerosLike: { why: 'zero' },
  BatchMatMul: { why: 'matMul of dy with the saved inputs, transposed' },
  Conv2DBackpropInput: {
    why: 'conv2d(ddx, filter) and Conv2DBackpropFilter(ddx, dy) of the saved inputs (both kernels have gradients)'
  },
  Transpose: { why: 'dy transposed by the inverse permutation' },
  Slice: { why: 'dy padded back into place' },
  PadV2: { why: 'the window of dy (a slice)' },
  Reverse: { why: 'dy reversed' },
  Pack: { why: 'dy unstacked' },
  Unpack: { why: 'the dys stacked' },
  Maximum: {
    why: 'dy masked by greaterEqual/less of the saved inputs (zero-gradient comparisons, Comparison_grad)'
  },
  Minimum: { why: 'dy masked by lessEqual/greater of the saved inputs (zero-gradient comparisons)' }
}

/** Scope names of our customGrad ops whose gradient is a constant zero (safe at any order). */
export const ZERO_GRADIENT_SCOPES: readonly string[] = ['stopGradient']

/** How each kernel on the path is covered; `uncovered` lists the kernels that are not. */
export interface SecondOrderAudit {
  /** Kernel (or scope) name -> how its gradient is covered, for every node on the path. */
  reached: Map<string, 'ours' | 'stock, vetted' | 'clone' | 'zero customGrad'>
  /** Kernels on the path with no second-order-correct gradient (empty when all is well). */
  uncovered: string[]
}

interface TapeNode {
  kernelName: string
  inputs: Record<string, tf.Tensor>
  outputs: tf.Tensor[]
}

/**
 * The nodes of `tape` that depend on any of xs (`reachable`), and among them those through
 * which y does (`path`: tfjs's own filter, tape.ts getFilteredNodesXToY, written out since it
 * is not exported).
 */
function nodesFrom(
  tape: TapeNode[],
  xs: tf.Tensor[],
  y: tf.Tensor
): { reachable: TapeNode[]; path: TapeNode[]; fromX: Set<number> } {
  const fromX = new Set(xs.map((x) => x.id))
  const reachable: TapeNode[] = []
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      reachable.push(node)
      for (const out of node.outputs) fromX.add(out.id)
    }
  }
  const forward = new Set(reachable)
  const toY = new Set([y.id])
  const path: TapeNode[] = []
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!
    if (!node.outputs.some((out) => toY.has(out.id))) continue
    for (const input of Object.values(node.inputs)) toY.add(input.id)
    if (forward.has(node)) path.push(node)
  }
  return { reachable, path: path.reverse(), fromX }
}

/** Whether the node's variable-dependent inputs are among those its stock gradient gets right. */
function onlyThroughAllowed(node: TapeNode, fromX: Set<number>): boolean {
  const allowed = STOCK_GRADIENTS_CORRECT_AT_ANY_ORDER[node.kernelName]?.onlyThrough
  return (
    !allowed ||
    Object.entries(node.inputs).every(([name, t]) => allowed.includes(name) || !fromX.has(t.id))
  )
}

/**
 * Runs `f` (which must return a scalar of `xs`, typically one orthogonal objective) under a
 * gradient tape, as the optimiser would, and classifies every kernel between xs and the
 * result. The gradients are computed (so the inner backward pass runs as in training) and
 * disposed.
 */
export function auditSecondOrder(f: () => tf.Scalar, xs: tf.Variable[]): SecondOrderAudit {
  let tape: TapeNode[] = []
  let result: tf.Scalar | undefined
  const { value, grads } = tf.variableGrads(() => {
    result = f()
    tape = (tf.engine() as unknown as { state: { activeTape: TapeNode[] } }).state.activeTape
    return result
  }, xs)
  const { reachable, path, fromX } = nodesFrom(tape, xs, result!)
  tf.dispose([value, ...Object.values(grads)])
  const ours = new Set(ourGradientKernels())
  const backend = tf.getBackend()
  const isKernel = (name: string) => tf.getKernel(name, backend) !== undefined || ours.has(name)
  const vetted = (node: TapeNode) =>
    node.kernelName in STOCK_GRADIENTS_CORRECT_AT_ANY_ORDER && onlyThroughAllowed(node, fromX)
  const isClone = (node: TapeNode) =>
    Object.keys(node.inputs).join() === 'x' && node.outputs.length === 1
  const reached: SecondOrderAudit['reached'] = new Map()
  const uncovered = new Set<string>()
  for (const node of path) {
    const name = node.kernelName
    if (isKernel(name) && ours.has(name)) reached.set(name, 'ours')
    else if (isKernel(name) && vetted(node)) reached.set(name, 'stock, vetted')
    else if (!isKernel(name) && isClone(node)) reached.set(name, 'clone')
    else if (!isKernel(name) && ZERO_GRADIENT_SCOPES.includes(name))
      reached.set(name, 'zero customGrad')
    else uncovered.add(isKernel(name) ? name : `customGrad in scope "${name}"`)
  }
  // A gradient that reuses a saved output, or a customGrad's, cuts the tape (the saved copy
  // is made before the node that produced it is recorded): the kernel then drops out of the
  // path above although x's influence runs through it. So look at every node x reaches.
  for (const node of reachable) {
    const name = node.kernelName
    if (
      isKernel(name) &&
      !ours.has(name) &&
      !vetted(node) &&
      tf.getGradient(name)?.outputsToSave?.some(Boolean)
    ) {
      uncovered.add(`${name} (its stock gradient reuses a saved output)`)
    } else if (!isKernel(name) && !isClone(node) && !ZERO_GRADIENT_SCOPES.includes(name)) {
      uncovered.add(`customGrad in scope "${name}"`)
    }
  }
  return { reached, uncovered: [...uncovered].sort() }
}
