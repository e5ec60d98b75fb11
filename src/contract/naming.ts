/**
 * How a new or renamed dataset or model is named when its name is taken: the same rule on
 * both sides, so the window can say beforehand the name the main side will give.
 */

/** Names are capped at this length by the requests (contract/requests.ts). */
export const NAME_MAX = 200

/** Names compare without case and surrounding spaces: "Reference" and "reference " clash. */
function key(name: string): string {
  return name.trim().toLocaleLowerCase('en')
}

export interface UniqueName {
  name: string
  /** Set when the wanted name was taken, in words for the analyst. */
  warning?: string
}

/**
 * `wanted` when no name in `taken` clashes with it, else the first free "wanted (k)", k ≥ 2
 * (a "(k)" suffix already on `wanted` is replaced, so "X (2)" taken gives "X (3)", not
 * "X (2) (2)"). `what` names the thing in the warning ("dataset", "model").
 */
export function uniqueName(wanted: string, taken: Iterable<string>, what: string): UniqueName {
  const trimmed = wanted.trim()
  const used = new Set([...taken].map(key))
  if (!used.has(key(trimmed))) return { name: trimmed }
  const base = trimmed.replace(/ \(\d+\)$/, '')
  for (let k = 2; ; k++) {
    const suffix = ` (${k})`
    const name = base.slice(0, NAME_MAX - suffix.length) + suffix
    if (!used.has(key(name))) {
      return {
        name,
        warning: `A ${what} named "${trimmed}" already exists; this one is called "${name}".`
      }
    }
  }
}
