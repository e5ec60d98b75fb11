/** The project file: one SQLite database per project (SPEC §2.1). */
export { ProjectFileError, RecordNotFoundError, type ProjectFileErrorCode } from './errors'
export type { ReadableDb, WritableDb } from './db'
export { inTransaction } from './db'
export {
  createProject,
  openProject,
  defaultProjectName,
  type ProjectDb,
  type OpenProjectOptions
} from './open'
export { inspectProjectFile, type ProjectFileInfo } from './inspect'
export { saveProjectAs } from './save-as'
export { LATEST_SCHEMA_VERSION } from './migrations/index'
export * from './repos/meta'
export * from './repos/datasets'
export * from './repos/models'
export * from './repos/runs'
export * from './repos/gallery'
export * from './repos/lifecycle'
export * from './recent'
export { currentOwner, markThreadEnded } from './owner'
