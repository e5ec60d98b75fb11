/**
 * Model files a picked model.json points at (issue 19): weights only from inside the model's
 * folder, sizes checked before reading, declared layer sizes checked against the real weights
 * before anything is built.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { importLayersModel } from '../../../../src/main/engine/models/layersFormat'

let root: string
beforeAll(async () => {
  await initBackend('cpu')
  root = mkdtempSync(join(tmpdir(), 'ortholens-layers-confine-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** 6x6x2 -> Conv2D(filters) -> Flatten -> Dense(units), weights for 4 filters and 3 units. */
function writeModel(name: string, paths: string[], filters = 4, units = 3): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const json = {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'm',
        layers: [
          {
            class_name: 'Conv2D',
            config: {
              name: 'c1',
              filters,
              kernel_size: [3, 3],
              strides: [1, 1],
              padding: 'valid',
              activation: 'relu',
              use_bias: true,
              batch_input_shape: [null, 6, 6, 2]
            }
          },
          { class_name: 'Flatten', config: { name: 'flat' } },
          {
            class_name: 'Dense',
            config: { name: 'out', units, activation: 'linear', use_bias: true }
          }
        ]
      }
    },
    weightsManifest: [
      {
        paths,
        weights: [
          { name: 'c1/kernel', shape: [3, 3, 2, 4], dtype: 'float32' },
          { name: 'c1/bias', shape: [4], dtype: 'float32' },
          { name: 'out/kernel', shape: [64, 3], dtype: 'float32' },
          { name: 'out/bias', shape: [3], dtype: 'float32' }
        ]
      }
    ]
  }
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json))
  writeFileSync(
    join(dir, 'w.bin'),
    Buffer.from(Float32Array.from({ length: 271 }, (_, i) => Math.sin(i) * 0.1).buffer)
  )
  return dir
}

describe('weights only from inside the model folder', () => {
  it('the intact model imports', async () => {
    const m = await importLayersModel(writeModel('ok', ['w.bin']))
    expect(m.architecture.numClasses).toBe(3)
  })

  it('"../../dev/zero" is refused at once instead of read forever', async () => {
    const dir = writeModel('zero', ['../../../../../../../dev/zero'])
    await expect(importLayersModel(dir)).rejects.toThrow(
      `${join(dir, 'model.json')}: it lists "../../../../../../../dev/zero", a path that climbs out with ".."; only files inside its own folder are read`
    )
  })

  it('/etc/passwd is refused without its size (or anything of it) in the message', async () => {
    const dir = writeModel('passwd', ['/etc/passwd'])
    const err = (await importLayersModel(dir).catch((e: unknown) => e)) as Error
    expect(err.message).toMatch(/it lists "\/etc\/passwd", an absolute path/)
    expect(err.message).not.toContain(String(statSync('/etc/passwd').size))
  })

  it('a link to a file outside, or to a device, is refused', async () => {
    const out = writeModel('linkout', ['w2.bin'])
    writeFileSync(join(root, 'elsewhere.bin'), Buffer.alloc(271 * 4))
    symlinkSync(join(root, 'elsewhere.bin'), join(out, 'w2.bin'))
    await expect(importLayersModel(out)).rejects.toThrow(
      /it lists "w2.bin", a link that leads outside the folder/
    )
    const dev = writeModel('linkdev', ['w3.bin'])
    symlinkSync('/dev/zero', join(dev, 'w3.bin'))
    await expect(importLayersModel(dev)).rejects.toThrow(/a link that leads outside the folder/)
  })
})

describe('declared sizes against the real weights, before building', () => {
  it('a layer declaring 1,000,000 filters is refused naming it, without allocating them', async () => {
    const dir = writeModel('huge', ['w.bin'], 1_000_000)
    const before = process.memoryUsage().rss
    await expect(importLayersModel(dir)).rejects.toThrow(
      /layer "c1" declares weights of shape \[3, 3, 2, 1000000\] \(18,000,000 values\) for "c1\/kernel", but the weight files hold \[3, 3, 2, 4\] \(72 values\)/
    )
    // 18 M floats would be 72 MB, and the dense layer after it 64 G values.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024)
  })

  it('a manifest shape larger than the file is refused from the file size, before reading', async () => {
    const dir = writeModel('lying', ['w.bin'])
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))
    json.weightsManifest[0].weights[2].shape = [2 ** 20, 2 ** 20]
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json))
    await expect(importLayersModel(dir)).rejects.toThrow(
      /weight "out\/kernel" has an invalid or impossibly large shape/
    )
  })
})
