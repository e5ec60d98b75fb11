/**
 * The conformance suite's cases: inputs made by a seeded generator in plain JavaScript (the
 * same on every backend and machine), written out once by scripts/conformance/export-inputs.ts
 * so that scripts/conformance/reference.py computes float64 references in PyTorch; the
 * references are committed under test/fixtures/conformance/ and conformance.test.ts compares
 * the engine with them. Model cases take their weights from buildModel's seeds; the exporter
 * writes those too, and a checksum in the fixture catches any drift of either generator.
 */
import { createRng } from '../../../../src/main/engine/attacks/random'
import type { ArchitectureId } from '../../../../src/main/engine/models'

export interface ArrayInput {
  shape: number[]
  data: Float32Array
}

export type OpKind =
  | 'conv'
  | 'maxPool'
  | 'avgPool'
  | 'batchNormTrain'
  | 'batchNormInference'
  | 'crossEntropy'
  | 'penalty'
  | 'attack'
  | 'jpeg'
  | 'bitDepth'
  | 'tvm'
  | 'bilateral'

export interface OpCase {
  name: string
  op: OpKind
  inputs: Record<string, ArrayInput>
  params: Record<string, number | string | boolean>
}

export interface ModelCase {
  name: string
  op: 'model'
  arch: ArchitectureId
  shape: [number, number, number]
  batch: number
  classes: number
  /** Seeds of the reference K and the trained model M (buildModel). */
  referenceSeed: number
  modelSeed: number
  inputs: Record<string, ArrayInput>
  params: { lambda: number; form: 'signed' | 'absolute' | 'squared' }
}

export type Case = OpCase | ModelCase

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1)

/** Seeded generators of float32 arrays. */
function gen(seed: number) {
  const rng = createRng(seed)
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
  return {
    uniform: (shape: number[], lo = 0, hi = 1): ArrayInput => ({
      shape,
      data: Float32Array.from({ length: size(shape) }, () => lo + (hi - lo) * rng())
    }),
    normal: (shape: number[], mean = 0, std = 1): ArrayInput => ({
      shape,
      data: Float32Array.from({ length: size(shape) }, () => mean + std * normal())
    }),
    /** Integers in [0, levels): pooling windows full of ties. */
    levels: (shape: number[], levels: number): ArrayInput => ({
      shape,
      data: Float32Array.from({ length: size(shape) }, () => Math.floor(rng() * levels))
    }),
    /** Per element: `fill(i)` with access to the generator. */
    custom: (
      shape: number[],
      fill: (i: number, u: () => number, n: () => number) => number
    ): ArrayInput => ({
      shape,
      data: Float32Array.from({ length: size(shape) }, (_, i) => fill(i, rng, normal))
    })
  }
}

function convCases(): OpCase[] {
  const specs: [string, number[], number[], number, string, number][] = [
    ['conv 3x3 s1 same', [2, 7, 7, 3], [3, 3, 3, 5], 1, 'same', 1],
    ['conv 3x3 s2 same (asymmetric pad)', [2, 9, 8, 4], [3, 3, 4, 6], 2, 'same', 1],
    ['conv 1x1 s2 valid', [2, 8, 8, 3], [1, 1, 3, 4], 2, 'valid', 1],
    ['conv 3x3 s1 valid dilation 2', [1, 10, 10, 2], [3, 3, 2, 3], 1, 'valid', 2]
  ]
  return specs.map(([name, xs, ws, stride, pad, dilation], i) => {
    const g = gen(100 + i)
    const x = g.normal(xs)
    const w = g.normal(ws, 0, 0.3)
    const outH =
      pad === 'same'
        ? Math.ceil(xs[1]! / stride)
        : Math.floor((xs[1]! - (ws[0]! - 1) * dilation - 1) / stride) + 1
    const outW =
      pad === 'same'
        ? Math.ceil(xs[2]! / stride)
        : Math.floor((xs[2]! - (ws[1]! - 1) * dilation - 1) / stride) + 1
    const ys = [xs[0]!, outH, outW, ws[3]!]
    return {
      name,
      op: 'conv',
      inputs: { x, w, dy: g.normal(ys), v: g.normal(xs) },
      params: { stride, pad, dilation }
    }
  })
}

function poolCases(): OpCase[] {
  const specs: [string, 'maxPool' | 'avgPool', number[], number, number, string][] = [
    ['max pool 2x2/2 valid, ties', 'maxPool', [2, 6, 6, 3], 2, 2, 'valid'],
    ['max pool 3x3/2 same, ties', 'maxPool', [2, 7, 5, 2], 3, 2, 'same'],
    ['max pool 3x3/1 same, ties', 'maxPool', [1, 6, 6, 2], 3, 1, 'same'],
    ['avg pool 3x3/2 same', 'avgPool', [2, 7, 5, 2], 3, 2, 'same'],
    ['avg pool 2x2/2 valid', 'avgPool', [2, 6, 6, 3], 2, 2, 'valid']
  ]
  return specs.map(([name, op, xs, k, s, pad], i) => {
    const g = gen(200 + i)
    const x = op === 'maxPool' ? g.levels(xs, 3) : g.normal(xs)
    const out = (n: number) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1)
    return {
      name,
      op,
      inputs: { x, dy: g.normal([xs[0]!, out(xs[1]!), out(xs[2]!), xs[3]!]) },
      params: { k, s, pad }
    }
  })
}

/** Batch norm in training: per-channel distributions that stress the statistics. */
function batchNormTrainCases(): OpCase[] {
  const specs: [string, number[], (c: number) => (u: () => number, n: () => number) => number][] = [
    ['batch norm train, normal', [4, 5, 5, 6], () => (_u, n) => n()],
    ['batch norm train, mean 100 std 1', [4, 5, 5, 3], () => (_u, n) => 100 + n()],
    ['batch norm train, mean 1e4 std 1', [4, 5, 5, 3], () => (_u, n) => 1e4 + n()],
    [
      'batch norm train, 70% one value',
      [4, 6, 6, 3],
      () => (u, n) => (u() < 0.7 ? 3 : 3 + 0.01 * n())
    ],
    [
      'batch norm train, 65536 rows',
      [64, 32, 32, 2],
      (c) => (_u, n) => (c === 0 ? n() : 50 + 0.1 * n())
    ]
  ]
  return specs.map(([name, xs, dist], i) => {
    const g = gen(300 + i)
    const channels = xs[xs.length - 1]!
    const x = g.custom(xs, (k, u, n) => dist(k % channels)(u, n))
    return {
      name,
      op: 'batchNormTrain',
      inputs: {
        x,
        gamma: g.normal([channels], 1, 0.3),
        beta: g.normal([channels], 0, 0.3),
        dy: g.normal(xs),
        a: g.normal(xs),
        p: g.normal([channels]),
        q: g.normal([channels])
      },
      params: { epsilon: 1e-5 }
    }
  })
}

function batchNormInferenceCases(): OpCase[] {
  return [false, true].map((relu, i) => {
    const g = gen(400 + i)
    const xs = [3, 5, 5, 4]
    return {
      name: `batch norm inference${relu ? ' + ReLU' : ''}`,
      op: 'batchNormInference',
      inputs: {
        x: g.normal(xs),
        mean: g.normal([4], 0, 0.5),
        variance: g.uniform([4], 0.5, 2),
        gamma: g.normal([4], 1, 0.3),
        beta: g.normal([4], 0, 0.3),
        dy: g.normal(xs)
      },
      params: { epsilon: 1e-5, relu }
    }
  })
}

/** Logits with margins from misclassified to confident (1 - p_y down to ~1e-12). */
function crossEntropyCases(): OpCase[] {
  const g = gen(500)
  const rows = 8
  const classes = 10
  const labels = Float32Array.from({ length: rows }, (_, r) => r % classes)
  const margins = [-5, -1, 0, 2, 6, 12, 20, 30]
  const logits = g.custom([rows, classes], (i, _u, n) => {
    const r = Math.floor(i / classes)
    return (i % classes === labels[r] ? margins[r]! : 0) + 0.5 * n()
  })
  return [
    {
      name: 'cross-entropy, margins -5 to 30',
      op: 'crossEntropy',
      inputs: { logits, labels: { shape: [rows], data: labels }, v: g.normal([rows, classes]) },
      params: {}
    }
  ]
}

function penaltyCases(): OpCase[] {
  return (['signed', 'absolute', 'squared'] as const).map((form, i) => {
    const g = gen(600 + i)
    const shape = [4, 5, 5, 2]
    return {
      name: `orthogonality penalty, ${form}`,
      op: 'penalty',
      inputs: { g1: g.normal(shape), g2: g.normal(shape) },
      params: { form }
    }
  })
}

/**
 * The attack steps on a small conv + dense classifier with fixed weights: images in [0, 1]
 * with some pixels at the bounds. PGD's random start is part of the inputs.
 */
function attackCases(): OpCase[] {
  const g = gen(700)
  const xs = [3, 8, 8, 1]
  const weights = {
    convKernel: g.normal([3, 3, 1, 4], 0, 0.5),
    convBias: g.normal([4], 0, 0.1),
    denseKernel: g.normal([8 * 8 * 4, 10], 0, 0.1),
    denseBias: g.normal([10], 0, 0.1)
  }
  const x = g.custom(xs, (i, u) => (i % 17 === 0 ? 0 : i % 19 === 0 ? 1 : u()))
  const labels: ArrayInput = { shape: [3], data: Float32Array.of(1, 4, 7) }
  const epsilon = 0.03
  const start = g.uniform(xs, -epsilon, epsilon)
  const attacks: [string, number, number][] = [
    ['fgsm', 1, 0],
    ['ifgsm', 5, 0],
    ['mifgsm', 5, 1],
    ['pgd', 5, 0]
  ]
  return attacks.map(([attack, steps, decay]) => ({
    name: `attack ${attack}`,
    op: 'attack',
    inputs: { x, labels, ...weights, ...(attack === 'pgd' ? { start } : {}) },
    params: {
      attack,
      epsilon,
      steps,
      decay,
      stepSize:
        attack === 'fgsm' ? epsilon : attack === 'pgd' ? (2.5 * epsilon) / steps : epsilon / steps
    }
  }))
}

/** Images for the defenses: smooth gradients, edges, noise, flat areas; sizes not multiples of 8. */
function defenseImages(seed: number, shape: number[]): ArrayInput {
  const [, h, w] = shape as [number, number, number, number]
  return gen(seed).custom(shape, (i, u) => {
    const p = i % (h * w)
    const n = Math.floor(i / (h * w))
    const y = Math.floor(p / w)
    const x = p % w
    if (n % 3 === 0) return Math.round(255 * (0.5 + 0.4 * Math.sin(x / 3) * Math.cos(y / 4))) / 255
    if (n % 3 === 1) return x > w / 2 !== y > h / 3 ? 200 / 255 : Math.round(40 + 30 * u()) / 255
    return Math.round(255 * u()) / 255
  })
}

function defenseCases(): OpCase[] {
  const gray = defenseImages(800, [3, 28, 28, 1])
  const odd = defenseImages(801, [3, 13, 21, 1])
  const color = defenseImages(802, [2, 12, 12, 3])
  const out: OpCase[] = []
  for (const quality of [95, 90, 85, 80]) {
    out.push({
      name: `jpeg gray 28x28 q${quality}`,
      op: 'jpeg',
      inputs: { x: gray },
      params: { quality }
    })
  }
  out.push({ name: 'jpeg gray 13x21 q85', op: 'jpeg', inputs: { x: odd }, params: { quality: 85 } })
  for (const depth of [1, 2, 3, 4])
    out.push({
      name: `bit depth ${depth}`,
      op: 'bitDepth',
      inputs: { x: gen(803).uniform([2, 6, 6, 3]) },
      params: { depth }
    })
  for (const weight of [3, 9])
    out.push({ name: `tvm weight ${weight}`, op: 'tvm', inputs: { x: odd }, params: { weight } })
  for (const window of [3, 5]) {
    out.push({
      name: `bilateral window ${window}, gray`,
      op: 'bilateral',
      inputs: { x: odd },
      params: { window }
    })
    out.push({
      name: `bilateral window ${window}, colour`,
      op: 'bilateral',
      inputs: { x: color },
      params: { window }
    })
  }
  return out
}

/** One orthogonal objective per architecture, at sizes small enough for every backend. */
function modelCases(): ModelCase[] {
  const specs: [ArchitectureId, [number, number, number], number, number][] = [
    ['cnn', [10, 10, 1], 4, 7],
    // The VGGs at 8x8 end in batch norms over 1x1 maps: with 4 images even PyTorch's float32
    // gradient is 2e-4 (VGG-11) and 1e-3 (VGG-16) off float64; 8 images condition them.
    ['vgg11', [8, 8, 1], 8, 7],
    ['vgg16', [8, 8, 1], 8, 4],
    ['resnet20', [8, 8, 3], 4, 7],
    ['resnet32', [6, 6, 2], 3, 7]
  ]
  return specs.map(([arch, shape, batch, seed]) => {
    const g = gen(900 + seed)
    return {
      name: `orthogonal objective, ${arch}`,
      op: 'model',
      arch,
      shape,
      batch,
      classes: 3,
      referenceSeed: 11,
      modelSeed: 12,
      inputs: {
        x: g.uniform([batch, ...shape]),
        labels: { shape: [batch], data: Float32Array.from({ length: batch }, (_, i) => i % 3) }
      },
      params: { lambda: 30, form: 'squared' }
    }
  })
}

/** Every case, in a fixed order. */
export function conformanceCases(): Case[] {
  return [
    ...convCases(),
    ...poolCases(),
    ...batchNormTrainCases(),
    ...batchNormInferenceCases(),
    ...crossEntropyCases(),
    ...penaltyCases(),
    ...attackCases(),
    ...defenseCases(),
    ...modelCases()
  ]
}

/** Sum and sum of squares of every input, in float64: the fixture's guard against drift. */
export function inputChecksum(c: Case): [number, number] {
  let s = 0
  let s2 = 0
  for (const key of Object.keys(c.inputs).sort()) {
    for (const v of c.inputs[key]!.data) {
      s += v
      s2 += v * v
    }
  }
  return [s, s2]
}
