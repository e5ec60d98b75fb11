/** Reads the fixtures of scripts/make-onnx-fixtures.py (test/fixtures/onnx). */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { OnnxPreprocessing } from '../../../../../src/main/engine/models/onnx'

export const FIXTURE_DIR = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'onnx')

export interface Fixture {
  name: string
  path: string
  opset: number
  batch: number
  inputShape: [number, number, number]
  preprocessing: Partial<OnnxPreprocessing>
  operators: string[]
  logits: number[][]
  predicted: number[]
  /** NHWC images in [0, 1]. */
  input: Float32Array
  /** PyTorch's d CE(logits, predicted) / d input, NHWC. */
  gradient: Float32Array
}

function floats(path: string): Float32Array {
  const b = readFileSync(path)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

export function loadFixture(name: string): Fixture {
  const meta = JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as {
    opset: number
    batch: number
    inputShape: [number, number, number]
    layout: 'NCHW' | 'NHWC'
    preprocessing: {
      scale: '0-1' | '0-255'
      channelOrder: 'RGB' | 'BGR'
      mean: number[]
      std: number[]
    }
    operators: string[]
    logits: number[][]
    predicted: number[]
  }
  const p = meta.preprocessing
  return {
    name,
    path: join(FIXTURE_DIR, `${name}.onnx`),
    opset: meta.opset,
    batch: meta.batch,
    inputShape: meta.inputShape,
    preprocessing: {
      layout: meta.layout,
      valueScale: p.scale === '0-255' ? 255 : 1,
      channelOrder: p.channelOrder,
      mean: p.mean,
      std: p.std
    },
    operators: meta.operators,
    logits: meta.logits,
    predicted: meta.predicted,
    input: floats(join(FIXTURE_DIR, `${name}.input.bin`)),
    gradient: floats(join(FIXTURE_DIR, `${name}.gradient.bin`))
  }
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => f.replace(/\.onnx$/, ''))
    .sort()
}
