/**
 * How the window writes a ratio with its 95 % interval (computed on the main side: Wilson over
 * images, or over seeds in a plan): "12.0 % [8.1–17.3]". The interval's ends are in percent too.
 */
export function percentCi(
  ratio: number | null | undefined,
  ci: readonly [number, number] | null | undefined,
  digits = 1
): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—'
  const p = (v: number): string => (100 * v).toFixed(digits)
  return ci ? `${p(ratio)} % [${p(ci[0])}–${p(ci[1])}]` : `${p(ratio)} %`
}

/** The tooltip that says what the bracket is. */
export const CI_TITLE = '95 % interval (Wilson over the images it rests on)'
