/**
 * Hand-built StagedClassifiers for the saliency tests: conv → relu → avg-pool → spatial mask →
 * global average pool → dense. Only the top-left quadrant of the feature map (hence of the
 * image) can change the logits, so a correct saliency method must point there.
 */
import { tf } from '../../../../src/main/engine/tf'
import type { Tensor, Tensor2D, Tensor4D } from '../../../../src/main/engine/tf'
import type { StagedClassifier } from '../../../../src/main/engine/models/types'

export interface RegionModelOptions {
  size?: number
  anySize?: boolean
  /** Adds a huge class-1 logit when the feature map is at least this tall (tests scale dropping). */
  flipAtFeatureHeight?: number
  /** Gain of the dense layer. */
  gain?: number
}

const STAGES = ['conv', 'relu', 'pool', 'masked', 'gap', 'dense'] as const

export class RegionModel implements StagedClassifier {
  readonly id = 'region'
  readonly name = 'region model'
  readonly inputShape: [number, number, number]
  readonly numClasses = 3
  private readonly kernel: Tensor
  private readonly dense: Tensor2D
  constructor(private readonly opts: RegionModelOptions = {}) {
    const s = opts.size ?? 16
    this.inputShape = [s, s, 1]
    // Filter 0: 3×3 blur; filter 1: centre tap minus a little of the neighbours.
    const k = new Float32Array(9 * 2)
    for (let i = 0; i < 9; i++) {
      k[i * 2] = 1 / 9
      k[i * 2 + 1] = i === 4 ? 1 : -0.05
    }
    this.kernel = tf.keep(tf.tensor4d(k, [3, 3, 1, 2]))
    const g = opts.gain ?? 12
    this.dense = tf.keep(tf.tensor2d([g, 0, -g, g, 0, -g], [2, 3]))
  }
  stageNames(): string[] {
    return [...STAGES]
  }
  featureStages(): string[] {
    return ['conv', 'relu', 'pool', 'masked']
  }
  acceptsAnyInputSize(): boolean {
    return this.opts.anySize ?? true
  }
  private apply(stage: string, t: Tensor): Tensor {
    switch (stage) {
      case 'conv':
        return tf.conv2d(t as Tensor4D, this.kernel as never, 1, 'same')
      case 'relu':
        return tf.relu(t)
      case 'pool':
        return tf.avgPool(t as Tensor4D, 2, 2, 'same')
      case 'masked': {
        const [, h, w] = t.shape as number[]
        const mask = tf.buffer([1, h!, w!, 1])
        for (let i = 0; i < Math.ceil(h! / 2); i++)
          for (let j = 0; j < Math.ceil(w! / 2); j++) mask.set(1, 0, i, j, 0)
        return tf.mul(t, mask.toTensor())
      }
      case 'gap':
        return tf.mean(t, [1, 2])
      case 'dense': {
        const logits = tf.matMul(t as Tensor2D, this.dense)
        const flip = this.opts.flipAtFeatureHeight
        return logits.add(tf.tensor2d([0, 0.5, 0], [1, 3])).add(this.flipBonus(flip))
      }
      default:
        throw new Error(stage)
    }
  }
  private lastFeatureHeight = 0
  private flipBonus(flip: number | undefined): Tensor {
    const on = flip !== undefined && this.lastFeatureHeight >= flip
    return tf.tensor2d([0, on ? 100 : 0, 0], [1, 3])
  }
  private run(from: number, to: number, t: Tensor): Tensor {
    return tf.tidy(() => {
      let out = t
      for (let i = from; i < to; i++) {
        if (STAGES[i] === 'gap') this.lastFeatureHeight = out.shape[1]!
        out = this.apply(STAGES[i]!, out)
      }
      return out
    })
  }
  forwardTo(stage: string, x: Tensor4D): Tensor {
    return this.run(0, STAGES.indexOf(stage as never) + 1, x)
  }
  forwardFrom(stage: string, activation: Tensor): Tensor2D {
    return this.run(STAGES.indexOf(stage as never) + 1, STAGES.length, activation) as Tensor2D
  }
  predictLogits(x: Tensor4D): Tensor2D {
    return this.run(0, STAGES.length, x) as Tensor2D
  }
}

/** Fraction of a [H, W] map's mass in the top-left quadrant (rows < H/2, cols < W/2). */
export function quadrantMass(map: ArrayLike<number>, h: number, w: number): number {
  let inside = 0
  let total = 0
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      const v = map[i * w + j]!
      total += v
      if (i < h / 2 && j < w / 2) inside += v
    }
  return total > 0 ? inside / total : 0
}

/** A deterministic pseudo-random [0, 1] image batch. */
export function randomImages(n: number, size: number, seed = 1): Tensor4D {
  return tf.randomUniform([n, size, size, 1], 0, 1, 'float32', seed) as Tensor4D
}
