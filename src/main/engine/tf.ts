/**
 * The single entry point to TensorFlow.js for the whole engine: import `tf` from here, never
 * from '@tensorflow/tfjs' directly. Importing it changes nothing: the project's kernels and
 * gradients are installed by installEngine() (engine/install.ts), which initBackend() calls.
 */
import * as tf from '@tensorflow/tfjs'

export { tf }
export type {
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Variable
} from '@tensorflow/tfjs'
