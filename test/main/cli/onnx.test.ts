/**
 * The command line of issue 15: `model import` of an ONNX file with declared preprocessing
 * (every flag), `model export` to ONNX, `predict` on a .npy batch against PyTorch's numbers,
 * refusals that leave the project file byte for byte as it was, and a model of another
 * dataset refused by name instead of a tensor error.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/main/cli/index'
import { runCli } from '../../helpers/cli'
import { initBackend } from '../../../src/main/engine/backend'
import { buildModel } from '../../../src/main/engine/models'
import { encodeOnnx, floatTensor } from '../../../src/main/engine/models/onnx/writer'
import {
  createProject,
  loadModel,
  openProject,
  saveDataset,
  saveModel
} from '../../../src/main/store'
import { syntheticDataset } from '../../helpers/syntheticDataset'
import { FIXTURE_DIR, loadFixture } from '../engine/models/onnx/fixtureData'
import { tinyConv, values } from '../engine/models/onnx/tinyModels'

await initBackend('cpu')

const NPY = join(import.meta.dirname, '..', '..', 'fixtures', 'npy')
const dir = mkdtempSync(join(tmpdir(), 'ortholens-cli-onnx-'))
const file = join(dir, 'audit.ortholens')
const ids = { colour: 0, grey: 0, greyModel: 0, trained: 0 }

/** The command line's exit code and printed text. */
async function cli(args: string[]): Promise<{ code: number; text: string }> {
  const { code, out } = await runCli(args)
  return { code, text: out }
}
async function json<T>(args: string[]): Promise<T> {
  return JSON.parse((await cli([...args, '--json'])).text) as T
}

const hash = (): string => createHash('sha256').update(readFileSync(file)).digest('hex')

beforeAll(() => {
  const p = createProject(file, { name: 'audit' })
  const db = p.writable()
  ids.colour = saveDataset(db, {
    ...syntheticDataset({ size: 32, channels: 3, classes: 10, train: 10, validation: 60 }),
    name: 'colour'
  })
  ids.grey = saveDataset(db, {
    ...syntheticDataset({ size: 28, channels: 1, classes: 10, train: 10, validation: 30 }),
    name: 'grey'
  })
  const store = (name: string, shape: [number, number, number], datasetId: number) => {
    const net = buildModel('cnn', shape, 10, { seed: 3, name })
    const id = saveModel(db, {
      name,
      architecture: net.architecture,
      weights: net.exportWeights(),
      datasetId,
      status: 'ready'
    })
    net.dispose()
    return id
  }
  ids.greyModel = store('grey cnn', [28, 28, 1], ids.grey)
  ids.trained = store('colour cnn', [32, 32, 3], ids.colour)
  p.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('ortholens model import (ONNX)', () => {
  it('imports with every preprocessing flag, prints the accuracy and stores the declaration', async () => {
    const names = join(dir, 'classes.txt')
    writeFileSync(names, Array.from({ length: 10 }, (_, k) => `class ${k}`).join('\n'))
    const { code, text } = await cli([
      'model', 'import', file,
      '--path', join(FIXTURE_DIR, 'cifar-opset17.onnx'),
      '--name', 'cifar from pytorch',
      '--dataset', String(ids.colour),
      '--layout', 'nchw', '--size', '32x32', '--channel-order', 'rgb', '--scale', '1',
      '--mean', '0,0,0', '--std', '1,1,1', '--class-names', names, '--eval-images', '50'
    ]) // prettier-ignore
    expect(code).toBe(0)
    expect(text).toMatch(
      /^Imported "cifar from pytorch" as model (\d+) \(ONNX\): 32x32x3 images, 10 classes, [\d,]+ weights\nAccuracy on "colour": \d+\.\d % of 50 validation images/
    )
    const id = Number(/as model (\d+)/.exec(text)![1])
    const p = openProject(file, { readonly: true })
    const m = loadModel(p.db, id)
    p.close()
    expect((m.architecture as { preprocessing: unknown }).preprocessing).toEqual({
      layout: 'NCHW',
      size: [32, 32],
      channels: 3,
      channelOrder: 'RGB',
      valueScale: 1,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      classNames: Array.from({ length: 10 }, (_, k) => `class ${k}`)
    })
    expect(m.metrics).toMatchObject({ accuracyImages: 50 })
  })

  it('names the flag at fault', async () => {
    const path = join(FIXTURE_DIR, 'cifar-opset17.onnx')
    const refused = (extra: string[]) =>
      main(['model', 'import', file, '--path', path, ...extra, '--backend', 'cpu', '--quiet'])
    await expect(refused(['--layout', 'chwn'])).rejects.toThrow(
      '--layout: must be one of "NCHW", "NHWC"'
    )
    await expect(refused(['--size', '0x32'])).rejects.toThrow(
      '--size (preprocessing.size.height): must be between 1 and 4096'
    )
    await expect(refused(['--size', 'big'])).rejects.toThrow('--size must be an integer, got "big"')
    await expect(refused(['--scale', '100'])).rejects.toThrow('--scale: must be one of 1, 255')
    await expect(refused(['--std', '0.2,0,0.2'])).rejects.toThrow(
      '--std (preprocessing.std[1]): must be between 1e-9 and 1000000'
    )
    await expect(refused(['--class-names', 'missing/names.txt'])).rejects.toThrow(
      '--class-names: no file missing/names.txt'
    )
    // Checked by the engine against the file: the count of values, the class count.
    await expect(refused(['--mean', '0.5,0.5'])).rejects.toThrow(/mean needs 1 or 3 values/)
    await expect(refused(['--class-names', 'a,b,c'])).rejects.toThrow(
      /3 class names for a model with 10 outputs/
    )
  })

  const badFiles: [string, () => string, RegExp][] = [
    [
      'truncated',
      () => {
        const b = readFileSync(join(FIXTURE_DIR, 'squeezenet1_1-opset17.onnx'))
        return put('cut.onnx', b.subarray(0, 5000))
      },
      /cut\.onnx is not a readable ONNX model/
    ],
    ['opset 22', () => put('o22.onnx', encodeOnnx(tinyConv({ opset: 22 }))), /opset 22, newer/],
    [
      'missing external data',
      () => {
        const spec = tinyConv()
        spec.initializers[0] = floatTensor('W', [3, 2, 3, 3], values(54, 1), { location: 'w.bin' })
        return put('ext.onnx', encodeOnnx(spec))
      },
      /"w\.bin" does not exist next to the model/
    ],
    [
      'rank 2 input',
      () => put('r2.onnx', encodeOnnx(tinyConv({ inputs: [{ name: 'input', dims: ['N', 50] }] }))),
      /has rank 2/
    ],
    [
      'NaN weights',
      () => {
        const spec = tinyConv()
        spec.initializers[1] = floatTensor('B', [3], Float32Array.of(0, Number.NaN, 0))
        return put('nan.onnx', encodeOnnx(spec))
      },
      /initializer 'B' of nan\.onnx holds a non-finite value \(NaN at element 1\)/
    ],
    ['not ONNX', () => put('photo.onnx', 'GIF89a not a model'), /photo\.onnx is not/],
    [
      'a model of the other dataset',
      () => join(FIXTURE_DIR, 'cifar-opset11.onnx'),
      /Model "cifar-opset11" takes 32x32x3 images; dataset "grey" has 28x28x1/
    ]
  ]
  function put(name: string, bytes: Uint8Array | string): string {
    mkdirSync(join(dir, 'bad'), { recursive: true })
    writeFileSync(join(dir, 'bad', name), bytes)
    return join(dir, 'bad', name)
  }

  it.each(badFiles)(
    'refuses %s, the project file unchanged byte for byte',
    async (_w, make, msg) => {
      const path = make()
      const before = hash()
      await expect(
        main(['model', 'import', file, '--path', path, '--dataset', String(ids.grey), '--quiet'])
      ).rejects.toThrow(msg)
      expect(hash()).toBe(before)
      expect(existsSync(`${file}-wal`)).toBe(false)
    }
  )
})

describe('ortholens predict', () => {
  it('--json: PyTorch’s logits and predictions for the NumPy-written NCHW batch, and its gradient', async () => {
    const f = loadFixture('cifar-opset17')
    const { models } = await json<{ models: { id: number; name: string }[] }>([
      'project',
      'info',
      file
    ])
    const id = models.find((m) => m.name === 'cifar from pytorch')!.id
    const out = await json<{ logits: number[][]; predictions: number[]; gradient: number[][][][] }>(
      ['predict', file, '--model', String(id), '--input', join(NPY, 'cifar-opset17.nchw.npy'), '--gradient']
    ) // prettier-ignore
    expect(out.predictions).toEqual(f.predicted)
    const span = Math.max(...f.logits.flat()) - Math.min(...f.logits.flat())
    out.logits
      .flat()
      .forEach((v, i) => expect(Math.abs(v - f.logits.flat()[i]!)).toBeLessThan(1e-4 * span))
    expect(out.gradient).toHaveLength(4)
    expect(out.gradient[0]).toHaveLength(3) // NCHW, as given
    const human = await cli([
      'predict',
      file,
      '--model',
      String(id),
      '--input',
      join(NPY, 'cifar-opset17.nchw.npy')
    ])
    expect(human.text).toMatch(/image\s+prediction\s+logits/)
    expect(human.text).toMatch(
      new RegExp(`\\n0\\s+${f.predicted[0]} \\(class ${f.predicted[0]}\\)`)
    )
  })

  it('refuses a wrong layout and a float64 file with what to do', async () => {
    const run = (model: number, input: string, extra: string[] = []) =>
      main(['predict', file, '--model', String(model), '--input', input, ...extra, '--quiet'])
    await expect(run(ids.greyModel, join(NPY, 'cifar-opset17.nchw.npy'))).rejects.toThrow(
      'Model "grey cnn" takes 28x28x1 images, as an NHWC batch of shape (N, 28, 28, 1)'
    )
    await expect(run(ids.greyModel, join(NPY, 'float64.npy'))).rejects.toThrow(
      /float64\.npy: dtype <f8; Ortholens reads little-endian float32/
    )
    await expect(
      run(ids.greyModel, join(NPY, 'opzoo-opset17.nhwc.npy'), ['--layout', 'hwcn'])
    ).rejects.toThrow('--layout must be nhwc or nchw')
  })
})

describe('ortholens model export --out FILE.onnx', () => {
  it('writes ONNX that imports back and predicts what the model predicts', async () => {
    const out = join(dir, 'colour-cnn.onnx')
    const { text } = await cli([
      'model',
      'export',
      file,
      '--model',
      String(ids.trained),
      '--out',
      out
    ])
    expect(text).toMatch(
      /^Wrote .*colour-cnn\.onnx \(ONNX, opset 17; read back: max \|logit difference\|/
    )
    const back = await json<{ modelId: number }>([
      'model', 'import', file, '--path', out, '--name', 'round trip', '--dataset', String(ids.colour)
    ]) // prettier-ignore
    const input = join(NPY, 'cifar-opset17.nchw.npy')
    const a = await json<{ logits: number[][] }>([
      'predict',
      file,
      '--model',
      String(ids.trained),
      '--input',
      input,
      '--layout',
      'nchw'
    ])
    const b = await json<{ logits: number[][] }>([
      'predict',
      file,
      '--model',
      String(back.modelId),
      '--input',
      input
    ])
    b.logits.flat().forEach((v, i) => expect(v).toBeCloseTo(a.logits.flat()[i]!, 4))
  })
})

describe('a model of another dataset is refused by name', () => {
  it('attack sweep and saliency PGD: the model and the mismatch, not a tensor error', async () => {
    await expect(
      main([
        'attack', file, '--dataset', String(ids.grey), '--source', String(ids.greyModel),
        '--targets', String(ids.trained), '--attacks', 'fgsm', '--epsilons', '3', '--samples', '4', '--quiet'
      ]) // prettier-ignore
    ).rejects.toThrow(
      'Model "colour cnn" takes 32x32x3 images; dataset "grey" has 28x28x1: it cannot be the target here'
    )
    await expect(
      main([
        'saliency-pgd', file, '--dataset', String(ids.grey), '--source', String(ids.trained), '--count', '2', '--quiet'
      ]) // prettier-ignore
    ).rejects.toThrow(/Model "colour cnn" takes 32x32x3 images.*it cannot be the source here/)
  })

  it('--help lists the new commands and flags', async () => {
    const { text } = await cli(['--help'])
    expect(text).toMatch(/model import F --path model\.onnx\|DIR\|model\.json/)
    expect(text).toMatch(
      /--layout nchw\|nhwc\] \[--size HxW\] \[--channel-order rgb\|bgr\] \[--scale 1\|255\]/
    )
    expect(text).toMatch(
      /model export F --model ID --out FILE\.onnx\|DIR \[--format onnx\|layers\]/
    )
    expect(text).toMatch(
      /predict F --model ID --input X\.npy \[--layout nhwc\|nchw\] \[--gradient\]/
    )
  })
})
