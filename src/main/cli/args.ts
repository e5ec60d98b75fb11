/**
 * Command-line flags → the contract's requests. A command declares which flag fills which
 * request field; the request is then validated by the same schema the window's requests pass
 * (contract/requests.ts), so a value the window refuses is refused here too, with a message
 * that names the flag.
 */
import { parseArgs, type Args, type Channel } from '../../contract/requests'
import { ValidationError } from '../../contract/validate'

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>

/**
 * How a flag's text becomes a field value: `int`/`number` parse one number, `ints` a comma
 * list of integers, `list` a comma list of words, `percents` a comma list of percentages
 * (the figures' unit) stored as fractions of the dynamic range.
 */
export type FlagKind = 'string' | 'int' | 'number' | 'ints' | 'list' | 'percents'

export interface Flag {
  /** The request field the flag fills. */
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
  }
}

/** The raw request a command's flags describe (fields of absent flags are left out). */
export function fieldsFromFlags(flags: Flags, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, f] of Object.entries(flags)) {
    const v = values[name]
    if (typeof v === 'string') out[f.field] = flagValue(name, f.kind, v)
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
    const field = err.path.split(/[.[]/)[0] ?? ''
    const name = Object.entries(flags).find(([, f]) => f.field === field)?.[0]
    const where = name ? `--${name}` : err.path || 'the request'
    if (/got undefined$/.test(err.reason)) throw new UsageError(`${where} is required`)
    throw new UsageError(
      `${where}${name && err.path !== field ? ` (${err.path})` : ''}: ${err.reason}`
    )
  }
}

/** The validated request of `channel` that a command's flags describe. */
export function requestFromFlags<C extends Channel>(
  channel: C,
  flags: Flags,
  values: Values,
  fixed: Record<string, unknown> = {}
): Args<C> {
  return validated(channel, { ...fieldsFromFlags(flags, values), ...fixed }, flags)
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
