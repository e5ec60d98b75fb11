/**
 * External tensor data (ONNX's `data_location: EXTERNAL`): a tensor's bytes in a file beside
 * the model. The location comes from the model file, which may be hostile, so it is resolved
 * only inside the model's own folder: no absolute path, no `..`, and a symbolic link may not
 * lead out of the folder (the real path is checked). Reads are bounded by the declared
 * length, which must fit inside the file, before anything is allocated.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'
import { OnnxImportError } from './errors'

export interface ExternalLocation {
  location: string
  offset: number
  /** Undefined: to the end of the file. */
  length?: number
}

/**
 * The real path of `location` under `modelDir`, or an OnnxImportError saying why it is not
 * acceptable (`where` names the tensor).
 */
export function confinedPath(modelDir: string, location: string, where: string): string {
  const refuse = (why: string): never => {
    throw new OnnxImportError(`${where}: external data location "${location}" ${why}`)
  }
  if (location === '' || location.includes('\0')) refuse('is empty or invalid')
  if (isAbsolute(location) || /^[A-Za-z]:/.test(location) || location.startsWith('\\')) {
    refuse("is an absolute path; external data must lie in the model's folder")
  }
  const parts = location.split(/[\\/]+/)
  if (parts.includes('..')) refuse('leaves the model\'s folder (".." is not allowed)')
  const realDir = realpathSync(modelDir)
  const candidate = join(realDir, ...parts)
  let real: string
  try {
    real = realpathSync(candidate)
  } catch {
    return refuse(`does not exist next to the model (${candidate})`)
  }
  const rel = relative(realDir, real)
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    refuse("leads out of the model's folder through a symbolic link")
  }
  if (!statSync(real).isFile()) refuse('is not a regular file')
  return real
}

/**
 * Reads `expectedBytes` bytes of external data. The declared offset and length must agree with
 * the tensor's size and lie inside the file: checked against the file's real size first.
 */
export function readExternal(
  modelDir: string,
  loc: ExternalLocation,
  expectedBytes: number,
  where: string
): Uint8Array {
  const path = confinedPath(modelDir, loc.location, where)
  const fileSize = statSync(path).size
  if (!Number.isSafeInteger(loc.offset) || loc.offset < 0) {
    throw new OnnxImportError(`${where}: external data offset ${loc.offset} is invalid`)
  }
  const length = loc.length ?? fileSize - loc.offset
  if (length !== expectedBytes) {
    throw new OnnxImportError(
      `${where}: external data in "${loc.location}" holds ${length} bytes, the tensor needs ${expectedBytes}`
    )
  }
  if (loc.offset + length > fileSize) {
    throw new OnnxImportError(
      `${where}: external data "${loc.location}" is ${fileSize} bytes, too short for ${length} bytes at offset ${loc.offset} (truncated?)`
    )
  }
  const out = new Uint8Array(length)
  const fd = openSync(path, 'r')
  try {
    let done = 0
    while (done < length) {
      const n = readSync(fd, out, done, length - done, loc.offset + done)
      if (n <= 0) throw new OnnxImportError(`${where}: external data "${loc.location}" ended early`)
      done += n
    }
  } finally {
    closeSync(fd)
  }
  return out
}
