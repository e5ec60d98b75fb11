/** Datasets: list, import (a job), preview grid (SPEC §2.2). */
import { basename } from 'node:path'
import { ContractError } from '../../contract/errors'
import { getDatasetSummary, listDatasets } from '../store'
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
    const source = args.source
    // Only files the user picked reach the importer.
    if (source.kind === 'imageFolder' || source.kind === 'cifar10' || source.kind === 'auto')
      ctx.session.requirePicked(source.path)
    if (source.kind === 'idx') source.paths.forEach((p) => ctx.session.requirePicked(p))
    const label =
      source.kind === 'builtin'
        ? 'Import the built-in Fashion-MNIST sample'
        : `Import ${source.kind === 'idx' ? basename(source.paths[0]!) : basename(source.path)}`
    return jobs.enqueue('import-dataset', args, label)
  },

  'datasets.preview': ({ datasetId, split, offset, count }, ctx) => {
    const project = requireProject(ctx)
    if (!getDatasetSummary(project.db, datasetId))
      throw new ContractError('not-found', `No dataset with id ${datasetId}`)
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
