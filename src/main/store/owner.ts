/**
 * Who runs a run: 'host:pid'. Lets an open tell a run orphaned by a crash from one another
 * live process on this machine is still running.
 */
import { hostname } from 'node:os'

/** The owner tag of this process. */
export function currentOwner(): string {
  return `${hostname()}:${process.pid}`
}

/**
 * Whether the process behind an owner tag still runs. Only this machine's processes can be
 * checked; a run from another host (a project on a shared drive) counts as dead. A reused pid
 * can keep an orphan 'running' until a later open, which is the safe way to be wrong.
 */
export function ownerAlive(owner: string): boolean {
  const sep = owner.lastIndexOf(':')
  if (sep < 0 || owner.slice(0, sep) !== hostname()) return false
  const pid = Number(owner.slice(sep + 1))
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as { code?: string }).code === 'EPERM'
  }
}
