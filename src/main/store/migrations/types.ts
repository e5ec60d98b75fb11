import type { WritableDb } from '../db'

/** One schema step. `version` is what user_version becomes once it has run (10, 20, ...). */
export interface Migration {
  version: number
  name: string
  up(db: WritableDb): void
}
