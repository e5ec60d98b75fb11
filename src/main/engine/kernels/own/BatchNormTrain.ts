/**
 * Training-mode batch norm on the native kernels (wasm and cpu): the forward pass
 * (BatchNormTrain), its gradient (BatchNormTrainGrad) and that gradient's gradient
 * (BatchNormTrainGradGrad, for orthogonal training), one pass or two over the activations
 * each (kernels/native/batchnorm.cc). ops/batchNorm runs them only while the native kernels
 * are active, so they have no stock fallback; gradients/BatchNormTrain_grad ties them together.
 */
import {
  BatchNormTrain,
  BatchNormTrainGrad,
  BatchNormTrainGradGrad,
  BatchNormTrainRelu
} from '../nativeKernelNames'
import {
  channelDims,
  computeMany,
  NATIVE_BACKENDS,
  needNative,
  type NativeBackend
} from '../nativeKernels'
import type { MultiKernelFn, OurKernelConfig, TensorInfo } from '../registry'

function batchNormTrainKernel(backendName: NativeBackend, relu: boolean): MultiKernelFn {
  return ({ inputs, attrs, backend }) => {
    const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }
    const native = needNative(backendName, backend, BatchNormTrain, [x, gamma, beta])
    const dims = channelDims(BatchNormTrain, x, [gamma, beta])
    const c = [dims[1]!]
    return computeMany(
      backendName,
      backend,
      [x, gamma, beta],
      [x.shape, c, c],
      ([xv, gv, bv], [y, mean, variance]) =>
        native.batchNormForward(
          xv!,
          gv!,
          bv!,
          y!,
          mean!,
          variance!,
          dims,
          attrs.epsilon as number,
          relu
        )
    )
  }
}

function batchNormTrainGradKernel(backendName: NativeBackend): MultiKernelFn {
  return ({ inputs, attrs, backend }) => {
    const { dy, x, gamma, mean, variance } = inputs as Record<
      'dy' | 'x' | 'gamma' | 'mean' | 'variance',
      TensorInfo
    >
    const native = needNative(backendName, backend, BatchNormTrainGrad, [
      dy,
      x,
      gamma,
      mean,
      variance
    ])
    if (dy.shape.join() !== x.shape.join())
      throw new Error(`batch norm gradient: dy is [${dy.shape}], x is [${x.shape}]`)
    const dims = channelDims(BatchNormTrainGrad, x, [gamma, mean, variance])
    const c = [dims[1]!]
    return computeMany(
      backendName,
      backend,
      [dy, x, gamma, mean, variance],
      [x.shape, c, c],
      ([dyv, xv, gv, mv, vv], [dx, dgamma, dbeta]) =>
        native.batchNormBackward(
          dyv!,
          xv!,
          gv!,
          mv!,
          vv!,
          dx!,
          dgamma!,
          dbeta!,
          dims,
          attrs.epsilon as number
        )
    )
  }
}

function batchNormTrainGradGradKernel(backendName: NativeBackend): MultiKernelFn {
  return ({ inputs, attrs, backend }) => {
    const names = ['a', 'p', 'q', 'dy', 'x', 'gamma', 'mean', 'variance'] as const
    const t = names.map((name) => (inputs as Record<string, TensorInfo>)[name]!)
    const [a, p, q, dy, x, gamma, mean, variance] = t as [
      TensorInfo,
      TensorInfo,
      TensorInfo,
      TensorInfo,
      TensorInfo,
      TensorInfo,
      TensorInfo,
      TensorInfo
    ]
    const native = needNative(backendName, backend, BatchNormTrainGradGrad, t)
    if (dy.shape.join() !== x.shape.join() || a.shape.join() !== x.shape.join()) {
      throw new Error(
        `${BatchNormTrainGradGrad}: a is [${a.shape}], dy [${dy.shape}], x [${x.shape}]`
      )
    }
    const dims = channelDims(BatchNormTrainGradGrad, x, [p, q, gamma, mean, variance])
    const c = [dims[1]!]
    return computeMany(backendName, backend, t, [x.shape, x.shape, c], (v, [ddy, ddx, ddgamma]) =>
      native.batchNormDoubleBackward(
        v[0]!,
        v[1]!,
        v[2]!,
        v[3]!,
        v[4]!,
        v[5]!,
        v[6]!,
        v[7]!,
        ddy!,
        ddx!,
        ddgamma!,
        dims,
        attrs.epsilon as number
      )
    )
  }
}

export const batchNormTrainKernelConfigs: OurKernelConfig[] = NATIVE_BACKENDS.flatMap(
  (backendName) => [
    {
      kernelName: BatchNormTrain,
      backendName,
      make: () => batchNormTrainKernel(backendName, false)
    },
    {
      kernelName: BatchNormTrainRelu,
      backendName,
      make: () => batchNormTrainKernel(backendName, true)
    },
    {
      kernelName: BatchNormTrainGrad,
      backendName,
      make: () => batchNormTrainGradKernel(backendName)
    },
    {
      kernelName: BatchNormTrainGradGrad,
      backendName,
      make: () => batchNormTrainGradGradKernel(backendName)
    }
  ]
)
