import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import {
  buildModel,
  networkFromArchitecture,
  type ArchitectureId
} from '../../../../src/main/engine/models'
import {
  exportLayersModel,
  importLayersModel
} from '../../../../src/main/engine/models/layersFormat'
import { tf } from '../../../../src/main/engine/tf'

let root: string
beforeAll(async () => {
  await initBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'ortholens-layers-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Loads model.json + shards from disk with plain TensorFlow.js, as a user of the export would. */
async function loadFromFiles(modelJson: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(modelJson, 'utf8'))
  const group = json.weightsManifest[0]
  const bin = readFileSync(join(dirname(modelJson), group.paths[0]))
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: group.weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)
    })
  )
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
}

/** Moves batch-norm statistics off their 0/1 defaults so a mix-up of mean/variance/gamma shows. */
function perturbBatchNorm(net: ReturnType<typeof buildModel>, seed: number): void {
  const w = net.exportWeights()
  let offset = 0
  w.manifest.forEach((m, i) => {
    const size = m.shape.reduce((a, b) => a * b, 1)
    const kind = m.name.split('/').pop()
    for (let j = 0; j < size; j++) {
      const r = Math.sin(seed * 31 + i * 7 + j * 13) // deterministic, in [-1, 1]
      if (kind === 'moving_variance') w.data[offset + j] = 0.5 + Math.abs(r)
      else if (kind === 'moving_mean' || kind === 'beta' || kind === 'bias')
        w.data[offset + j] = 0.2 * r
      else if (kind === 'gamma') w.data[offset + j] = 1 + 0.3 * r
    }
    offset += size
  })
  net.loadWeights(w)
}

describe('exportLayersModel / importLayersModel round trip', () => {
  const cases: [ArchitectureId, [number, number, number], number][] = [
    ['cnn', [8, 8, 3], 4],
    ['vgg11', [8, 8, 3], 4],
    ['resnet20', [8, 8, 3], 4]
  ]
  for (const [arch, shape, classes] of cases) {
    it(`${arch}: tf.loadLayersModel and our import both reproduce the logits`, async () => {
      const net = buildModel(arch, shape, classes, { seed: 3 })
      perturbBatchNorm(net, 5)
      const dir = join(root, arch)
      const out = await exportLayersModel(net, dir)
      expect(out.maxAbsDiff).toBeLessThan(1e-4)
      expect(existsSync(out.modelJson)).toBe(true)
      const json = JSON.parse(readFileSync(out.modelJson, 'utf8'))
      expect(json.format).toBe('layers-model')
      for (const g of json.weightsManifest)
        for (const p of g.paths) expect(existsSync(join(dir, p))).toBe(true)
      const classes2 = JSON.stringify(json.modelTopology)
      if (arch === 'resnet20') expect(classes2).toContain('"class_name":"Add"')
      if (arch !== 'cnn') expect(classes2).toContain('"class_name":"BatchNormalization"')

      const x = tf.randomUniform([3, ...shape], 0, 1, 'float32', 11) as tf.Tensor4D
      const ours = net.predictLogits(x)
      const loaded = await loadFromFiles(out.modelJson)
      const theirs = loaded.predict(x) as tf.Tensor
      expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-4)
      // The logits are not trivially equal (e.g. all zeros), so the comparison means something.
      expect(tf.tidy(() => tf.max(tf.abs(ours)).dataSync()[0]!)).toBeGreaterThan(1e-3)

      const imported = await importLayersModel(dir)
      expect(imported.architecture.arch).toBe('imported')
      expect(imported.architecture.inputShape).toEqual(shape)
      expect(imported.architecture.numClasses).toBe(classes)
      expect(imported.warnings).toEqual([])
      const back = networkFromArchitecture(imported.architecture, { id: 'back', name: 'back' })
      back.loadWeights(imported.weights)
      const again = back.predictLogits(x)
      expect(maxAbsDiff(ours, again)).toBeLessThan(1e-4)
      expect(back.stageNames()).toEqual(net.stageNames())
      tf.dispose([x, ours, theirs, again])
      loaded.dispose()
      back.dispose()
      net.dispose()
    })
  }

  it('leaves no tensors behind', async () => {
    const net = buildModel('resnet20', [8, 8, 3], 3, { seed: 1 })
    const before = tf.memory().numTensors
    await exportLayersModel(net, join(root, 'leak'))
    const imported = await importLayersModel(join(root, 'leak', 'model.json'))
    expect(imported.weights.data.length).toBe(net.exportWeights().data.length)
    expect(tf.memory().numTensors).toBe(before)
    net.dispose()
  })
})
