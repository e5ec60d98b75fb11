/** Every hostile family, and the writing of a campaign's cases. */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { datasetFamilies } from './datasetFamilies'
import { imageFamilies } from './imageFamilies'
import { modelFamilies, projectFamilies } from './modelFamilies'
import { onnxFamilies } from './onnxFamilies'
import type { Family, HostileCase } from './types'

export const FAMILIES: Family[] = [
  ...imageFamilies,
  ...datasetFamilies,
  ...modelFamilies,
  ...onnxFamilies,
  ...projectFamilies
]

/** Cases of every family: `perFamily` caps each (the CI sample), undefined takes `count`. */
export function writeCases(
  root: string,
  template: string,
  options: { perFamily?: number; seedBase?: number } = {}
): HostileCase[] {
  const outside = join(root, 'outside')
  mkdirSync(outside, { recursive: true })
  const cases: HostileCase[] = []
  for (const family of FAMILIES) {
    const n = Math.min(family.count, options.perFamily ?? family.count)
    for (let i = 0; i < n; i++) {
      const seed = (options.seedBase ?? 1000) + i
      const dir = join(root, 'cases', `${family.name}-${seed}`)
      mkdirSync(dir, { recursive: true })
      cases.push(family.make(dir, seed, { outside, template }))
    }
  }
  return cases
}

export type { CaseResult, Family, HostileCase, Outcome } from './types'
export { FAILURES } from './types'
export { isFailure, makeProjectTemplate, makeRichProject, runHostileCase } from './runCase'
