/**
 * Command-line flags → the contract's requests. A command declares which flag fills which
 * request field; the request is then validated by the same schema the window's requests pass
 * (contract/requests.ts), so a value the window refuses is refused here too, with a message
 * that names the flag.
 */
import { readFileSync, statSync } from 'node:fs'
import { parseArgs, type Args, type Channel } from '../../contract/requests'
import { parseClassNames } from '../engine/models/onnx'
import { ValidationError } from '../../contract/validate'

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>

/**
 * How a flag's text becomes a field value: `int`/`number` parse one number, `ints` and
 * `numbers` a comma list of them, `list` a comma list of words, `percents` a comma list of
 * percentages (the figures' unit) stored as fractions of the dynamic range, `upper` a word in
 * capitals (nchw → NCHW), `size` HxW (or one side for both) as { height, width }, `names` a
 * file of names (one per line, or a JSON array) or a comma list, `boolean` yes/no (true/false,
 * on/off, 1/0).
 */
export type FlagKind =
  | 'string'
  | 'int'
  | 'number'
  | 'ints'
  | 'numbers'
  | 'list'
  | 'percents'
  | 'upper'
  | 'size'
  | 'names'
  | 'boolean'

export interface Flag {
  /** The request field the flag fills; a dotted path fills a nested one (preprocessing.mean). */
  field: string
  kind: FlagKind
}

/** A command's flags: flag name (without the dashes) → the field it fills. */
export type Flags = Record<string, Flag>

export const flag = (field: string, kind: FlagKind = 'string'): Flag => ({ field, kind })

function number(name: string, text: string, integer: boolean): number {
  const n = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${text}"`)
  }
  return n
}

function items(name: string, text: string): string[] {
  const list = text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
  if (list.length === 0) throw new UsageError(`--${name} needs at least one value`)
  return list
}

/** One flag's text as its field's value. */
export function flagValue(name: string, kind: FlagKind, text: string): unknown {
  switch (kind) {
    case 'string':
      return text
    case 'int':
      return number(name, text, true)
    case 'number':
      return number(name, text, false)
    case 'ints':
      return items(name, text).map((x) => number(name, x, true))
    case 'list':
      return items(name, text)
    case 'percents':
      return items(name, text).map((x) => +(number(name, x, false) / 100).toFixed(6))
    case 'numbers':
      return items(name, text).map((x) => number(name, x, false))
    case 'upper':
      return text.trim().toUpperCase()
    case 'size': {
      const sides = text
        .trim()
        .toLowerCase()
        .split(/\s*[x×,]\s*/)
      if (sides.length > 2 || sides[0] === '')
        throw new UsageError(`--${name} must be HEIGHTxWIDTH (e.g. 224x224), got "${text}"`)
      const [height, width = height] = sides.map((x) => number(name, x, true))
      return { height, width }
    }
    case 'names':
      return namesOf(name, text)
    case 'boolean': {
      const word = text.trim().toLowerCase()
      if (['yes', 'true', 'on', '1'].includes(word)) return true
      if (['no', 'false', 'off', '0'].includes(word)) return false
      throw new UsageError(`--${name} must be yes or no, got "${text}"`)
    }
  }
}

/** `--NAME FILE|a,b,c`: a file's names (one per line, or a JSON array) or the comma list itself. */
function namesOf(name: string, text: string): string[] {
  let isFile = false
  try {
    isFile = statSync(text).isFile()
  } catch {
    // Not a file: a list, unless it plainly names one.
  }
  if (isFile) {
    try {
      return parseClassNames(readFileSync(text, 'utf8'), text)
    } catch (err) {
      throw new UsageError(`--${name}: ${(err as Error).message}`)
    }
  }
  if (!text.includes(',') && /[/\\]|\.(txt|json|csv)$/i.test(text))
    throw new UsageError(`--${name}: no file ${text} (give a file of names or a comma list)`)
  return items(name, text)
}

/** Sets `value` at a dotted `path` of `target`, making the objects on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.')
  let at = target
  for (const key of keys.slice(0, -1)) {
    const next = at[key]
    at = (typeof next === 'object' && next !== null ? next : (at[key] = {})) as Record<
      string,
      unknown
    >
  }
  at[keys[keys.length - 1]!] = value
}

/** The raw request a command's flags describe (fields of absent flags are left out). */
export function fieldsFromFlags(flags: Flags, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, f] of Object.entries(flags)) {
    const v = values[name]
    if (typeof v === 'string') setPath(out, f.field, flagValue(name, f.kind, v))
  }
  return out
}

/**
 * Validates `raw` as `channel`'s request; a ValidationError becomes a UsageError naming the
 * flag (`--lambda: must be between 0 and 1000`, `--dataset is required`).
 */
export function validated<C extends Channel>(
  channel: C,
  raw: Record<string, unknown>,
  flags: Flags
): Args<C> {
  try {
    return parseArgs(channel, raw)
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    // The flag whose field is the longest prefix of the path at fault (preprocessing.mean[1]
    // → --mean, targetIds[0] → --targets).
    const at = err.path.replace(/\[\d+\]/g, '')
    const [name, f] =
      Object.entries(flags)
        .filter(([, f]) => at === f.field || at.startsWith(`${f.field}.`))
        .sort(([, a], [, b]) => b.field.length - a.field.length)[0] ?? []
    const field = f?.field ?? ''
    const where = name ? `--${name}` : err.path || 'the request'
    if (/got undefined$/.test(err.reason)) throw new UsageError(`${where} is required`)
    throw new UsageError(
      `${where}${name && err.path !== field ? ` (${err.path})` : ''}: ${err.reason}`
    )
  }
}

/**
 * The validated request of `channel` that a command's flags describe; `fixed` adds fields that
 * no flag fills one to one (a dotted key fills a nested field).
 */
export function requestFromFlags<C extends Channel>(
  channel: C,
  flags: Flags,
  values: Values,
  fixed: Record<string, unknown> = {}
): Args<C> {
  const raw = fieldsFromFlags(flags, values)
  for (const [path, value] of Object.entries(fixed)) setPath(raw, path, value)
  return validated(channel, raw, flags)
}

export function requireString(values: Values, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`)
  return v
}

export function optionalInt(values: Values, name: string): number | undefined {
  const v = values[name]
  return typeof v === 'string' ? (flagValue(name, 'int', v) as number) : undefined
}

export function requireInt(values: Values, name: string): number {
  const n = optionalInt(values, name)
  if (n === undefined) throw new UsageError(`--${name} is required`)
  return n
}

/** Drops undefined entries so they do not override defaults when spread. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
