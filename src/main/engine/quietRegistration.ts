/**
 * tfjs warns on every kernel or gradient it sees registered a second time ("The kernel … is
 * already registered", "Overriding the gradient for …"). The engine's replacements do that on
 * purpose, so those calls run with console.warn muted; anything else still warns.
 */
export function withoutReregistrationWarnings<T>(register: () => T): T {
  const warn = console.warn
  console.warn = () => {}
  try {
    return register()
  } finally {
    console.warn = warn
  }
}
