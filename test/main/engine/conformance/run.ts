/**
 * What the engine computes for each conformance case (cases.ts), on the current backend:
 * named outputs, the same ones scripts/conformance/reference.py computes in float64.
 */
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '../../../../src/main/engine/tf'
import { batchNormTrain } from '../../../../src/main/engine/ops/batchNorm'
import { channelAffine } from '../../../../src/main/engine/ops/channelAffine'
import { softmaxCrossEntropy } from '../../../../src/main/engine/ops/crossEntropy'
import { cosinePerSample, penaltyOf } from '../../../../src/main/engine/training/penalty'
import { inputGradient, objective } from '../../../../src/main/engine/training/steps'
import { buildModel, type Network } from '../../../../src/main/engine/models'
import { checkAttackConfig, getAttack } from '../../../../src/main/engine/attacks'
import { attackStep, isLoopAttack } from '../../../../src/main/engine/attacks/base'
import { attackLoss } from '../../../../src/main/engine/attacks/loss'
import { createRng } from '../../../../src/main/engine/attacks/random'
import type { Classifier } from '../../../../src/main/engine/models/types'
import { getDefense } from '../../../../src/main/engine/defenses'
import type { ArrayInput, Case, ModelCase, OpCase } from './cases'

export type Outputs = Record<string, Float32Array>

const t = (a: ArrayInput): Tensor => tf.tensor(a.data, a.shape, 'float32')
const read = (ts: Record<string, Tensor>): Outputs =>
  Object.fromEntries(Object.entries(ts).map(([k, v]) => [k, Float32Array.from(v.dataSync())]))

function conv(c: OpCase): Outputs {
  return tf.tidy(() => {
    const [x, w, dy, v] = ['x', 'w', 'dy', 'v'].map((k) => t(c.inputs[k]!)) as [
      Tensor4D,
      Tensor4D,
      Tensor4D,
      Tensor4D
    ]
    const { stride, pad, dilation } = c.params as {
      stride: number
      pad: 'same' | 'valid'
      dilation: number
    }
    const f = (xx: Tensor, ww: Tensor) =>
      tf.conv2d(xx as Tensor4D, ww as Tensor4D, stride, pad, 'NHWC', dilation)
    const loss = (xx: Tensor, ww: Tensor) => tf.sum(tf.mul(f(xx, ww), dy))
    const [dx, dw] = tf.grads(loss)([x, w])
    // Second order: d/dw <v, d/dx loss> runs through the input gradient's own gradient.
    const dwdx = tf.grad((ww: Tensor) =>
      tf.sum(tf.mul(v, tf.grad((xx: Tensor) => loss(xx, ww))(x)))
    )(w)
    return read({ y: f(x, w), dx: dx!, dw: dw!, dwdx })
  })
}

function pool(c: OpCase): Outputs {
  return tf.tidy(() => {
    const [x, dy] = [t(c.inputs.x!), t(c.inputs.dy!)] as [Tensor4D, Tensor4D]
    const { k, s, pad } = c.params as { k: number; s: number; pad: 'same' | 'valid' }
    const f = (xx: Tensor) =>
      c.op === 'maxPool'
        ? tf.maxPool(xx as Tensor4D, k, s, pad)
        : tf.avgPool(xx as Tensor4D, k, s, pad)
    return read({ y: f(x), dx: tf.grad((xx: Tensor) => tf.sum(tf.mul(f(xx), dy)))(x) })
  })
}

function batchNormTraining(c: OpCase): Outputs {
  return tf.tidy(() => {
    const [x, gamma, beta, dy, a, p, q] = ['x', 'gamma', 'beta', 'dy', 'a', 'p', 'q'].map((k) =>
      t(c.inputs[k]!)
    )
    const eps = c.params.epsilon as number
    const r = batchNormTrain(x!, gamma!, beta!, eps)
    const first = (dyy: Tensor, xx: Tensor, gg: Tensor) =>
      tf.grads((x2: Tensor, g2: Tensor, b2: Tensor) =>
        tf.sum(tf.mul(batchNormTrain(x2, g2, b2, eps).y, dyy))
      )([xx, gg, beta!])
    const [dx, dgamma, dbeta] = first(dy!, x!, gamma!)
    // Second order: the gradient of <a, dx> + <p, dgamma> + <q, dbeta> w.r.t. dy, x, gamma.
    const [ddy, ddx, ddgamma] = tf.grads((dyy: Tensor, xx: Tensor, gg: Tensor) => {
      const [gx, ggm, gb] = first(dyy, xx, gg)
      return tf.addN([tf.sum(tf.mul(a!, gx!)), tf.sum(tf.mul(p!, ggm!)), tf.sum(tf.mul(q!, gb!))])
    })([dy!, x!, gamma!])
    return read({
      y: r.y,
      mean: r.mean,
      variance: r.variance,
      dx: dx!,
      dgamma: dgamma!,
      dbeta: dbeta!,
      ddy: ddy!,
      ddx: ddx!,
      ddgamma: ddgamma!
    })
  })
}

/** As models/network.ts folds it: x * scale + shift (+ ReLU), scale = gamma / sqrt(var + eps). */
function batchNormInference(c: OpCase): Outputs {
  return tf.tidy(() => {
    const [x, mean, variance, gamma, beta, dy] = [
      'x',
      'mean',
      'variance',
      'gamma',
      'beta',
      'dy'
    ].map((k) => t(c.inputs[k]!))
    const scale = tf.mul(tf.rsqrt(tf.add(variance!, c.params.epsilon as number)), gamma!)
    const shift = tf.sub(beta!, tf.mul(mean!, scale))
    const f = (xx: Tensor) => channelAffine(xx, scale, shift, c.params.relu as boolean)
    return read({ y: f(x!), dx: tf.grad((xx: Tensor) => tf.sum(tf.mul(f(xx), dy!)))(x!) })
  })
}

function crossEntropy(c: OpCase): Outputs {
  return tf.tidy(() => {
    const logits = t(c.inputs.logits!) as Tensor2D
    const labels = tf.cast(t(c.inputs.labels!), 'int32') as Tensor1D
    const v = t(c.inputs.v!)
    const total = (l: Tensor) => tf.sum(softmaxCrossEntropy(l as Tensor2D, labels, 'none'))
    const hvp = tf.grad((l: Tensor) => tf.sum(tf.mul(v, tf.grad(total)(l))))(logits)
    return read({
      loss: softmaxCrossEntropy(logits, labels, 'none'),
      grad: tf.grad(total)(logits),
      hvp
    })
  })
}

function penalty(c: OpCase): Outputs {
  return tf.tidy(() => {
    const [g1, g2] = [t(c.inputs.g1!), t(c.inputs.g2!)]
    const form = c.params.form as 'signed' | 'absolute' | 'squared'
    const p = (gg: Tensor) => penaltyOf(cosinePerSample(g1, gg), form)
    return read({ penalty: p(g2), grad: tf.grad(p)(g2) })
  })
}

/** The attack cases' classifier: dense(flatten(relu(conv3x3 'same'(x) + b))) + b. */
function attackClassifier(c: OpCase): Classifier & { dispose(): void } {
  const [k, kb, d, db] = ['convKernel', 'convBias', 'denseKernel', 'denseBias'].map((key) =>
    tf.keep(t(c.inputs[key]!))
  )
  const [, h, w, ch] = c.inputs.x!.shape as [number, number, number, number]
  return {
    id: 'conformance',
    name: 'conformance',
    inputShape: [h, w, ch],
    numClasses: 10,
    predictLogits: (x: Tensor4D) =>
      tf.tidy(() => {
        const hidden = tf.relu(tf.add(tf.conv2d(x, k as Tensor4D, 1, 'same'), kb!))
        return tf.add(
          tf.matMul(tf.reshape(hidden, [x.shape[0], -1]) as Tensor2D, d as Tensor2D),
          db!
        ) as Tensor2D
      }),
    dispose: () => tf.dispose([k!, kb!, d!, db!])
  }
}

/** The attack's steps from its stepper and the base's attackStep, with the case's own start. */
function attack(c: OpCase): Outputs {
  const model = attackClassifier(c)
  const def = getAttack(c.params.attack as string)
  if (isLoopAttack(def)) throw new Error(`${def.id} runs its own loop`)
  const { epsilon, steps, decay, stepSize } = c.params as {
    epsilon: number
    steps: number
    decay: number
    stepSize: number
  }
  const cfg = checkAttackConfig(def, {
    epsilon,
    ...(def.id === 'fgsm' ? {} : { steps, stepSize }),
    ...(def.id === 'mifgsm' ? { decay } : {})
  })
  const stepper = def.createStepper(cfg, createRng(0))
  const x0 = t(c.inputs.x!) as Tensor4D
  const labels = tf.cast(t(c.inputs.labels!), 'int32') as Tensor1D
  let x = tf.tidy(
    () =>
      tf.clipByValue(c.inputs.start ? tf.add(x0, t(c.inputs.start)) : x0.clone(), 0, 1) as Tensor4D
  )
  for (let i = 0; i < cfg.steps; i++) {
    const next = tf.tidy(() =>
      attackStep(
        stepper,
        x,
        tf.grad((xx: Tensor) => attackLoss(model.predictLogits(xx as Tensor4D), labels))(
          x
        ) as Tensor4D,
        x0,
        cfg
      )
    )
    x.dispose()
    x = next
  }
  const out = read({ images: x })
  stepper.dispose()
  model.dispose()
  tf.dispose([x, x0, labels])
  return out
}

function defense(c: OpCase): Outputs {
  const id = c.op === 'jpeg' ? 'jpeg' : c.op
  const value = Number(Object.values(c.params)[0])
  return tf.tidy(() => read({ images: getDefense(id).apply(t(c.inputs.x!) as Tensor4D, value) }))
}

/** The reference K and model M of a model case (the caller disposes them). */
export function modelsOf(c: ModelCase): { reference: Network; net: Network } {
  return {
    reference: buildModel(c.arch, c.shape, c.classes, { seed: c.referenceSeed }),
    net: buildModel(c.arch, c.shape, c.classes, { seed: c.modelSeed })
  }
}

/** Sum of every weight of K and M (float64): checked against the fixture's. */
export function weightChecksum(reference: Network, net: Network): number {
  let s = 0
  for (const n of [reference, net]) for (const v of n.exportWeights().data) s += v
  return s
}

function model(c: ModelCase): Outputs & { weightChecksum: Float32Array } {
  const { reference, net } = modelsOf(c)
  const x = t(c.inputs.x!) as Tensor4D
  const labels = tf.cast(t(c.inputs.labels!), 'int32') as Tensor1D
  const g1 = inputGradient(reference, x, labels)
  const { value, grads } = tf.variableGrads(
    () =>
      objective(net, x, labels, [], { reference, lambda: c.params.lambda, form: c.params.form, g1 })
        .total,
    net.trainableVariables()
  )
  const out: Outputs = {
    objective: Float32Array.from(value.dataSync()),
    g1: Float32Array.from(g1.dataSync())
  }
  for (const v of net.trainableVariables())
    out[`grad ${v.name.split('/').slice(1, -1).join('/')}`] = Float32Array.from(
      grads[v.name]!.dataSync()
    )
  const checksum = Float32Array.of(weightChecksum(reference, net))
  tf.dispose([value, ...Object.values(grads), x, labels, g1])
  reference.dispose()
  net.dispose()
  return { ...out, weightChecksum: checksum }
}

/** Runs one case on the current backend. */
export function runCase(c: Case): Outputs {
  switch (c.op) {
    case 'conv':
      return conv(c)
    case 'maxPool':
    case 'avgPool':
      return pool(c)
    case 'batchNormTrain':
      return batchNormTraining(c)
    case 'batchNormInference':
      return batchNormInference(c)
    case 'crossEntropy':
      return crossEntropy(c)
    case 'penalty':
      return penalty(c)
    case 'attack':
      return attack(c)
    case 'jpeg':
    case 'bitDepth':
    case 'tvm':
    case 'bilateral':
      return defense(c)
    case 'model':
      return model(c as ModelCase)
  }
}
