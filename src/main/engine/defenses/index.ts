/**
 * The defense registry, in Table 6.3's row order. Registering an id twice throws.
 */
import type { Tensor4D } from '../tf'
import { bilateralDefense } from './bilateral'
import { bitDepth } from './bitDepth'
import { jpegDefense } from './jpeg'
import { tvmDefense } from './tvm'
import type { DefenseDefinition, FloatImageBatch } from './types'

export type { DefenseDefinition, DefenseParamSpec, FloatImageBatch } from './types'

const registry = new Map<string, DefenseDefinition>()

export function registerDefense(def: DefenseDefinition): void {
  if (registry.has(def.id)) throw new Error(`Defense "${def.id}" is already registered`)
  registry.set(def.id, def)
}

for (const def of [jpegDefense, tvmDefense, bitDepth, bilateralDefense]) registerDefense(def)

export function listDefenses(): DefenseDefinition[] {
  return [...registry.values()]
}

export function getDefense(id: string): DefenseDefinition {
  const def = registry.get(id)
  if (!def) throw new Error(`Unknown defense "${id}" (known: ${[...registry.keys()].join(', ')})`)
  return def
}

/** Applies defense `id` with parameter `value` to [0, 1] images; returns a new tensor. */
export function applyDefense(id: string, x: Tensor4D | FloatImageBatch, value: number): Tensor4D {
  return getDefense(id).apply(x, value)
}

/** One row of the defense table: a defense and its parameter value. */
export interface DefenseVariant {
  defenseId: string
  value: number
  label: string
}

/** Every (defense, value) pair Table 6.3 reports, in its order. */
export function tableVariants(): DefenseVariant[] {
  return listDefenses().flatMap((d) =>
    d.param.tableValues.map((value) => ({ defenseId: d.id, value, label: d.label(value) }))
  )
}
