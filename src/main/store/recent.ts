/**
 * The recent-projects list: a small JSON file in the settings directory the caller passes
 * (Electron's userData, or a CLI config dir). Newest first, at most MAX_RECENT, and files
 * that no longer exist are skipped. A missing or corrupt list reads as empty: losing it
 * must never stop the app from starting.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const MAX_RECENT = 10
const FILE_NAME = 'recent-projects.json'

export interface RecentEntry {
  /** Absolute path of the project file. */
  path: string
  name: string
  /** ISO time it was last opened. */
  openedAt: string
}

function listFile(settingsDir: string): string {
  return join(settingsDir, FILE_NAME)
}

function readRaw(settingsDir: string): RecentEntry[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(listFile(settingsDir), 'utf8'))
  } catch {
    return []
  }
  const items = (parsed as { projects?: unknown })?.projects
  if (!Array.isArray(items)) return []
  return items.filter(
    (p): p is RecentEntry =>
      typeof p === 'object' &&
      p !== null &&
      typeof (p as RecentEntry).path === 'string' &&
      typeof (p as RecentEntry).name === 'string' &&
      typeof (p as RecentEntry).openedAt === 'string'
  )
}

function writeRaw(settingsDir: string, projects: RecentEntry[]): void {
  mkdirSync(settingsDir, { recursive: true })
  const file = listFile(settingsDir)
  // Write then rename: a crash mid-write leaves the old list, not half a JSON file.
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify({ version: 1, projects }, null, 2))
  renameSync(tmp, file)
}

/** Recent projects that still exist, newest first. */
export function listRecentProjects(settingsDir: string): RecentEntry[] {
  return readRaw(settingsDir)
    .filter((p) => existsSync(p.path))
    .slice(0, MAX_RECENT)
}

/** Puts a project at the head of the list (once), dropping missing files and the oldest. */
export function addRecentProject(
  settingsDir: string,
  project: { path: string; name: string; openedAt?: string }
): RecentEntry[] {
  const path = resolve(project.path)
  const entry: RecentEntry = {
    path,
    name: project.name,
    openedAt: project.openedAt ?? new Date().toISOString()
  }
  const rest = readRaw(settingsDir).filter((p) => resolve(p.path) !== path && existsSync(p.path))
  const list = [entry, ...rest].slice(0, MAX_RECENT)
  writeRaw(settingsDir, list)
  return list
}

/** Removes a project from the list (e.g. the user chose "forget"). */
export function removeRecentProject(settingsDir: string, projectPath: string): RecentEntry[] {
  const path = resolve(projectPath)
  const list = readRaw(settingsDir).filter((p) => resolve(p.path) !== path)
  writeRaw(settingsDir, list)
  return list.filter((p) => existsSync(p.path))
}
