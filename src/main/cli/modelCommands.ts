/**
 * `model import` and `model export`: models in and out of a project as ONNX files (PyTorch's
 * torch.onnx.export, tf2onnx …) or TF.js Layers folders, through the window's requests.
 */
import type { ModelImportResult } from '../services/modelImport'
import { commitModelImport, importModel, prepareModelImport } from '../services/modelImport'
import { exportModelFiles } from '../services/modelFiles'
import { ProjectFileError } from '../store'
import { flag, type Values } from './args'
import { command, dataset, type CommandRunner } from './command'
import { pctCi } from './output'
import { withProject } from './projects'

const grouped = (n: number): string => n.toLocaleString('en-US')

/** What an import printed for people. */
function importText(r: ModelImportResult): string {
  const lines = [
    `Imported "${r.name}" as model ${r.modelId} (${r.format === 'onnx' ? 'ONNX' : 'TF.js Layers'}): ${r.inputShape.join('x')} images, ${r.numClasses} classes, ${grouped(r.parameterCount)} weights`
  ]
  if (r.evaluation) {
    lines.push(
      `Accuracy on "${r.evaluation.datasetName}": ${pctCi(r.evaluation.accuracy, r.evaluation.images)} of ${grouped(r.evaluation.images)} validation images` +
        (r.evaluation.accuracy < 2 / r.numClasses
          ? ' — near chance: check the declared preprocessing (layout, channel order, scale, mean/std)'
          : '')
    )
  }
  return [...lines, ...r.warnings.map((w) => `  note: ${w}`)].join('\n')
}

/** `--out x.onnx` alone means ONNX; `--format` says so outright. */
function exportFormat(values: Values): Record<string, unknown> {
  if (values.format !== undefined) return {}
  return typeof values.out === 'string' && values.out.toLowerCase().endsWith('.onnx')
    ? { format: 'onnx' }
    : {}
}

export const MODEL_COMMANDS: Record<string, CommandRunner> = {
  'model import': command({
    channel: 'models.import',
    usage: `  model import F --path model.onnx|DIR|model.json [--name N] [--dataset ID] [--eval-images 1000]
          [--layout nchw|nhwc] [--size HxW] [--channel-order rgb|bgr] [--scale 1|255]
          [--mean a,b,c] [--std a,b,c] [--class-names FILE|a,b,c]
                          import an ONNX model (PyTorch, TensorFlow via tf2onnx …) or a TF.js Layers model.
                          ONNX: declare what the model expects (values the flags leave out come from the
                          file; --mean/--std in the model's scale, e.g. --mean 0.485,0.456,0.406
                          --std 0.229,0.224,0.225 for torchvision); images stay in [0, 1], so ε is a
                          share of the pixel range. With --dataset: refused unless its images and classes
                          fit, and its accuracy on that many validation images is printed and stored`,
    flags: {
      path: flag('path'),
      name: flag('name'),
      dataset,
      'eval-images': flag('evalLimit', 'int'),
      layout: flag('preprocessing.layout', 'upper'),
      size: flag('preprocessing.size', 'size'),
      'channel-order': flag('preprocessing.channelOrder', 'upper'),
      scale: flag('preprocessing.valueScale', 'int'),
      mean: flag('preprocessing.mean', 'numbers'),
      std: flag('preprocessing.std', 'numbers'),
      'class-names': flag('preprocessing.classNames', 'names')
    },
    // Read, check and evaluate on a read-only open, then store on a read-write one: a refused
    // import (bad file, a model that does not fit the dataset) leaves the project file as it was.
    async runOnFile(file, request, _values, ctx) {
      const hooks = { onProgress: ctx.progress }
      let result: ModelImportResult
      try {
        const prepared = await withProject(file, false, (p) =>
          prepareModelImport(p, request, hooks)
        )
        result = await withProject(file, true, (p) => commitModelImport(p, prepared))
      } catch (err) {
        // A project of an older version opens read-only only once upgraded: do it all in one go.
        if (!(err instanceof ProjectFileError) || err.code !== 'needs-upgrade') throw err
        result = await withProject(file, true, (p) => importModel(p, request, hooks))
      }
      ctx.emit(result, () => importText(result))
      return 0
    }
  }),

  'model export': command(
    {
      channel: 'models.export',
      usage: `  model export F --model ID --out FILE.onnx|DIR [--format onnx|layers]
                          write a model trained here as ONNX (opset 17, NCHW input in [0, 1], logits; read
                          by PyTorch, ONNX Runtime …) or as a TensorFlow.js Layers folder (model.json +
                          weights); --out ending in .onnx means ONNX`,
      flags: { model: flag('modelId', 'int'), out: flag('path'), format: flag('format') },
      extra: exportFormat,
      async run(project, request, _values, ctx) {
        const r = await exportModelFiles(project, request)
        const check = `read back: max |logit difference| ${r.maxAbsDiff.toExponential(1)}`
        ctx.emit(r, () =>
          r.format === 'onnx'
            ? `Wrote ${r.files[0]} (ONNX, opset 17; ${check})`
            : `Wrote ${r.files[0]} and ${r.files.length - 1} weight file(s) (${check})`
        )
        return 0
      }
    },
    []
  )
}
