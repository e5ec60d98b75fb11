/**
 * Trains the conformance suite's two trained models on the built-in Fashion-MNIST sample and
 * writes them, with the sample images they are checked on, for
 * scripts/conformance/trained-reference.py (PyTorch's input gradients):
 *  - `cnn`: the demo's reference model (architecture cnn, seed 1, 4 epochs on 9,000 images:
 *    `npm run demo`'s settings);
 *  - `vgg11-narrow`: VGG-11 with batch norm and its five max pools, every convolution at 1/8
 *    of its width (the full model's 9.2 M weights would not be a small fixture), 3 epochs.
 * Weights are rounded to float16 after training (every float16 is a float32, so PyTorch and
 * the engine compute with the very same numbers) and stored gzipped.
 *
 * Usage: npx tsx scripts/conformance/export-trained.ts FIXTURE_DIR IMAGE_DIR
 * (make-trained-fixtures.sh runs it, then the reference script).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { initBackend } from '../../src/main/engine/backend'
import { loadBuiltinSample } from '../../src/main/engine/data/builtinSample'
import { labelsTensor, toFloatBatch } from '../../src/main/engine/data/batches'
import {
  architectureFor,
  networkFromArchitecture,
  type LayerDef,
  type ModelArchitecture,
  type Network
} from '../../src/main/engine/models'
import { DEFAULT_TRAIN_CONFIG, trainNetwork } from '../../src/main/engine/training/train'
import { tf } from '../../src/main/engine/tf'
import {
  TRAINED_IMAGE_INDICES,
  imageChecksum
} from '../../test/main/engine/conformance/trainedModels'
import { decodeFloat16, encodeFloat16 } from '../../test/main/engine/conformance/float16'

const [fixtureDir, imageDir] = process.argv.slice(2)
if (!fixtureDir || !imageDir) throw new Error('usage: export-trained.ts FIXTURE_DIR IMAGE_DIR')
mkdirSync(fixtureDir, { recursive: true })
mkdirSync(imageDir, { recursive: true })
await initBackend('cpu')
const ds = loadBuiltinSample()

/** Every convolution of `layers` at 1/`factor` of its filters. */
function narrowed(layers: LayerDef[], factor: number): LayerDef[] {
  return layers.map((l) => (l.kind === 'conv' ? { ...l, filters: l.filters / factor } : l))
}

const models: { name: string; architecture: ModelArchitecture; epochs: number }[] = [
  { name: 'cnn', architecture: architectureFor('cnn', [28, 28, 1], 10), epochs: 4 },
  {
    name: 'vgg11-narrow',
    architecture: (() => {
      const full = architectureFor('vgg11', [28, 28, 1], 10)
      return { ...full, layers: narrowed(full.layers, 8) }
    })(),
    epochs: 3
  }
]

/** Validation accuracy on the whole validation split. */
function accuracy(net: Network): number {
  const indices = Array.from({ length: ds.validation.count }, (_, i) => i)
  let correct = 0
  for (let b = 0; b < indices.length; b += 250) {
    const part = indices.slice(b, b + 250)
    correct += tf.tidy(() => {
      const predicted = tf.argMax(net.predictLogits(toFloatBatch(ds.validation, part, ds)), 1)
      return tf.sum(tf.equal(predicted, labelsTensor(ds.validation, part))).dataSync()[0]!
    })
  }
  return correct / indices.length
}

const index = []
for (const m of models) {
  const net = networkFromArchitecture(m.architecture, { seed: 1, id: m.name, name: m.name })
  const outcome = await trainNetwork(
    net,
    ds,
    { ...DEFAULT_TRAIN_CONFIG, epochs: m.epochs, trainLimit: 9_000, seed: 1 },
    undefined
  )
  const weights = net.exportWeights()
  const half = encodeFloat16(weights.data)
  net.loadWeights({ manifest: weights.manifest, data: decodeFloat16(half) })
  const file = `trained-${m.name}.f16.gz`
  writeFileSync(join(fixtureDir, file), gzipSync(half, { level: 9 }))
  const acc = accuracy(net)
  console.log(
    `${m.name}: ${outcome.status} after ${outcome.epochsRun} epochs, validation accuracy ${acc} (${ds.validation.count} images) with float16 weights`
  )
  index.push({
    name: m.name,
    architecture: m.architecture,
    manifest: weights.manifest,
    weights: file,
    training: { epochs: m.epochs, trainLimit: 9_000, seed: 1, status: outcome.status },
    validationAccuracy: acc,
    validationImages: ds.validation.count
  })
  net.dispose()
}

const x = toFloatBatch(ds.validation, TRAINED_IMAGE_INDICES, ds)
const images = x.dataSync() as Float32Array
const labels = Array.from(labelsTensor(ds.validation, TRAINED_IMAGE_INDICES).dataSync())
writeFileSync(
  join(imageDir, 'images.bin'),
  Buffer.from(images.buffer, images.byteOffset, images.byteLength)
)
writeFileSync(
  join(imageDir, 'trained-models.json'),
  JSON.stringify(
    {
      images: {
        split: 'validation',
        indices: TRAINED_IMAGE_INDICES,
        shape: x.shape,
        labels,
        checksum: imageChecksum(images)
      },
      models: index
    },
    null,
    1
  )
)
console.log(
  `wrote ${models.length} models to ${fixtureDir}, ${TRAINED_IMAGE_INDICES.length} images to ${imageDir}`
)
