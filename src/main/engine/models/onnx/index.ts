/**
 * ONNX import and export (SPEC §2.11). What the integration calls:
 *  - importOnnxModel(path, { preprocessing }) → { architecture, weights, warnings, info }: store
 *    `architecture` (JSON, arch 'onnx') and `weights` (SerializedWeights) as any model;
 *  - onnxModelFromStored(architecture, weights, { id, name }) → OnnxModel (a StagedClassifier);
 *  - exportOnnxModel(network, file) writes a zoo model as .onnx (checked by re-import).
 */
export { OnnxImportError } from './errors'
export {
  importOnnxModel,
  onnxModelFromStored,
  type ImportedOnnxModel,
  type OnnxImportOptions
} from './import'
export { OnnxModel, isOnnxArchitecture, type OnnxArchitecture } from './model'
export { IMAGENET_PREPROCESSING, parseClassNames, type OnnxPreprocessing } from './preprocessing'
export { MIN_OPSET, MAX_OPSET } from './parse'
export {
  exportOnnxModel,
  networkToOnnx,
  EXPORT_OPSET,
  type ExportedOnnxModel,
  type OnnxExportOptions
} from './export'
export { ONNX_OPERATORS } from './ops'
