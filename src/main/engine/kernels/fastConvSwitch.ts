/**
 * Switch between the project's conv-gradient decomposition (forward convolutions, which
 * XNNPACK makes fast on wasm and which stay differentiable at second order) and the stock
 * tfjs Conv2DBackpropInput / Conv2DBackpropFilter kernels. On by default; the environment
 * variable ORTHOLENS_FAST_KERNELS=0 or setFastConvGradients(false) turns it off, so the
 * benchmark can compare the two.
 */
import { tf } from '../tf'

let enabled = process.env.ORTHOLENS_FAST_KERNELS !== '0'

/** Turns the forward-convolution decomposition of conv gradients on or off. */
export function setFastConvGradients(on: boolean): void {
  enabled = on
}

/** Whether conv gradients use the decomposition on the current backend. */
export function fastConvGradientsActive(): boolean {
  // Native TensorFlow has fast, second-order-capable backprop kernels of its own.
  return enabled && tf.getBackend() !== 'tensorflow'
}
