/**
 * The hostile-input campaign (issue 19): families of corrupt and malicious inputs, each case
 * written into its own folder by a seeded generator, then run through the same entry points a
 * user reaches (the dataset import service; the model import through the engine, the import
 * service and the command line's `model import`; the project open).
 */

/** What a correct program does with the case. */
export type Expect = 'refuse' | 'accept' | 'either'

export interface HostileCase {
  family: string
  /** `<family>-<seed>`, stable for a seed. */
  id: string
  kind: 'dataset' | 'model' | 'project'
  /** Dataset cases: the import source, as the CLI and the window name it. */
  source?: 'imageFolder' | 'idx' | 'cifar10'
  /** Model cases: a TF.js Layers folder (the default) or an ONNX file. */
  format?: 'layers' | 'onnx'
  /** What is handed to the importer or to openProject. */
  path: string
  /** A refusal must name one of these (or `path`). */
  culprits: string[]
  expect: Expect
  options?: Record<string, unknown>
  /** On acceptance, the number of images (train + validation) the import must hold. */
  acceptedImages?: number
  /** What the case does, in a few words (for the table's notes). */
  note: string
}

export interface Family {
  name: string
  kind: HostileCase['kind']
  /** Cases of this family in the full campaign; the CI sample takes a few of each. */
  count: number
  /** Writes the case's files under `dir` (an empty folder, its own) and describes it. */
  make(dir: string, seed: number, ctx: CaseContext): HostileCase
}

export interface CaseContext {
  /** A folder outside every case, for links that lead out. */
  outside: string
  /** A closed, intact project file to copy (project cases). */
  template: string
}

/** The outcome of one case. */
export type Outcome =
  /** Refused with a message naming the file, in plain words; project byte-identical. */
  | 'refused-clear'
  /** Accepted, and a refusal was not required. */
  | 'accepted'
  /** A failure: refused without naming the file, or with internals in the message. */
  | 'refused-unclear'
  /** A failure: accepted although the input is broken. */
  | 'accepted-wrongly'
  /** A failure: the project file changed although the operation was refused. */
  | 'project-changed'
  /** A failure: the process died, hung past the time limit or passed the memory limit. */
  | 'crashed'
  | 'timeout'
  | 'over-memory'

export const FAILURES: readonly Outcome[] = [
  'refused-unclear',
  'accepted-wrongly',
  'project-changed',
  'crashed',
  'timeout',
  'over-memory'
]

export interface CaseResult {
  id: string
  family: string
  outcome: Outcome
  message?: string
  /** Why the outcome is a failure, when it is one. */
  why?: string
  ms: number
  /** Peak resident memory of the process running the case, in MB (child runs only). */
  peakMb?: number
}

/**
 * Library internals, errno codes and stack text that must never reach a user's message. "NaN"
 * is allowed only where a message names the non-finite value it found ("NaN or Inf", "NaN at
 * element 5"), not where a computation printed one.
 */
export const LEAK =
  /\b(E[A-Z]{4,}|SQLITE_[A-Z_]+|ERR_[A-Z_]+|Z_[A-Z_]+)\b|have should not go down|waitng|Unexpected token|Unexpected end of JSON|\bat [\w.<>]+ \(|\.(ts|js|mjs|cjs):\d+|\b\w*Error: |TypeError|RangeError|ReferenceError|SyntaxError|\bundefined\b|\bNaN\b(?! or Inf| at element)|\[object |Cannot read prop|is not a function|Maximum call stack|\bzlib\b|\binflate\b|invalid (stored|distance|code|block)|incorrect (header|data) check|unexpected end of file/
