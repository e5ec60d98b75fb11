/** Datasets: list, import (a job), preview grid (SPEC §2.2). */
import { basename } from 'node:path'
import { getDatasetSummary, listDatasets, RecordNotFoundError } from '../store'
import { imageSize } from '../engine/data/types'
import { encodePng, pngDataUrl, type PngChannels } from '../engine/render/png'
import { datasetOf } from '../services/datasets'
import { requireJobs, requireProject } from './context'
import { toDatasetSummary } from './mappers'
import type { Handlers } from './types'

export const datasetHandlers: Handlers<'datasets.list' | 'datasets.import' | 'datasets.preview'> = {
  'datasets.list': (_args, ctx) => {
    const project = requireProject(ctx)
    return listDatasets(project.db).map((d) => toDatasetSummary(project, d))
  },

  'datasets.import': (args, ctx) => {
    const jobs = requireJobs(ctx)
    const asked = args.source
    // Only files the user picked reach the importer, by their real paths (no link out).
    const source: typeof asked =
      asked.kind === 'builtin'
        ? asked
        : asked.kind === 'idx'
          ? { ...asked, paths: asked.paths.map((p) => ctx.session.requirePicked(p)) }
          : { ...asked, path: ctx.session.requirePicked(asked.path) }
    const label =
      asked.kind === 'builtin'
        ? 'Import the built-in Fashion-MNIST sample'
        : `Import ${asked.kind === 'idx' ? basename(asked.paths[0]!) : basename(asked.path)}`
    return jobs.enqueue('import-dataset', { ...args, source }, label)
  },

  'datasets.preview': ({ datasetId, split, offset, count }, ctx) => {
    const project = requireProject(ctx)
    if (!getDatasetSummary(project.db, datasetId))
      throw new RecordNotFoundError('dataset', datasetId)
    const ds = datasetOf(project, datasetId)
    const part = ds[split]
    const size = imageSize(ds)
    const out = []
    for (let i = offset; i < Math.min(part.count, offset + count); i++) {
      const label = part.labels[i]!
      out.push({
        index: i,
        label,
        className: ds.classNames[label] ?? String(label),
        src: pngDataUrl(
          encodePng(
            part.images.subarray(i * size, (i + 1) * size),
            ds.height,
            ds.width,
            ds.channels as PngChannels
          )
        )
      })
    }
    return out
  }
}
