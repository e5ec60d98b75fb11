/**
 * d exp(x) = exp(x) dx. The stock gradient multiplies by the SAVED OUTPUT, whose tape node
 * is recorded before the Exp node itself, so at second order the path through it is lost
 * (tfjs issue #3252). Recomputing exp(x) from the saved input keeps the graph connected.
 */
import { tf } from '../tf'

export const expGradConfig: tf.GradConfig = {
  kernelName: tf.Exp,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved
    return { x: () => tf.mul(dy as tf.Tensor, tf.exp(x)) }
  }
}
