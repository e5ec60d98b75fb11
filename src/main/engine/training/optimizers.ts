/**
 * The optimisers a training may use, behind one small interface the training step calls.
 *
 * - `adam`: TensorFlow.js's own Adam (what every model trained before these settings used;
 *   kept as is so their re-runs stay bit-identical). Its rate is read at each update, so a
 *   schedule can change it between epochs.
 * - `sgd`: torch.optim.SGD (PyTorch 1.13, `_single_tensor_sgd`) step for step, with dampening
 *   0 as He et al. 2016 train CIFAR ResNets (https://arxiv.org/abs/1512.03385, §4.2):
 *     d = g + wd·p                     weight decay is added to the gradient
 *     v = d (first step) | μ·v + d    the momentum buffer starts as the first gradient
 *     d = d + μ·v (Nesterov) | v
 *     p = p − lr·d
 *   Every trainable tensor decays, biases and batch-norm scales included, as PyTorch does
 *   when no parameter groups are given.
 *
 * Weight decay with Adam is PyTorch's Adam(weight_decay): L2 added to the gradient (not
 * AdamW's decoupled decay).
 */
import { tf, type Tensor, type Variable } from '../tf'
import type { NamedTensorMap } from '@tensorflow/tfjs'
import type { OptimizerName } from '../../../contract/names'

/** Gradients by variable name, as tf.variableGrads gives them (or tf's list form). */
export type Gradients = NamedTensorMap | { name: string; tensor: Tensor }[]

/** What a training step needs of an optimiser. tf's optimisers satisfy it too. */
export interface GradientApplier {
  applyGradients(grads: Gradients): void
}

function asMap(grads: Gradients): NamedTensorMap {
  return Array.isArray(grads) ? Object.fromEntries(grads.map((g) => [g.name, g.tensor])) : grads
}

/** An optimiser whose learning rate a schedule sets between epochs. */
export interface ParameterOptimizer extends GradientApplier {
  readonly name: OptimizerName
  learningRate: number
  dispose(): void
}

export interface OptimizerSettings {
  optimizer: OptimizerName
  learningRate: number
  /** SGD only. */
  momentum: number
  /** SGD only; needs momentum > 0. */
  nesterov: boolean
  weightDecay: number
}

/** Adds wd·p to each gradient (torch.optim's `weight_decay`); the caller disposes the result. */
function withWeightDecay(
  grads: NamedTensorMap,
  variables: ReadonlyMap<string, Variable>,
  weightDecay: number
): NamedTensorMap {
  const out: NamedTensorMap = {}
  for (const [name, g] of Object.entries(grads)) {
    const p = variableOf(variables, name)
    out[name] = tf.tidy(() => tf.add(g, tf.mul(p, weightDecay)))
  }
  return out
}

function variableOf(variables: ReadonlyMap<string, Variable>, name: string): Variable {
  const p = variables.get(name)
  if (!p) throw new Error(`Optimizer: a gradient names the unknown variable "${name}"`)
  return p
}

/** torch.optim.SGD with dampening 0 (see the file comment). */
export class SgdOptimizer implements ParameterOptimizer {
  readonly name = 'sgd' as const
  learningRate: number
  private readonly buffers = new Map<string, Variable>()
  private readonly variables: ReadonlyMap<string, Variable>

  constructor(
    variables: readonly Variable[],
    private readonly settings: Omit<OptimizerSettings, 'optimizer'>
  ) {
    if (settings.nesterov && settings.momentum <= 0)
      throw new RangeError('SGD: Nesterov momentum needs a momentum above 0')
    this.learningRate = settings.learningRate
    this.variables = new Map(variables.map((v) => [v.name, v]))
  }

  applyGradients(gradients: Gradients): void {
    const grads = asMap(gradients)
    const { momentum: mu, nesterov, weightDecay } = this.settings
    // Sorted names: the update of one tensor never depends on another's, but a fixed order
    // keeps the momentum buffers' creation (and so tf's variable ids) the same on every run.
    for (const name of Object.keys(grads).sort()) {
      const p = variableOf(this.variables, name)
      const g = grads[name]!
      tf.tidy(() => {
        let d: Tensor = weightDecay !== 0 ? tf.add(g, tf.mul(p, weightDecay)) : g
        if (mu !== 0) {
          let buf = this.buffers.get(name)
          if (!buf) {
            // PyTorch: buf = torch.clone(d_p).detach() on the first step.
            buf = tf.variable(d, false)
            this.buffers.set(name, buf)
          } else {
            buf.assign(tf.add(tf.mul(buf, mu), d))
          }
          d = nesterov ? tf.add(d, tf.mul(buf, mu)) : buf
        }
        p.assign(tf.sub(p, tf.mul(d, this.learningRate)))
      })
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose()
    this.buffers.clear()
  }
}

/** tf.train.adam, its rate settable between epochs, with optional L2 weight decay. */
export class AdamOptimizer implements ParameterOptimizer {
  readonly name = 'adam' as const
  private readonly inner: tf.AdamOptimizer
  private readonly variables: ReadonlyMap<string, Variable>

  constructor(
    variables: readonly Variable[],
    learningRate: number,
    private readonly weightDecay = 0
  ) {
    this.inner = tf.train.adam(learningRate)
    this.variables = new Map(variables.map((v) => [v.name, v]))
  }

  /** tfjs' Adam reads its `learningRate` field at every update (adam_optimizer.js). */
  get learningRate(): number {
    return (this.inner as unknown as { learningRate: number }).learningRate
  }

  set learningRate(value: number) {
    ;(this.inner as unknown as { learningRate: number }).learningRate = value
  }

  applyGradients(grads: Gradients): void {
    if (this.weightDecay === 0) {
      // tf types Adam's argument as a map of Variables; it reads them as plain tensors.
      this.inner.applyGradients(grads as never)
      return
    }
    const decayed = withWeightDecay(asMap(grads), this.variables, this.weightDecay)
    try {
      this.inner.applyGradients(decayed as never)
    } finally {
      tf.dispose(Object.values(decayed))
    }
  }

  dispose(): void {
    this.inner.dispose()
  }
}

/** The optimiser a training's settings name, over `variables` (the model's trainable ones). */
export function createOptimizer(
  variables: readonly Variable[],
  settings: OptimizerSettings
): ParameterOptimizer {
  if (settings.optimizer === 'sgd') return new SgdOptimizer(variables, settings)
  if (settings.optimizer === 'adam')
    return new AdamOptimizer(variables, settings.learningRate, settings.weightDecay)
  throw new RangeError(`Unknown optimizer "${String(settings.optimizer)}"`)
}
