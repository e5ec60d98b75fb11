/**
 * Errors of reading user-chosen files. `message` is for the user: what is wrong, in words,
 * naming the file; `detail` keeps the technical reason (errno code, library text) for a
 * "details" view and the log, so that no `ENOENT` or library internals reach the message.
 */

export type FileAccessProblem =
  /** Nothing at that path. */
  | 'missing'
  /** A folder, a device, a pipe or a socket where a file was expected. */
  | 'not-a-file'
  /** The path, or a link on it, leads outside the folder it must stay in. */
  | 'outside-folder'
  /** Larger than the caller's limit. */
  | 'too-large'
  /** The system refused to read it (permissions, I/O error, ...). */
  | 'unreadable'

export class FileAccessError extends Error {
  override readonly name = 'FileAccessError'

  constructor(
    readonly problem: FileAccessProblem,
    /** The file as the user would recognise it (the path given, not a resolved link). */
    readonly file: string,
    /** The reason alone, without the file name. */
    readonly reason: string,
    readonly detail?: string
  ) {
    super(`${file}: ${reason}`)
  }
}

/** Plain words for an errno from node:fs, and the code for `detail`. */
export function describeFileError(err: unknown): {
  reason: string
  problem: FileAccessProblem
  detail: string
} {
  const code = String((err as { code?: unknown }).code ?? '')
  const detail = err instanceof Error ? err.message : String(err)
  switch (code) {
    case 'ENOENT':
      return { reason: 'the file does not exist (moved or deleted?)', problem: 'missing', detail }
    case 'ENOTDIR':
      return { reason: 'a part of the path is a file, not a folder', problem: 'missing', detail }
    case 'EACCES':
    case 'EPERM':
      return {
        reason: 'the system does not allow this program to read it (permissions)',
        problem: 'unreadable',
        detail
      }
    case 'EISDIR':
      return { reason: 'it is a folder, not a file', problem: 'not-a-file', detail }
    case 'ELOOP':
      return { reason: 'it is a link that loops back on itself', problem: 'unreadable', detail }
    case 'EMFILE':
    case 'ENFILE':
      return {
        reason: 'too many files are open at once; close some programs and try again',
        problem: 'unreadable',
        detail
      }
    case 'EIO':
      return { reason: 'the disk reported a read error', problem: 'unreadable', detail }
    case 'ENAMETOOLONG':
      return { reason: 'the path is too long', problem: 'unreadable', detail }
    default:
      return {
        reason: 'it could not be read',
        problem: 'unreadable',
        detail: code ? `${code}: ${detail}` : detail
      }
  }
}
