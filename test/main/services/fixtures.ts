/**
 * A tiny project for the audit services: random 8x8 grey images labelled by a linear SOURCE
 * model (so it is right on all of them), an ordinary linear target, an orthogonal one
 * (λ = 30 against the source) and a collapsed one, all stored as real project models.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tf } from '../../../src/main/engine/tf'
import { Network, type ModelArchitecture } from '../../../src/main/engine/models'
import type { ImageDataset } from '../../../src/main/engine/data/types'
import { createRng } from '../../../src/main/engine/attacks/random'
import {
  createProject,
  saveDataset,
  saveModel,
  type ModelStatus,
  type ProjectDb
} from '../../../src/main/store'

export const SHAPE: [number, number, number] = [8, 8, 1]
const D = 64

export const LINEAR: ModelArchitecture = {
  format: 1,
  arch: 'imported',
  inputShape: SHAPE,
  numClasses: 3,
  layers: [
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'dense', units: 3, bias: true }
  ]
}

export function linear(seed: number, name: string): Network {
  return new Network(LINEAR, `net-${seed}`, name, seed)
}

export interface TinyProject {
  dir: string
  path: string
  project: ProjectDb
  datasetId: number
  sourceId: number
  ordinaryId: number
  orthogonalId: number
  collapsedId: number
  cleanup(): void
}

export function tinyProject(count = 80): TinyProject {
  const dir = mkdtempSync(join(tmpdir(), 'ortholens-audit-'))
  const path = join(dir, 'tiny.ortholens')
  const project = createProject(path, { name: 'tiny' })
  const source = linear(1, 'source')
  const rng = createRng(5)
  const images = Uint8Array.from({ length: count * D }, () => Math.floor(rng() * 256))
  const labels = tf.tidy(() => {
    const x = tf.div(tf.tensor4d(Float32Array.from(images), [count, ...SHAPE]), 255) as tf.Tensor4D
    return Uint8Array.from(tf.argMax(source.predictLogits(x), 1).dataSync())
  })
  const ds: ImageDataset = {
    name: 'tiny',
    classNames: ['zero', 'one', 'two'],
    height: 8,
    width: 8,
    channels: 1,
    train: { images: images.slice(0, 10 * D), labels: labels.slice(0, 10), count: 10 },
    validation: { images, labels, count },
    provenance: { test: true }
  }
  const db = project.writable()
  const datasetId = saveDataset(db, ds)
  const store = (
    net: Network,
    status: ModelStatus,
    extra: { lambda?: number; referenceModelId?: number } = {}
  ) =>
    saveModel(db, {
      name: net.name,
      architecture: LINEAR,
      weights: net.exportWeights(),
      datasetId,
      referenceModelId: extra.referenceModelId,
      trainingConfig: { lambda: extra.lambda ?? 0 },
      status,
      metrics: { valAccuracy: 0.9, delta: { mean: 0.123, std: 0.01 } }
    })
  const sourceId = store(source, 'ready')
  // Targets = source + a third of another random model: they agree with it on most images,
  // so enough samples are correct on every model, yet they are not copies.
  const nets = [linear(2, 'ordinary'), linear(3, 'orthogonal'), linear(4, 'collapsed')]
  const base = source.exportWeights()
  for (const n of nets) {
    const own = n.exportWeights()
    n.loadWeights({ ...own, data: own.data.map((v, i) => base.data[i]! + v / 3) })
  }
  const ordinaryId = store(nets[0]!, 'ready')
  const orthogonalId = store(nets[1]!, 'ready', { lambda: 30, referenceModelId: sourceId })
  const collapsedId = store(nets[2]!, 'collapsed')
  for (const n of [source, ...nets]) n.dispose()
  return {
    dir,
    path,
    project,
    datasetId,
    sourceId,
    ordinaryId,
    orthogonalId,
    collapsedId,
    cleanup: () => {
      if (!project.closed) project.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
