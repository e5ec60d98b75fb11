/**
 * A tiny runtime schema helper (no dependency): each schema parses `unknown` into its type or
 * throws a ValidationError naming the argument path. Objects are strict — an unknown key is an
 * error — because a payload from the renderer is untrusted input (SPEC §3 "Safe").
 */

export class ValidationError extends Error {
  readonly path: string
  /** The message without the path, e.g. "must be between 0 and 1000". */
  readonly reason: string
  constructor(path: string, reason: string) {
    super(`${path || 'args'}: ${reason}`)
    this.name = 'ValidationError'
    this.path = path
    this.reason = reason
  }
}

export interface Schema<T> {
  parse(value: unknown, path?: string): T
  /** Human-readable shape, used in error messages. */
  readonly describe: string
}

export type Infer<S> = S extends Schema<infer T> ? T : never

function schema<T>(describe: string, parse: (value: unknown, path: string) => T): Schema<T> {
  return { describe, parse: (value, path = '') => parse(value, path) }
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN'
  return typeof value
}

export interface StringOptions {
  min?: number
  max?: number
  pattern?: RegExp
}

function string(opts: StringOptions = {}): Schema<string> {
  const { min = 0, max = 4096, pattern } = opts
  return schema('string', (v, path) => {
    if (typeof v !== 'string')
      throw new ValidationError(path, `expected a string, got ${kindOf(v)}`)
    if (v.length < min) throw new ValidationError(path, `must have at least ${min} character(s)`)
    if (v.length > max) throw new ValidationError(path, `must have at most ${max} characters`)
    if (v.includes('\0')) throw new ValidationError(path, 'must not contain NUL characters')
    if (pattern && !pattern.test(v)) throw new ValidationError(path, `does not match ${pattern}`)
    return v
  })
}

export interface NumberOptions {
  min?: number
  max?: number
  int?: boolean
}

function number(opts: NumberOptions = {}): Schema<number> {
  const { min = -Number.MAX_VALUE, max = Number.MAX_VALUE, int = false } = opts
  return schema(int ? 'integer' : 'number', (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidationError(path, `expected a finite number, got ${kindOf(v)}`)
    }
    if (int && !Number.isInteger(v)) throw new ValidationError(path, 'must be an integer')
    if (v < min || v > max) throw new ValidationError(path, `must be between ${min} and ${max}`)
    return v
  })
}

/** An integer inside `limit` (a declared limit from limits.ts). */
function int(limit: { min: number; max: number }): Schema<number> {
  return number({ min: limit.min, max: limit.max, int: true })
}

function boolean(): Schema<boolean> {
  return schema('boolean', (v, path) => {
    if (typeof v !== 'boolean')
      throw new ValidationError(path, `expected a boolean, got ${kindOf(v)}`)
    return v
  })
}

function literal<const T extends readonly (string | number | boolean)[]>(
  ...values: T
): Schema<T[number]> {
  return schema(values.map((x) => JSON.stringify(x)).join(' | '), (v, path) => {
    if (!values.includes(v as T[number])) {
      throw new ValidationError(
        path,
        `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`
      )
    }
    return v as T[number]
  })
}

type Shape = Record<string, Schema<unknown>>
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never
}[keyof S]
type ObjectOf<S extends Shape> = {
  [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]>
} & { [K in OptionalKeys<S>]?: Infer<S[K]> }
type Flatten<T> = { [K in keyof T]: T[K] }

interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true
}

function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    describe: `${inner.describe}?`,
    parse: (v, path = '') => (v === undefined ? undefined : inner.parse(v, path))
  }
}

function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return schema(`${inner.describe} | null`, (v, path) => (v === null ? null : inner.parse(v, path)))
}

function object<S extends Shape>(shape: S): Schema<Flatten<ObjectOf<S>>> {
  return schema('object', (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new ValidationError(path, `expected an object, got ${kindOf(v)}`)
    }
    const input = v as Record<string, unknown>
    for (const key of Object.keys(input)) {
      if (!(key in shape)) throw new ValidationError(join(path, key), 'is not an accepted argument')
    }
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(shape)) {
      const parsed = inner.parse(input[key], join(path, key))
      if (parsed !== undefined) out[key] = parsed
    }
    return out as Flatten<ObjectOf<S>>
  })
}

function array<T>(inner: Schema<T>, opts: { min?: number; max?: number } = {}): Schema<T[]> {
  const { min = 0, max = 10_000 } = opts
  return schema(`${inner.describe}[]`, (v, path) => {
    if (!Array.isArray(v)) throw new ValidationError(path, `expected an array, got ${kindOf(v)}`)
    if (v.length < min) throw new ValidationError(path, `must have at least ${min} item(s)`)
    if (v.length > max) throw new ValidationError(path, `must have at most ${max} items`)
    return v.map((item, i) => inner.parse(item, join(path, i)))
  })
}

/** A union of object schemas told apart by a string tag, e.g. `{ kind: 'idx', … }`. */
function tagged<K extends string, M extends Record<string, Shape>>(
  tag: K,
  variants: M
): Schema<{ [V in keyof M]: Flatten<{ [P in K]: V } & ObjectOf<M[V]>> }[keyof M]> {
  const parsers = Object.fromEntries(
    Object.entries(variants).map(([name, shape]) => [
      name,
      object({ ...shape, [tag]: literal(name) } as Shape)
    ])
  )
  return schema(`tagged(${tag})`, (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new ValidationError(path, `expected an object, got ${kindOf(v)}`)
    }
    const name = (v as Record<string, unknown>)[tag]
    const parser = typeof name === 'string' ? parsers[name] : undefined
    if (!parser) {
      throw new ValidationError(
        join(path, tag),
        `must be one of ${Object.keys(variants).join(', ')}`
      )
    }
    return parser.parse(v, path) as never
  })
}

/**
 * Optional values under a fixed set of keys, e.g. per-attack settings keyed by attack name; an
 * unknown key is an error, as in `object`.
 */
function record<const K extends readonly string[], V>(
  keys: K,
  value: Schema<V>
): Schema<Partial<Record<K[number], V>>> {
  const shape = Object.fromEntries(keys.map((k) => [k, optional(value)])) as Shape
  const inner = object(shape)
  return schema(
    `{ ${keys.join(', ')} }`,
    (v, path) => inner.parse(v, path) as Partial<Record<K[number], V>>
  )
}

/**
 * A schema with a rule across fields (e.g. "a reference is needed when λ > 0"). `check` throws
 * a ValidationError naming the field at fault, relative to the value; the path is prefixed.
 */
function refine<T>(inner: Schema<T>, check: (value: T) => void): Schema<T> {
  return schema(inner.describe, (v, path) => {
    const value = inner.parse(v, path)
    try {
      check(value)
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new ValidationError(err.path ? join(path, err.path) : path, err.reason)
      }
      throw err
    }
    return value
  })
}

/** Schema builders. */
export const s = {
  string,
  number,
  int,
  boolean,
  literal,
  object,
  array,
  optional,
  nullable,
  tagged,
  record,
  refine
}
