/**
 * One L∞ attack step: Π(x + α · strictSign(g) [⊙ w]), with Π the projection onto the ε-ball
 * around x0 and then onto [0, 1] (attacks/base's projectToBall). Every attack whose direction
 * is the sign of its gradient (FGSM, I-FGSM, PGD) takes it each iteration.
 *
 * On wasm and cpu it is one kernel (kernels/own/SignStep.ts) instead of 14 and their
 * intermediate tensors: the per-call cost of those small kernels was ~2.5 ms of a cnn PGD
 * iteration's ~35 ms at batch 64. Elsewhere (tensorflow), or for a weight that does not
 * broadcast over the batch, the same arithmetic as ops. Both give the same bits.
 */
import { tf, type Tensor4D } from '../tf'
import { strictSign } from './sign'
import { SignStep } from '../kernels/nativeKernelNames'
import { NATIVE_BACKENDS } from '../kernels/nativeKernels'

/** Π(x + α·sign(g) [⊙ w]) as separate ops: the reference for the fused kernel. */
export function signStepOps(
  x: Tensor4D,
  g: Tensor4D,
  x0: Tensor4D,
  stepSize: number,
  epsilon: number,
  weight?: Tensor4D
): Tensor4D {
  return tf.tidy(() => {
    let direction: Tensor4D = strictSign(g)
    if (weight) direction = tf.mul(direction, weight)
    const moved = tf.add(x, tf.mul(direction, stepSize))
    return tf.clipByValue(
      tf.minimum(tf.maximum(moved, tf.sub(x0, epsilon)), tf.add(x0, epsilon)),
      0,
      1
    ) as Tensor4D
  })
}

/** Whether `weight` multiplies g element-wise or as one image repeated over the batch. */
function weightFits(x: Tensor4D, weight: Tensor4D | undefined): boolean {
  if (!weight) return true
  const same = weight.shape.every((d, i) => d === x.shape[i])
  const perImage =
    weight.shape[0] === 1 && weight.shape.slice(1).every((d, i) => d === x.shape[i + 1])
  return weight.rank === 4 && (same || perImage)
}

/** Π(x + α·strictSign(g) [⊙ w]): one L∞ signed-gradient step, projected. */
export function signStep(
  x: Tensor4D,
  g: Tensor4D,
  x0: Tensor4D,
  stepSize: number,
  epsilon: number,
  weight?: Tensor4D
): Tensor4D {
  const tensors = weight ? [x, g, x0, weight] : [x, g, x0]
  const fused =
    (NATIVE_BACKENDS as readonly string[]).includes(tf.getBackend()) &&
    tensors.every((t) => t.dtype === 'float32') &&
    g.shape.every((d, i) => d === x.shape[i]) &&
    x0.shape.every((d, i) => d === x.shape[i]) &&
    weightFits(x, weight)
  if (!fused) return signStepOps(x, g, x0, stepSize, epsilon, weight)
  const inputs: tf.NamedTensorMap = weight ? { x, g, x0, w: weight } : { x, g, x0 }
  return tf.engine().runKernel(SignStep, inputs, { stepSize, epsilon }) as Tensor4D
}
