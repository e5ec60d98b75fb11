/**
 * Exports that are pictures: a sweep's gallery (a labelled sheet, or a folder of 8-bit images
 * with a CSV manifest) and a chart the window drew. Every destination was picked by the user
 * (requirePicked) and every refusal is in plain words (services/exportFiles.ts).
 */
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { ContractError } from '../../contract/errors'
import {
  galleryFolderFiles,
  galleryForExport,
  gallerySheet
} from '../services/audits/galleryExport'
import { checkExportFile, prepareExportFolder, writeExportFile } from '../services/exportFiles'
import { requireProject } from './context'
import { requireRun } from './runResults'
import type { Handlers } from './types'

/** The first bytes of every PNG file. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export const exportHandlers: Handlers<'attacks.exportGallery' | 'charts.exportPng'> = {
  'attacks.exportGallery': ({ runId, path, as, attack, epsilon, scale }, ctx) => {
    const target = ctx.session.requirePicked(path)
    const project = requireProject(ctx)
    requireRun(project, runId, 'attack-sweep')
    if (as === 'sheet') checkExportFile(target)
    let found
    try {
      found = galleryForExport(project, runId, { attack, epsilon })
    } catch (err) {
      if (err instanceof RangeError) throw new ContractError('not-found', err.message, 'runId')
      throw err
    }
    if (as === 'sheet') {
      const sheet = gallerySheet(found.items, found.ctx, { scale })
      writeExportFile(target, sheet.png)
      return { path: target, files: [target], width: sheet.width, height: sheet.height }
    }
    const folder = prepareExportFolder(target)
    const written: string[] = []
    for (const [name, data] of galleryFolderFiles(found.items, found.ctx))
      written.push(writeExportFile(join(folder, name), data))
    return { path: folder, files: written }
  },

  'charts.exportPng': ({ path, png }, ctx) => {
    const target = ctx.session.requirePicked(path)
    const bytes = Buffer.from(png.replace(/^data:image\/png;base64,/, ''), 'base64')
    let size: { width: number; height: number }
    try {
      if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('no PNG signature')
      size = PNG.sync.read(bytes)
    } catch (err) {
      throw new ContractError(
        'invalid-args',
        'The chart could not be saved: the window sent a picture that is not a PNG.',
        'png',
        {
          technical: err instanceof Error ? err.message : String(err)
        }
      )
    }
    writeExportFile(target, bytes)
    return { path: target, files: [target], width: size.width, height: size.height }
  }
}
