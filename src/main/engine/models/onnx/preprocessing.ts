/**
 * The preprocessing an imported model expects, declared at import and stored with it. It is
 * part of the model's forward pass: callers always feed NHWC float32 images in [0, 1], so an
 * attack's ε stays a fraction of the pixel range whatever the model was trained on (the
 * convention of torchattacks and ART). The model sees
 *   input = (channel_order(x · valueScale) - mean) / std   laid out as `layout`.
 */
import { tf, type Tensor, type Tensor4D } from '../../tf'
import { channelAffine } from '../../ops/channelAffine'
import { OnnxImportError } from './errors'

export interface OnnxPreprocessing {
  /** How the ONNX model's input is laid out: PyTorch exports NCHW; TensorFlow exports NHWC. */
  layout: 'NCHW' | 'NHWC'
  /** Input height and width, in pixels. */
  size: [number, number]
  /** 1 (grey) or 3 (colour) — or any count the model takes. */
  channels: number
  /** Channel order the model expects (BGR for Caffe-style models); images are stored RGB. */
  channelOrder: 'RGB' | 'BGR'
  /** Pixel range the model expects: 1 for [0, 1], 255 for [0, 255]. */
  valueScale: 1 | 255
  /** Per-channel mean and std, in the model's value scale and channel order (one value = all channels). */
  mean: number[]
  std: number[]
  /** Class names, in the order of the model's outputs (optional). */
  classNames?: string[]
}

/** ImageNet's statistics as torchvision's models expect them (0–1 scale, RGB). */
export const IMAGENET_PREPROCESSING: Pick<
  OnnxPreprocessing,
  'valueScale' | 'channelOrder' | 'mean' | 'std'
> = {
  valueScale: 1,
  channelOrder: 'RGB',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225]
}

/**
 * What the file itself says: the layout guessed from the input dims (a side of 1 or 3 is the
 * channel axis), its size, no scaling. An Ortholens export also stores its preprocessing in
 * the model's metadata, which wins.
 */
export function inferPreprocessing(
  dims: (number | string | null)[],
  metadata: Record<string, string>
): Partial<OnnxPreprocessing> {
  const stored = metadata['ortholens.preprocessing']
  if (stored) {
    try {
      return JSON.parse(stored) as Partial<OnnxPreprocessing>
    } catch {
      // An unreadable note is ignored; the dims below still apply.
    }
  }
  const [, a, b, c] = dims
  const isChannels = (v: unknown): boolean => v === 1 || v === 3
  const num = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined)
  const layout: OnnxPreprocessing['layout'] = isChannels(c) && !isChannels(a) ? 'NHWC' : 'NCHW'
  const [h, w, ch] = layout === 'NCHW' ? [b, c, a] : [a, b, c]
  const out: Partial<OnnxPreprocessing> = { layout, channelOrder: 'RGB', valueScale: 1 }
  if (num(h) && num(w)) out.size = [num(h)!, num(w)!]
  if (num(ch)) out.channels = num(ch)
  return out
}

/**
 * Completes and checks a declared preprocessing against the model's input dims. Every
 * message names the field at fault.
 */
export function resolvePreprocessing(
  declared: Partial<OnnxPreprocessing>,
  inferred: Partial<OnnxPreprocessing>,
  dims: (number | string | null)[],
  where: string
): OnnxPreprocessing {
  const fail = (why: string): never => {
    throw new OnnxImportError(`${where}: preprocessing: ${why}`)
  }
  const layout = declared.layout ?? inferred.layout ?? 'NCHW'
  if (layout !== 'NCHW' && layout !== 'NHWC')
    fail(`layout must be NCHW or NHWC, got ${String(layout)}`)
  const [fileH, fileW, fileC] =
    layout === 'NCHW' ? [dims[2], dims[3], dims[1]] : [dims[1], dims[2], dims[3]]
  const fixed = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined)
  const size =
    declared.size ??
    inferred.size ??
    (fixed(fileH) && fixed(fileW) ? [fixed(fileH)!, fixed(fileW)!] : undefined)
  if (!size)
    return fail('the model leaves its input size open; declare the size (height and width)')
  if (size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0 && v <= 4096))
    fail(`size must be two positive integers, got [${size.join(', ')}]`)
  if ((fixed(fileH) && fixed(fileH) !== size[0]) || (fixed(fileW) && fixed(fileW) !== size[1])) {
    fail(
      `declared size ${size.join('x')} differs from the model's input ${String(fileH)}x${String(fileW)} (layout ${layout}; is the layout right?)`
    )
  }
  const channels = declared.channels ?? fixed(fileC) ?? inferred.channels
  if (!channels || !Number.isInteger(channels) || channels < 1 || channels > 64)
    return fail(`channels must be a positive integer, got ${String(channels)}`)
  if (fixed(fileC) && fixed(fileC) !== channels)
    fail(
      `declared ${channels} channels, the model's input has ${String(fileC)} (layout ${layout}; is the layout right?)`
    )
  const channelOrder = declared.channelOrder ?? inferred.channelOrder ?? 'RGB'
  if (channelOrder !== 'RGB' && channelOrder !== 'BGR')
    fail(`channel order must be RGB or BGR, got ${String(channelOrder)}`)
  if (channelOrder === 'BGR' && channels !== 3) fail('BGR order needs 3 channels')
  const valueScale = declared.valueScale ?? inferred.valueScale ?? 1
  if (valueScale !== 1 && valueScale !== 255)
    fail(`value scale must be 1 (0–1) or 255 (0–255), got ${String(valueScale)}`)
  const perChannel = (v: number[] | undefined, fallback: number, name: string): number[] => {
    const list = v ?? [fallback]
    if (!Array.isArray(list) || (list.length !== 1 && list.length !== channels))
      fail(`${name} needs 1 or ${channels} values, got ${JSON.stringify(v)}`)
    if (!list.every((x) => typeof x === 'number' && Number.isFinite(x)))
      fail(`${name} must be finite numbers, got ${JSON.stringify(v)}`)
    return list.length === 1 ? new Array<number>(channels).fill(list[0]!) : list.slice()
  }
  const mean = perChannel(declared.mean ?? inferred.mean, 0, 'mean')
  const std = perChannel(declared.std ?? inferred.std, 1, 'std')
  if (std.some((s) => s <= 0)) fail(`std must be positive, got [${std.join(', ')}]`)
  const classNames = declared.classNames ?? inferred.classNames
  if (
    classNames !== undefined &&
    (!Array.isArray(classNames) || classNames.some((c) => typeof c !== 'string' || c.trim() === ''))
  ) {
    fail('class names must be non-empty strings')
  }
  const out: OnnxPreprocessing = {
    layout,
    size: [size[0]!, size[1]!],
    channels,
    channelOrder,
    valueScale,
    mean,
    std
  }
  if (classNames) out.classNames = classNames.slice()
  return out
}

/** Class names from a file's text: a JSON array of strings, or one name per line. */
export function parseClassNames(text: string, where: string): string[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch (err) {
      throw new OnnxImportError(
        `${where}: not valid JSON (a list of names in [ ] must be a JSON array)`,
        {
          cause: err,
          detail: (err as Error).message
        }
      )
    }
    if (!Array.isArray(parsed) || parsed.some((c) => typeof c !== 'string'))
      throw new OnnxImportError(`${where}: expected a JSON array of strings`)
    return parsed as string[]
  }
  const names = trimmed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  if (names.length === 0) throw new OnnxImportError(`${where} lists no class names`)
  return names
}

/** The per-channel affine that maps [0, 1] pixels to the model's input: x · a + b. */
export function affineOf(p: OnnxPreprocessing): { scale: Float32Array; shift: Float32Array } {
  const scale = new Float32Array(p.channels)
  const shift = new Float32Array(p.channels)
  for (let c = 0; c < p.channels; c++) {
    scale[c] = p.valueScale / p.std[c]!
    shift[c] = -p.mean[c]! / p.std[c]!
  }
  return { scale, shift }
}

/** Differentiable: NHWC [0, 1] images → the model's NHWC input values (before any layout change). */
export function normalise(
  x: Tensor4D,
  p: OnnxPreprocessing,
  scale: Tensor,
  shift: Tensor
): Tensor4D {
  const ordered = p.channelOrder === 'BGR' ? tf.reverse(x, 3) : x
  return channelAffine(ordered, scale, shift, false) as Tensor4D
}
