/** Small helpers over node:util parseArgs that give messages naming the bad option. */
export class UsageError extends Error {}

export function requireString(values: Record<string, unknown>, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`)
  return v
}

export function optionalInt(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${String(v)}"`)
  return n
}

export function optionalNumber(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${String(v)}"`)
  return n
}

export function requireInt(values: Record<string, unknown>, name: string): number {
  const n = optionalInt(values, name)
  if (n === undefined) throw new UsageError(`--${name} is required`)
  return n
}

/** Drops undefined entries so they do not override defaults when spread. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
