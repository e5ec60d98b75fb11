import { vi } from 'vitest'
import { main } from '../../src/main/cli/index'

/**
 * Runs the command line in this process on the cpu backend, quietly (no progress lines), and
 * returns its exit code and what it printed on stdout, so a test reads what a user would.
 */
export async function runCli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = []
  const spy = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')))
  try {
    const code = await main([...args, '--backend', 'cpu', '--quiet'])
    return { code, out: lines.join('\n') }
  } finally {
    spy.mockRestore()
  }
}
