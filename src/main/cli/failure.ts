/**
 * What the command line prints when a command fails (issue 19, "plain messages"): the same
 * plain message the window shows, on stderr; the technical part (the file or field at fault,
 * an errno, a parser's or SQLite's own text, an unexpected error's stack) only with --verbose,
 * each on a line of its own under the message, as the window folds it under "Details".
 */
import { toErrorData } from '../jobs/errorData'
import { ProjectFileError } from '../store/errors'

/** Exit codes: 1 a refused or failed operation, 2 a usage mistake, 4 a project file refused. */
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
export const EXIT_PROJECT_FILE = 4

/** `--flag -1`: node's parser reads a dash as the next flag; joined as `--flag=-1` instead. */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity\b)/

/**
 * The arguments with every value flag followed by a negative number joined to it
 * (`--lambda -1` → `--lambda=-1`, `--mean -0.5,0.1` → `--mean=-0.5,0.1`), so that the value
 * reaches its flag's range check ("--lambda: must be between 0 and 1000") instead of being
 * taken for an unknown flag.
 */
export function joinNegativeValues(
  argv: readonly string[],
  valueFlags: ReadonlySet<string>
): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const next = argv[i + 1]
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined
    if (
      name !== undefined &&
      valueFlags.has(name) &&
      next !== undefined &&
      NEGATIVE_NUMBER.test(next)
    ) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

/** node:util's parse errors in words (they would otherwise say "ERR_PARSE_ARGS_…" things). */
export function usageTextOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return undefined
  const message = err instanceof Error ? err.message : String(err)
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1]
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}`.trim()
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /ambiguous/.test(message)
        ? `${option ?? 'an option'} needs a value; to give one starting with a dash, write ${option ?? '--option'}=-VALUE`
        : `${option ?? 'an option'} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}`
    default:
      return message.split('\n')[0]
  }
}

/** The text a failed command prints on stderr, and its exit code. */
export function failureReport(err: unknown, verbose: boolean): { text: string; exitCode: number } {
  const data = toErrorData(err)
  const lines = [`ortholens: ${data.message}`]
  if (verbose) {
    if (data.where) lines.push(`  where: ${data.where}`)
    if (data.technical) lines.push(`  details: ${data.technical}`)
    if (data.code === 'internal' && err instanceof Error && err.stack) lines.push(err.stack)
  } else if (data.code === 'internal') {
    lines.push('  (run the command again with --verbose to see the technical details)')
  }
  const exitCode = err instanceof ProjectFileError ? EXIT_PROJECT_FILE : EXIT_FAILED
  return { text: lines.join('\n'), exitCode }
}
