/**
 * An imported ONNX graph as an engine model: a StagedClassifier like the zoo's Network, so
 * predictions, attacks (as source and target), white-box evaluation, Grad-CAM / CAMERAS and
 * the reference of orthogonal training all work on it. Its weights are constant tensors (an
 * imported model is not trained further); its forward pass is plain tf ops, differentiable
 * with respect to the input. It takes NHWC images in [0, 1]; the declared preprocessing is
 * the first thing its forward pass does.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../../tf'
import type { SerializedWeights } from '../network'
import type { StagedClassifier } from '../types'
import { ConstantCache } from './context'
import { OnnxImportError } from './errors'
import type { OnnxGraphDef } from './graph'
import { BATCH, type Dim, type HostTensor } from './hostTensor'
import { relayout, type ValueInfo } from './layout'
import { ONNX_OPERATORS } from './ops'
import { Plan, recordingGradient, type PlanSource } from './plan'
import { affineOf, normalise, type OnnxPreprocessing } from './preprocessing'
import { cutStages, type Stage } from './stages'

/** How an imported ONNX model is stored in a project (the `architecture` JSON of the model). */
export interface OnnxArchitecture {
  format: 1
  arch: 'onnx'
  /** [height, width, channels] of the images it takes (NHWC, [0, 1]). */
  inputShape: [number, number, number]
  numClasses: number
  preprocessing: OnnxPreprocessing
  graph: OnnxGraphDef
  /** Where it came from, for the record. */
  source: { file: string; producer: string; opset: number; irVersion: number }
}

/** Whether a stored architecture JSON is an ONNX model's. */
export function isOnnxArchitecture(a: unknown): a is OnnxArchitecture {
  return typeof a === 'object' && a !== null && (a as { arch?: unknown }).arch === 'onnx'
}

/** The graph input as the model feeds it: the normalised NHWC batch, in ONNX terms. */
export function inputValue(p: OnnxPreprocessing, batch: Dim = BATCH): ValueInfo {
  const [h, w] = p.size
  return p.layout === 'NCHW'
    ? { shape: [batch, p.channels, h, w], layout: 'nhwc' }
    : { shape: [batch, h, w, p.channels], layout: 'plain' }
}

/**
 * The graph for one input size. Any batch size first; a file exported with a fixed batch B
 * whose constants bake B in (PyTorch folds zeros_like(x) to a [B, …] tensor) is built for
 * batch B instead, and run B images at a time (see OnnxModel.execute).
 */
export function buildPlan(source: PlanSource, p: OnnxPreprocessing, partial = false): Plan {
  let plan: Plan
  try {
    plan = new Plan(source, inputValue(p), { partial })
    if (!plan.buildError) return plan
  } catch (err) {
    const declared = source.graph.input.dims[0]
    if (!(err instanceof OnnxImportError) || typeof declared !== 'number' || declared < 1) throw err
    try {
      return new Plan(source, inputValue(p, declared), { partial })
    } catch {
      throw err
    }
  }
  const declared = source.graph.input.dims[0]
  if (typeof declared === 'number' && declared > 0) {
    const fixed = new Plan(source, inputValue(p, declared), { partial })
    if (!fixed.buildError) return fixed
  }
  return plan
}

/** The batch size a plan runs at: BATCH for any, else the file's fixed batch. */
export function planBatch(plan: Plan): Dim {
  return plan.input.shape[0]!
}

/** The class count an output value encodes ([N, K] or [N, K, 1, 1]), or why it is not logits. */
export function classCount(v: ValueInfo, batch: Dim = BATCH): number | string {
  const [n, k, ...rest] = v.shape
  if (n !== batch || typeof k !== 'number' || rest.some((d) => d !== 1)) {
    return `the model outputs shape [${v.shape.join(', ')}]; a classifier outputs [batch, classes]`
  }
  return k
}

/** Float initializers by name, checked against the graph's list: names, shapes, finite values. */
export function weightMap(
  graph: OnnxGraphDef,
  weights: SerializedWeights,
  where: string
): Map<string, HostTensor> {
  const expected = new Map(graph.weights.map((w) => [w.name, w.dims]))
  const out = new Map<string, HostTensor>()
  let offset = 0
  for (const { name, shape } of weights.manifest) {
    const dims = expected.get(name)
    if (!dims)
      throw new OnnxImportError(`${where}: weights name "${name}", which the graph does not have`)
    if (dims.join('x') !== shape.join('x'))
      throw new OnnxImportError(
        `${where}: weight "${name}" has shape [${shape}], the graph needs [${dims}]`
      )
    const size = shape.reduce((a, b) => a * b, 1)
    if (offset + size > weights.data.length)
      throw new OnnxImportError(`${where}: weight data is shorter than its manifest`)
    const data = weights.data.subarray(offset, offset + size)
    const bad = data.findIndex((v) => !Number.isFinite(v))
    if (bad >= 0)
      throw new OnnxImportError(
        `${where}: weight "${name}" holds a non-finite value (${data[bad]} at element ${bad})`
      )
    out.set(name, { dtype: 'float32', dims: shape, data })
    offset += size
  }
  if (offset !== weights.data.length)
    throw new OnnxImportError(`${where}: weight data is longer than its manifest`)
  const missing = [...expected.keys()].filter((n) => !out.has(n))
  if (missing.length > 0)
    throw new OnnxImportError(`${where}: weights are missing: ${missing.slice(0, 5).join(', ')}`)
  return out
}

export class OnnxModel implements StagedClassifier {
  readonly inputShape: [number, number, number]
  readonly numClasses: number
  readonly preprocessing: OnnxPreprocessing
  private readonly weights: Map<string, HostTensor>
  private readonly cache = new ConstantCache()
  private readonly plans = new Map<string, Plan>()
  private readonly stages: Stage[]
  private readonly featureNames: string[]
  private readonly scale: Tensor | undefined
  private readonly shift: Tensor | undefined
  private anySize: boolean | undefined
  private readonly parameters: number

  constructor(
    readonly architecture: OnnxArchitecture,
    weights: SerializedWeights,
    readonly id: string,
    readonly name: string
  ) {
    const where = `Model "${name}"`
    if (architecture.format !== 1)
      throw new OnnxImportError(
        `${where}: format ${String(architecture.format)} is newer than this version understands`
      )
    this.preprocessing = architecture.preprocessing
    this.inputShape = architecture.inputShape
    this.numClasses = architecture.numClasses
    this.weights = weightMap(architecture.graph, weights, where)
    this.parameters = weights.data.length
    try {
      const plan = this.planFor(this.inputShape[0], this.inputShape[1])
      const k = classCount(plan.value(architecture.graph.output), planBatch(plan))
      if (k !== this.numClasses) {
        throw new OnnxImportError(
          `${where}: ${typeof k === 'string' ? k : `the graph outputs ${k} classes, the record says ${this.numClasses}`}`
        )
      }
      this.stages = cutStages(plan)
      this.featureNames = this.stages
        .filter((s) => {
          const v = plan.value(s.value)
          return v.shape.length === 4 && (v.shape[2] as number) * (v.shape[3] as number) > 1
        })
        .map((s) => s.name)
      const identity =
        this.preprocessing.channelOrder === 'RGB' &&
        this.preprocessing.valueScale === 1 &&
        this.preprocessing.mean.every((m) => m === 0) &&
        this.preprocessing.std.every((s) => s === 1)
      if (!identity) {
        const { scale, shift } = affineOf(this.preprocessing)
        this.scale = tf.keep(tf.tensor1d(scale))
        this.shift = tf.keep(tf.tensor1d(shift))
      }
    } catch (err) {
      this.cache.dispose()
      throw err
    }
  }

  predictLogits(x: Tensor4D): Tensor2D {
    const plan = this.checkInput(x)
    if (plan.buildError) {
      const [h, w] = this.inputShape
      throw new OnnxImportError(
        `Model "${this.name}" takes ${h}x${w} images, got ${x.shape[1]}x${x.shape[2]} (${plan.buildError.message})`
      )
    }
    const feed = this.normalised(x)
    const out = this.execute(plan, plan.graph.input.name, feed, plan.graph.output)
    if (feed !== x && feed !== out && !recordingGradient()) feed.dispose()
    return (out.rank === 2 ? out : tf.reshape(out, [x.shape[0], this.numClasses])) as Tensor2D
  }

  stageNames(): string[] {
    return this.stages.map((s) => s.name)
  }

  featureStages(): string[] {
    return this.featureNames.slice()
  }

  /** The stage Grad-CAM and CAMERAS use unless told otherwise: the last spatial one. */
  defaultStage(): string | undefined {
    return this.featureNames[this.featureNames.length - 1]
  }

  forwardTo(stage: string, x: Tensor4D): Tensor {
    const value = this.stageValue(stage)
    const plan = this.checkInput(x)
    const feed = this.normalised(x)
    const out = this.execute(plan, plan.graph.input.name, feed, value)
    // A free layout change (a Transpose that only relabels) can make the stage the input itself.
    if (feed !== x && feed !== out && !recordingGradient()) feed.dispose()
    return relayout(out, plan.value(value), 'nhwc')
  }

  forwardFrom(stage: string, activation: Tensor): Tensor2D {
    const value = this.stageValue(stage)
    const plan = this.planForActivation(value, activation)
    const v = plan.value(value)
    const fed =
      v.shape.length === 4 && v.layout !== 'nhwc'
        ? tf.transpose(activation, [0, 3, 1, 2])
        : activation
    const out = this.execute(plan, value, fed, plan.graph.output)
    return (
      out.rank === 2 ? out : tf.reshape(out, [activation.shape[0]!, this.numClasses])
    ) as Tensor2D
  }

  /** True when the graph also builds for another input size (a fully convolutional trunk). */
  acceptsAnyInputSize(): boolean {
    if (this.anySize === undefined) {
      const [h, w] = this.inputShape
      try {
        const plan = this.planFor(h * 2, w * 2)
        this.anySize =
          !plan.buildError &&
          classCount(plan.value(plan.graph.output), planBatch(plan)) === this.numClasses
      } catch {
        this.anySize = false
      }
    }
    return this.anySize
  }

  parameterCount(): number {
    return this.parameters
  }

  /** Operators the graph uses, for the record. */
  operators(): string[] {
    return [...new Set(this.architecture.graph.nodes.map((n) => n.op))].sort()
  }

  dispose(): void {
    this.cache.dispose()
    this.plans.clear()
    this.scale?.dispose()
    this.shift?.dispose()
  }

  /** The batch size the model runs at (undefined: any), for a file exported with a fixed one. */
  fixedBatch(): number | undefined {
    const b = planBatch(this.planFor(this.inputShape[0], this.inputShape[1]))
    return b === BATCH ? undefined : (b as number)
  }

  /**
   * The plan for an input size: complete at the model's own size (or the import fails); at
   * another size possibly partial, its trunk still usable by forwardTo.
   */
  private planFor(h: number, w: number): Plan {
    const key = `${h}x${w}`
    let plan = this.plans.get(key)
    if (!plan) {
      const source = {
        graph: this.architecture.graph,
        weights: this.weights,
        cache: this.cache,
        registry: ONNX_OPERATORS
      }
      const native = h === this.inputShape[0] && w === this.inputShape[1]
      plan = buildPlan(source, { ...this.preprocessing, size: [h, w] }, !native)
      this.plans.set(key, plan)
    }
    return plan
  }

  /**
   * Runs `plan` from one fed value to `target`. A fixed-batch plan takes the batch in chunks of
   * its size (the last one zero-padded, its extra rows dropped): slices and concatenations,
   * so gradients flow as for one call.
   */
  private execute(plan: Plan, fedName: string, fed: Tensor, target: string): Tensor {
    const n = fed.shape[0]!
    const fixed = planBatch(plan)
    if (fixed === BATCH || fixed === n) return plan.execute(new Map([[fedName, fed]]), target, n)
    const b = fixed as number
    const parts: Tensor[] = []
    for (let start = 0; start < n; start += b) {
      const count = Math.min(b, n - start)
      let chunk = tf.slice(fed, start, count)
      if (count < b) chunk = tf.concat([chunk, tf.zeros([b - count, ...fed.shape.slice(1)])], 0)
      const out = plan.execute(new Map([[fedName, chunk]]), target, b)
      parts.push(count < b ? tf.slice(out, 0, count) : out)
    }
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 0)
  }

  private checkInput(x: Tensor): Plan {
    const [h, w, c] = this.inputShape
    if (x.rank !== 4) {
      throw new OnnxImportError(
        `Model "${this.name}" takes a batch of images [N, ${h}, ${w}, ${c}] (NHWC), got a tensor of rank ${x.rank} [${x.shape.join(', ')}]`
      )
    }
    const [, xh, xw, xc] = x.shape as [number, number, number, number]
    if (xc !== c)
      throw new OnnxImportError(
        `Model "${this.name}" takes ${c}-channel images, got ${xc} channels`
      )
    return this.planFor(xh, xw)
  }

  private normalised(x: Tensor4D): Tensor4D {
    if (!this.scale || !this.shift) return x
    const { scale, shift } = this
    // Outside a gradient tape the BGR reversal is a temporary to free at once.
    return recordingGradient()
      ? normalise(x, this.preprocessing, scale, shift)
      : tf.tidy(() => normalise(x, this.preprocessing, scale, shift))
  }

  private stageValue(stage: string): string {
    const s = this.stages.find((st) => st.name === stage)
    if (!s)
      throw new OnnxImportError(
        `No stage "${stage}" in model "${this.name}"; stages are ${this.stageNames().slice(-8).join(', ')}…`
      )
    return s.value
  }

  /** The plan whose value `value` has the activation's shape (forwardTo at that size made it). */
  private planForActivation(value: string, activation: Tensor): Plan {
    const matches = (plan: Plan): boolean => {
      const v = plan.value(value)
      const nhwc = v.shape.length === 4 ? [v.shape[0], v.shape[2], v.shape[3], v.shape[1]] : v.shape
      return (
        nhwc.length === activation.rank &&
        nhwc.every((d, i) => i === 0 || d === activation.shape[i])
      )
    }
    const native = this.planFor(this.inputShape[0], this.inputShape[1])
    if (matches(native)) return native
    for (const plan of this.plans.values()) if (matches(plan)) return plan
    throw new OnnxImportError(
      `Model "${this.name}": an activation of shape [${activation.shape.join(', ')}] does not fit stage '${value}' at any input size built so far`
    )
  }
}
