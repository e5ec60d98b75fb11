/**
 * Child-process entry of the hostile campaign. Reads case indices, one a line, from stdin and
 * answers each with one JSON line: the case's result, its own time, and the process's peak
 * resident memory so far (process.resourceUsage().maxRSS: monotone, so it bounds the peak of
 * every case run in this process). With `--one <index>` it runs that case alone and exits
 * (the campaign's --isolated mode: each case's peak is then its own).
 * Usage: node case.mjs <cases.json> <work> <template> [--one <index>]
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { runHostileCase } from './runCase'
import type { HostileCase } from './types'

const [casesFile, work, template] = process.argv.slice(2) as [string, string, string]
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as HostileCase[]

async function runOne(index: number): Promise<void> {
  const result = await runHostileCase(cases[index]!, work, template)
  result.peakMb = Math.round(process.resourceUsage().maxRSS / 1024)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

async function main(): Promise<void> {
  const one = process.argv.indexOf('--one')
  if (one >= 0) return runOne(Number(process.argv[one + 1]))
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue
    await runOne(Number(line))
  }
}

main().then(
  // The wasm backend's worker threads would keep the process alive.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(70)
  }
)
