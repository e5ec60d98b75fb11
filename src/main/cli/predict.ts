/**
 * `ortholens predict F --model ID --input X.npy [--layout nhwc|nchw] [--gradient] [--json]`:
 * a stored model's logits on a float32 .npy batch of [0, 1] images (before the model's
 * normalisation), and with --gradient the input gradient of the cross-entropy at the
 * predicted class, in the input's layout — to compare Ortholens with PyTorch, TensorFlow or
 * ONNX Runtime on the very same images. Reads the project only.
 */
import { readNpyFile } from '../engine/data/npy'
import type { ProjectDb } from '../store'
import { predictBatch } from '../services/predict'
import { requireInt, requireString, UsageError, type Values } from './args'
import type { CliContext } from './command'
import { table } from './output'

export const PREDICT_USAGE = `  predict F --model ID --input X.npy [--layout nhwc|nchw] [--gradient]
                          logits and predicted classes of a float32 .npy batch of images in [0, 1]
                          (before the model's normalisation; np.save('x.npy', x.astype(np.float32)));
                          --gradient adds d cross-entropy(logits, prediction) / d input per image, in the
                          input's layout (--json prints every value). Default layout: an ONNX model's own
                          (NCHW for PyTorch exports), NHWC otherwise`

const fixed = (v: number): string => v.toFixed(4)

export async function predictCommand(
  project: ProjectDb,
  values: Values,
  ctx: CliContext
): Promise<number> {
  const modelId = requireInt(values, 'model')
  const path = requireString(values, 'input')
  const layoutFlag = values.layout
  if (layoutFlag !== undefined && !/^(nhwc|nchw)$/i.test(String(layoutFlag)))
    throw new UsageError(`--layout must be nhwc or nchw, got "${String(layoutFlag)}"`)
  const layout = layoutFlag ? (String(layoutFlag).toUpperCase() as 'NHWC' | 'NCHW') : undefined
  const input = readNpyFile(path)
  const r = predictBatch(project, modelId, input, {
    where: path,
    layout,
    gradient: Boolean(values.gradient)
  })
  const json = {
    logits: r.logits,
    predictions: r.predictions,
    ...(r.gradient ? { gradient: r.gradient } : {}),
    model: { id: r.modelId, name: r.modelName },
    layout: r.layout,
    ...(r.classNames ? { classNames: r.classNames } : {})
  }
  ctx.emit(json, () => {
    const norms = r.gradient?.map((g) => Math.sqrt(g.flat(3).reduce((a, v) => a + v * v, 0)))
    const rows = r.logits.map((z, i) => [
      i,
      `${r.predictions[i]}${r.classNames ? ` (${r.classNames[i]})` : ''}`,
      ...(norms ? [norms[i]!.toExponential(3)] : []),
      z.map(fixed).join(' ')
    ])
    return [
      `Model "${r.modelName}" (id ${r.modelId}) on ${r.logits.length} image(s) of ${path} (${r.layout}, pixels in [0, 1]):`,
      table(['image', 'prediction', ...(norms ? ['|gradient|₂'] : []), 'logits'], rows),
      ...(norms
        ? [
            'The gradient is d cross-entropy(logits, prediction) / d input, in the input’s layout; --json prints every value.'
          ]
        : [])
    ].join('\n')
  })
  return 0
}
