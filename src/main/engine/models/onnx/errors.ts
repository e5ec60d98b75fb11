/**
 * The one error type of ONNX import and export. Its message says what is wrong and where (the
 * file, the node with its operator and opset, the tensor), because an analyst reads it, not
 * a stack trace.
 */
export class OnnxImportError extends Error {
  override readonly name = 'OnnxImportError'
}
