/**
 * The single entry point to TensorFlow.js for the whole engine. Importing `tf` from here
 * (never from '@tensorflow/tfjs' directly) guarantees that the wasm backend is registered
 * and that the project's second-order-correct gradients are installed before any op runs.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import './gradients'

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
