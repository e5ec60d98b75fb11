/**
 * The trained-model fixture of the conformance suite (scripts/conformance/export-trained.ts
 * and trained-reference.py): the demo's reference cnn and a narrow VGG-11, trained on the
 * built-in Fashion-MNIST sample, their weights as float16, and PyTorch's input gradients on
 * 32 of the sample's validation images.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { ModelArchitecture, Network } from '../../../../src/main/engine/models'
import { networkFromArchitecture } from '../../../../src/main/engine/models'
import type { WeightManifestEntry } from '../../../../src/main/engine/models/network'
import { decodeFloat16 } from './float16'

/** The sample's validation images the models are checked on. */
export const TRAINED_IMAGE_INDICES: number[] = Array.from({ length: 32 }, (_, i) => i)

/** Sum and sum of squares of the images, in double: catches any change of the sample. */
export function imageChecksum(images: Float32Array): [number, number] {
  let s = 0
  let s2 = 0
  for (const v of images) {
    s += v
    s2 += v * v
  }
  return [s, s2]
}

export const FIXTURE_DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'conformance')

export interface TrainedModelFixture {
  name: string
  architecture: ModelArchitecture
  manifest: WeightManifestEntry[]
  weights: string
  validationAccuracy: number
  validationImages: number
  /** PyTorch's d CE(logits_i, y_i) / d x_i per image, NHWC, float32 and float64 (rounded). */
  torch32: Float32Array
  torch64: Float32Array
  /** Per image: cosine of PyTorch's float32 gradient to its float64 one, worst image. */
  torchFloat32MinCosine: number
}

export interface TrainedFixture {
  images: {
    indices: number[]
    shape: [number, number, number, number]
    labels: number[]
    checksum: [number, number]
  }
  models: TrainedModelFixture[]
}

function floats(file: string): Float32Array {
  const b = readFileSync(join(FIXTURE_DIR, file))
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

export function loadTrainedFixture(): TrainedFixture {
  const meta = JSON.parse(readFileSync(join(FIXTURE_DIR, 'trained-models.json'), 'utf8')) as {
    images: TrainedFixture['images']
    models: (Omit<TrainedModelFixture, 'torch32' | 'torch64'> & {
      torch32: string
      torch64: string
    })[]
  }
  return {
    images: meta.images,
    models: meta.models.map((m) => ({
      ...m,
      torch32: floats(m.torch32),
      torch64: floats(m.torch64)
    }))
  }
}

/** The fixture's network with its float16 weights. */
export function trainedNetwork(m: TrainedModelFixture): Network {
  const net = networkFromArchitecture(m.architecture, { seed: 1, id: m.name, name: m.name })
  const half = gunzipSync(readFileSync(join(FIXTURE_DIR, m.weights)))
  net.loadWeights({ manifest: m.manifest, data: decodeFloat16(new Uint8Array(half)) })
  return net
}

/** Cosine of rows `i` of two [N, per] arrays, in double. */
export function rowCosine(a: Float32Array, b: Float32Array, i: number, per: number): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let k = i * per; k < (i + 1) * per; k++) {
    ab += a[k]! * b[k]!
    aa += a[k]! * a[k]!
    bb += b[k]! * b[k]!
  }
  return ab / Math.sqrt(aa * bb)
}
