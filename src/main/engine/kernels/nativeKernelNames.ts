/**
 * Names of this project's own kernels (all native but FlipFilter, a plain permutation, and
 * SignStep, a plain element-wise loop): the
 * kernels under kernels/own/ and the gradients that run them share these.
 */
/** Training-mode batch norm: inputs x, gamma, beta; outputs y, mean, variance (attr epsilon). */
export const BatchNormTrain = 'OrthoLensBatchNormTrain'
/**
 * The same with a ReLU after it, in the same pass. Its own name because its gradient keeps the
 * output y (for ReLU's mask), which the plain batch norm's must not hold on to.
 */
export const BatchNormTrainRelu = 'OrthoLensBatchNormTrainRelu'
/** Its gradient: inputs dy, x, gamma, mean, variance; outputs dx, dgamma, dbeta (attr epsilon). */
export const BatchNormTrainGrad = 'OrthoLensBatchNormTrainGrad'
/**
 * The gradient of BatchNormTrainGrad (second order): inputs a, p, q (upstream gradients of
 * dx, dgamma, dbeta), dy, x, gamma, mean, variance; outputs the gradients of dy, x, gamma.
 */
export const BatchNormTrainGradGrad = 'OrthoLensBatchNormTrainGradGrad'
/** y = x * scale + shift per channel, then ReLU when attr relu: inputs x, scale, shift. */
export const ChannelAffine = 'OrthoLensChannelAffine'
/** Its input gradient dx = dy * scale * [y > 0 when relu]: inputs dy, y, scale (attr relu). */
export const ChannelAffineGrad = 'OrthoLensChannelAffineGrad'
/**
 * A convolution and the per-channel affine map (plus a residual, then ReLU) after it, one
 * native pass (ops/convAffine): inputs x, filter, scale, shift and optionally residual; attrs
 * strides, pad, relu. Inference-mode conv + batch norm (+ shortcut) (+ ReLU), or conv + bias
 * (+ ReLU).
 */
export const ConvAffine = 'OrthoLensConvAffine'
/** ReLU's gradient dx = dy * [x > 0]: inputs dy, x. */
export const ReluGrad = 'OrthoLensReluGrad'
/** A filter [kh, kw, ci, co] flipped in space with its channel axes swapped: [kh, kw, co, ci]. */
export const FlipFilter = 'OrthoLensFlipFilter'
/**
 * One L∞ attack step, sign, step and projection in one pass (ops/signStep): inputs x, g, x0
 * and optionally w; attrs stepSize, epsilon. clip(min(max(x + α·sign(g)[·w], x0 − ε), x0 + ε), 0, 1).
 */
export const SignStep = 'OrthoLensSignStep'
