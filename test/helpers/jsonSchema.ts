/**
 * A JSON Schema (draft-07) validator for the keywords electron-builder's schema uses, so the
 * packaging configuration is checked without installing electron-builder. A keyword it does
 * not know is an error, not a pass: a newer vendored schema that needs more fails loudly.
 */
type Schema = Record<string, unknown> | boolean

const KNOWN = new Set([
  '$schema',
  '$comment',
  '$ref',
  'definitions',
  'type',
  'enum',
  'const',
  'anyOf',
  'properties',
  'additionalProperties',
  'required',
  'items',
  'minItems',
  'maxItems',
  // An annotation for editors; electron-builder reads these strings as it likes.
  'format'
])

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

function typeMatches(expected: string, v: unknown): boolean {
  const t = typeOf(v)
  return t === expected || (expected === 'number' && t === 'integer')
}

/** Errors of `value` against `schema` ('$.linux.target: …'); empty when it is valid. */
export function validateJson(
  schema: Schema,
  value: unknown,
  root: Schema = schema,
  path = '$'
): string[] {
  if (schema === true) return []
  if (schema === false) return [`${path}: not allowed`]
  for (const k of Object.keys(schema))
    if (!KNOWN.has(k)) throw new Error(`schema keyword "${k}" at ${path} is not supported`)
  const errors: string[] = []
  if (typeof schema.$ref === 'string') {
    const name = /^#\/definitions\/(.+)$/.exec(schema.$ref)?.[1]
    const target =
      name !== undefined
        ? (root as Record<string, Record<string, Schema>>).definitions?.[name]
        : undefined
    if (target === undefined) throw new Error(`unresolved $ref ${schema.$ref}`)
    errors.push(...validateJson(target, value, root, path))
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string]
    if (!types.some((t) => typeMatches(t, value)))
      return [...errors, `${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`]
  }
  if (
    Array.isArray(schema.enum) &&
    !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))
  )
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`)
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value))
    errors.push(`${path}: must be ${JSON.stringify(schema.const)}`)
  if (Array.isArray(schema.anyOf)) {
    const branches = (schema.anyOf as Schema[]).map((s) => validateJson(s, value, root, path))
    if (!branches.some((b) => b.length === 0)) {
      const closest = branches.reduce((a, b) => (b.length < a.length ? b : a))
      errors.push(
        `${path}: matches none of ${branches.length} allowed forms; closest: ${closest.join('; ')}`
      )
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>
    const props = (schema.properties ?? {}) as Record<string, Schema>
    for (const r of (schema.required ?? []) as string[])
      if (!(r in obj)) errors.push(`${path}: "${r}" is required`)
    for (const [k, v] of Object.entries(obj)) {
      if (k in props) errors.push(...validateJson(props[k]!, v, root, `${path}.${k}`))
      else if (schema.additionalProperties === false)
        errors.push(`${path}: "${k}" is not a known option`)
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validateJson(schema.additionalProperties as Schema, v, root, `${path}.${k}`))
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      errors.push(`${path}: fewer than ${schema.minItems} items`)
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      errors.push(`${path}: more than ${schema.maxItems} items`)
    if (schema.items !== undefined && !Array.isArray(schema.items))
      value.forEach((v, i) =>
        errors.push(...validateJson(schema.items as Schema, v, root, `${path}[${i}]`))
      )
  }
  return errors
}

/**
 * Whether `path` (relative, forward slashes) matches a glob as electron-builder's minimatch
 * reads these patterns: `**` any number of folders, `*` and `?` within one name, `{a,b}`
 * alternatives. Other glob syntax is refused so a pattern is never silently misread.
 */
export function globMatches(pattern: string, path: string): boolean {
  // Character classes and extglobs (@(…), !(…), +(…) …) are not read here.
  if (/[[\]]|[?*+@!]\(/.test(pattern))
    throw new Error(`glob "${pattern}" uses syntax this check does not read`)
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*' && pattern[i + 1] === '*') {
      // "**/" matches zero or more folders; a trailing "**" anything below.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?'
        i += 2
      } else {
        re += '.*'
        i += 1
      }
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '{') re += '(?:'
    else if (c === '}') re += ')'
    else if (c === ',' && pattern.lastIndexOf('{', i) > pattern.lastIndexOf('}', i)) re += '|'
    else re += c.replace(/[.^$|\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`).test(path)
}
