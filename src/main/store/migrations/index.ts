import { migration0010 } from './0010-init'
import type { Migration } from './types'

/** Every migration, oldest first. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [migration0010]

/** The schema version this code writes and understands. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version
