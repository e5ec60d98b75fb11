/**
 * The one error type of ONNX import and export. Its message says what is wrong and where (the
 * file, the node with its operator and opset, the tensor), because an analyst reads it, not
 * a stack trace; `detail` keeps technical specifics (a parser's own text, an errno) for the
 * "details" view and the log, out of the message.
 */
export class OnnxImportError extends Error {
  override readonly name = 'OnnxImportError'
  readonly detail?: string
  constructor(message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options)
    if (options?.detail !== undefined) this.detail = options.detail
  }
}
