/**
 * Who runs a run. An owner tag is `host:pid/t<thread>/<nonce>`: the process, the thread
 * (jobs run in worker threads of the app's one process) and a nonce unique to the run. It
 * lets an open tell a run orphaned by a crash, a kill or a full disk from one that is still
 * running, without ever touching a run another live process or thread may be running.
 *
 * Older projects hold plain `host:pid` tags; they are judged by the process alone.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { threadId } from 'node:worker_threads'

/** Nonces of the runs this thread started and has not finished (finishRun forgets them). */
const liveHere = new Set<string>()

/**
 * Worker threads of this process that this thread saw end (a job worker that crashed, or was
 * stopped after the close grace). Thread ids are never reused within a process, so a run
 * tagged with one of them can no longer be running.
 */
const endedThreads = new Set<number>()

/** The `host:pid` part shared by every run of this process. */
export function currentProcessTag(): string {
  return `${hostname()}:${process.pid}`
}

/**
 * The owner tag of this process (no thread, no run): what runs written by tests and older
 * versions carry. `newRunOwner` is what createRun uses.
 */
export function currentOwner(): string {
  return currentProcessTag()
}

/** A fresh owner tag for a run this thread starts; alive here until `releaseRunOwner`. */
export function newRunOwner(): string {
  const nonce = randomBytes(6).toString('hex')
  liveHere.add(nonce)
  return `${currentProcessTag()}/t${threadId}/${nonce}`
}

/** The run behind `owner` has ended in this thread (whether or not its end could be saved). */
export function releaseRunOwner(owner: string): void {
  const parts = owner.split('/')
  if (parts.length === 3) liveHere.delete(parts[2] as string)
}

/**
 * Tells this thread that worker thread `id` of this process has ended (its `exit` event): its
 * runs still 'running' are orphans, and the next reconciliation here marks them interrupted.
 * The thread that owns the Worker object is the only one that can know.
 */
export function markThreadEnded(id: number): void {
  if (Number.isInteger(id) && id > 0 && id !== threadId) endedThreads.add(id)
}

function processAlive(tag: string): boolean {
  const sep = tag.lastIndexOf(':')
  if (sep < 0 || tag.slice(0, sep) !== hostname()) return false
  const pid = Number(tag.slice(sep + 1))
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as { code?: string }).code === 'EPERM'
  }
}

/**
 * Whether the run behind an owner tag may still be running. Only this machine's processes can
 * be checked; a run from another host (a project on a shared drive) counts as dead.
 * - another process: alive while that pid exists (a reused pid keeps an orphan 'running'
 *   until a later open, which is the safe way to be wrong);
 * - this process, another thread: alive (a thread cannot see another's jobs), unless this thread
 *   saw that thread end (markThreadEnded: the job queue, for the workers it started);
 * - this thread: alive only while the run is in `liveHere`, so a job whose end could not be
 *   written (a full disk) is reconciled by the next open in the same thread, and a tag left by
 *   an earlier process that had this same pid is recognised as dead.
 */
export function ownerAlive(owner: string): boolean {
  const parts = owner.split('/')
  const tag = parts[0] as string
  if (!processAlive(tag)) return false
  if (parts.length !== 3 || tag !== currentProcessTag()) return true
  if (parts[1] !== `t${threadId}`) return !endedThreads.has(Number(parts[1]?.slice(1)))
  return liveHere.has(parts[2] as string)
}
