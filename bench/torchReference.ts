/**
 * The PyTorch reference (shared/reference/torch_step_bench.py, beside the repository) run
 * round after round in one long-lived Python process (bench/torch_driver.py), so a short round
 * does not pay torch's ~2.5 s import each time; each round returns every timed step's wall and
 * process CPU time per path.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export type Path = 'ortho' | 'plain' | 'pgd10'
export const PATHS: Path[] = ['ortho', 'plain', 'pgd10']

/** One round's samples (ms), per path: wall time and process CPU time. */
export interface TorchRound {
  wall: Record<Path, number[]>
  cpu: Partial<Record<Path, number[]>>
}

const DRIVER = fileURLToPath(new URL('./torch_driver.py', import.meta.url))

/** A running reference process; `round` asks it for one run, `close` ends it. */
export class TorchReference {
  private proc: ChildProcessWithoutNullStreams
  private lines: Interface
  private pending: ((line: string | undefined) => void)[] = []

  constructor(python: string, reference: string) {
    this.proc = spawn(python, [DRIVER, reference], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.proc.stderr.resume() // its warnings must not fill a pipe nobody reads
    this.lines = createInterface({ input: this.proc.stdout })
    this.lines.on('line', (line) => this.pending.shift()?.(line))
    this.lines.on('close', () => {
      for (const resolve of this.pending.splice(0)) resolve(undefined)
    })
  }

  /** One run of the reference with `steps` timed steps per path; undefined if it failed. */
  async round(
    arch: string,
    batch: number,
    threads: number,
    steps: number
  ): Promise<TorchRound | undefined> {
    const args = ['--arch', arch, '--batch', batch, '--threads', threads, '--steps', steps].map(
      String
    )
    const line = await new Promise<string | undefined>((resolve) => {
      this.pending.push(resolve)
      this.proc.stdin.write(JSON.stringify(args) + '\n')
    })
    if (line === undefined) return undefined
    try {
      const j = JSON.parse(line) as Record<string, number | number[]>
      const wall = {} as Record<Path, number[]>
      const cpu: Partial<Record<Path, number[]>> = {}
      for (const p of PATHS) {
        // The reference's own minimum when the driver could not pair its timers.
        wall[p] = (j[`${p}_samples_ms`] as number[] | undefined) ?? [j[`${p}_ms`] as number]
        const c = j[`${p}_cpu_samples_ms`] as number[] | undefined
        if (c) cpu[p] = c
      }
      return { wall, cpu }
    } catch {
      return undefined
    }
  }

  close(): void {
    this.proc.stdin.end()
    this.proc.kill()
  }
}
