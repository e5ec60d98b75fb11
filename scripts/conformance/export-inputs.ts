/**
 * Writes every conformance case's inputs (test/main/engine/conformance/cases.ts) to a folder
 * for scripts/conformance/reference.py: cases.json (names, ops, parameters, shapes) and one
 * little-endian float32 file per array; model cases also get both networks' architecture and
 * weights, exported from buildModel with the case's seeds.
 *
 * Usage: npx tsx scripts/conformance/export-inputs.ts OUT_DIR   (make-fixtures.sh runs it)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { initBackend } from '../../src/main/engine/backend'
import { conformanceCases, inputChecksum } from '../../test/main/engine/conformance/cases'
import { modelsOf, weightChecksum } from '../../test/main/engine/conformance/run'

const out = process.argv[2]
if (!out) throw new Error('usage: export-inputs.ts OUT_DIR')
mkdirSync(out, { recursive: true })
await initBackend('cpu')

const index = conformanceCases().map((c, i) => {
  const arrays: Record<string, { shape: number[]; file: string }> = {}
  for (const [key, a] of Object.entries(c.inputs)) {
    const file = `case${i}-${key}.bin`
    writeFileSync(join(out, file), Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))
    arrays[key] = { shape: a.shape, file }
  }
  const entry: Record<string, unknown> = {
    name: c.name,
    op: c.op,
    params: c.params,
    inputs: arrays,
    checksum: inputChecksum(c)
  }
  if (c.op === 'model') {
    const { reference, net } = modelsOf(c)
    for (const [role, n] of [
      ['reference', reference],
      ['model', net]
    ] as const) {
      const w = n.exportWeights()
      const file = `case${i}-${role}-weights.bin`
      writeFileSync(
        join(out, file),
        Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)
      )
      entry[role] = { architecture: n.architecture, manifest: w.manifest, file }
    }
    entry.weightChecksum = weightChecksum(reference, net)
    reference.dispose()
    net.dispose()
  }
  return entry
})
writeFileSync(join(out, 'cases.json'), JSON.stringify(index, null, 1))
console.log(`wrote ${index.length} cases to ${out}`)
