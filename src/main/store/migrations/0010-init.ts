/**
 * The first schema. STRICT tables so a wrong type is an error, not a silently coerced value.
 * JSON columns are TEXT checked with json_valid; typed arrays are BLOBs (see blobs.ts).
 * Timestamps are ISO-8601 UTC text.
 */
import type { Migration } from './types'

const schema = /* sql */ `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value))
) STRICT;

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  class_names TEXT NOT NULL CHECK (json_valid(class_names)),
  height INTEGER NOT NULL CHECK (height > 0),
  width INTEGER NOT NULL CHECK (width > 0),
  channels INTEGER NOT NULL CHECK (channels > 0),
  train_count INTEGER NOT NULL CHECK (train_count >= 0),
  validation_count INTEGER NOT NULL CHECK (validation_count >= 0),
  provenance TEXT NOT NULL CHECK (json_valid(provenance)),
  created_at TEXT NOT NULL
) STRICT;

-- Images in chunks (e.g. 1000 per row) so that no single read or write needs a whole
-- 150 MB CIFAR split in memory twice.
CREATE TABLE dataset_chunks (
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  split TEXT NOT NULL CHECK (split IN ('train', 'validation')),
  chunk INTEGER NOT NULL CHECK (chunk >= 0),
  first_index INTEGER NOT NULL,
  count INTEGER NOT NULL CHECK (count > 0),
  images BLOB NOT NULL,
  labels BLOB NOT NULL,
  PRIMARY KEY (dataset_id, split, chunk)
) STRICT;

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  architecture TEXT NOT NULL CHECK (json_valid(architecture)),
  weight_manifest TEXT NOT NULL CHECK (json_valid(weight_manifest)),
  weights BLOB NOT NULL,
  dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  reference_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  training_config TEXT CHECK (training_config IS NULL OR json_valid(training_config)),
  status TEXT NOT NULL CHECK (status IN ('training', 'ready', 'collapsed', 'cancelled', 'failed')),
  metrics TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX models_dataset ON models(dataset_id);
CREATE INDEX models_reference ON models(reference_model_id);

CREATE TABLE model_history (
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  train_loss REAL NOT NULL,
  train_accuracy REAL NOT NULL,
  val_accuracy REAL,
  delta REAL,
  penalty REAL,
  seconds REAL NOT NULL,
  extra TEXT CHECK (extra IS NULL OR json_valid(extra)),
  PRIMARY KEY (model_id, epoch)
) STRICT;

-- Only the best checkpoint per model is kept: one row, replaced when beaten.
CREATE TABLE model_checkpoints (
  model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  val_accuracy REAL NOT NULL,
  weight_manifest TEXT NOT NULL CHECK (json_valid(weight_manifest)),
  weights BLOB NOT NULL,
  saved_at TEXT NOT NULL
) STRICT;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
  config TEXT NOT NULL CHECK (json_valid(config)),
  seed INTEGER,
  backend TEXT NOT NULL,
  dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  progress_fraction REAL NOT NULL DEFAULT 0,
  progress_stage TEXT NOT NULL DEFAULT '',
  results TEXT CHECK (results IS NULL OR json_valid(results)),
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms INTEGER,
  -- 'host:pid' of the process running it, so an open can tell a crashed run from one that
  -- another process (the CLI beside the window) is still running.
  owner TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX runs_kind ON runs(kind, started_at);
CREATE INDEX runs_status ON runs(status);

-- The models a run used, in the order given (e.g. source, target).
CREATE TABLE run_models (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  PRIMARY KEY (run_id, position)
) STRICT;
CREATE INDEX run_models_model ON run_models(model_id);

CREATE TABLE gallery_items (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  sample_index INTEGER NOT NULL,
  label INTEGER NOT NULL,
  epsilon REAL NOT NULL,
  attack TEXT NOT NULL,
  height INTEGER NOT NULL,
  width INTEGER NOT NULL,
  channels INTEGER NOT NULL,
  original BLOB NOT NULL,
  adversarial BLOB NOT NULL,
  predictions TEXT NOT NULL CHECK (json_valid(predictions)),
  UNIQUE (run_id, position)
) STRICT;
`

export const migration0010: Migration = {
  version: 10,
  name: 'init',
  up(db) {
    db.exec(schema)
  }
}
