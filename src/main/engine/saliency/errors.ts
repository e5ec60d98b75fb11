/** A saliency request the model or the inputs cannot satisfy; the message says why, for the user. */
export class SaliencyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SaliencyError'
  }
}
