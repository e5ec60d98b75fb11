#!/usr/bin/env node
/**
 * Copies electron-builder's configuration schema (app-builder-lib's scheme.json, MIT) into
 * test/fixtures/electron-builder.schema.json, without its annotations (descriptions, titles,
 * defaults: 366 KB -> about 75 KB), so test/packaging/electronBuilder.test.ts can validate
 * electron-builder.json without electron-builder installed (279 packages, tens of MB of
 * platform binaries, for a check that needs one JSON file).
 *
 * Usage, on a machine with the npm registry, when moving to another electron-builder:
 *   npm pack app-builder-lib@<version>            (the version README "Packaging" names)
 *   tar xzf app-builder-lib-<version>.tgz
 *   node scripts/vendor-builder-schema.mjs package/scheme.json
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const source = process.argv[2]
if (!source) {
  console.error('usage: node scripts/vendor-builder-schema.mjs <app-builder-lib>/scheme.json')
  process.exit(2)
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const version = JSON.parse(readFileSync(join(dirname(source), 'package.json'), 'utf8')).version
const ANNOTATIONS = new Set([
  'description',
  'markdownDescription',
  'title',
  'default',
  'examples',
  'deprecated'
])

/** Drops annotation keywords from a schema, leaving property and definition names alone. */
function prune(schema) {
  if (Array.isArray(schema)) return schema.map(prune)
  if (typeof schema !== 'object' || schema === null) return schema
  const out = {}
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue
    if (key === 'properties' || key === 'definitions') {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, prune(s)]))
    } else if (key === 'enum' || key === 'const' || key === 'required') {
      out[key] = value
    } else {
      out[key] = prune(value)
    }
  }
  return out
}

const schema = prune(JSON.parse(readFileSync(source, 'utf8')))
const sorted = (v) =>
  Array.isArray(v)
    ? v.map(sorted)
    : typeof v === 'object' && v !== null
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted(v[k])])
        )
      : v
const out = join(root, 'test/fixtures/electron-builder.schema.json')
writeFileSync(
  out,
  JSON.stringify({
    $comment: `app-builder-lib ${version} scheme.json (MIT), annotations removed by scripts/vendor-builder-schema.mjs`,
    ...sorted(schema)
  }) + '\n'
)
console.log(`wrote ${out} (app-builder-lib ${version})`)
