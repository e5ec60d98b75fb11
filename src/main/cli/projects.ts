/** Opening the project file a command works on, and closing it whatever happens. */
import { openProject, type ProjectDb } from '../store'
import { UsageError } from './args'

/** Runs `fn` on the project at `file`, opened read-write (`write`) or read-only. */
export function withProject<T>(
  file: string | undefined,
  write: boolean,
  fn: (p: ProjectDb) => Promise<T> | T
): Promise<T> {
  if (!file) throw new UsageError('a project file is required')
  const project = openProject(file, { readonly: !write })
  return Promise.resolve(fn(project)).finally(() => project.close())
}
