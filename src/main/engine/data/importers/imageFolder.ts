/**
 * ImageFolder (torchvision's layout): `root/<class>/...` holding .png/.jpg/.jpeg files (nested
 * folders included), class names = the
 * sub-folder names in code-point order. Also `root/train/<class>/…` with `root/val/<class>/…`
 * (or validation/, valid/, test/), which keeps that split.
 */
import { readdir, stat } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import { readFileBoundedAsync } from '../../io/bounded'
import { ConfinedFolder } from '../../io/confined'
import { ImportError, importErrorFrom } from '../errors'
import { conformImage, decodeImage } from '../imageOps'
import type { RawImage } from '../imageOps'
import { capPerClass } from '../split'
import {
  assembleDataset,
  BadFilePolicy,
  checkMemoryBudget,
  checkOptions,
  checkpoint,
  DEFAULT_SPLIT_SEED,
  PackedImages
} from './assemble'
import { isDirectory, listDir } from './fsProbe'
import type { DatasetImporter, ImportOptions } from './types'

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg'])
const VALIDATION_FOLDERS = ['val', 'validation', 'valid', 'test']
/** One image file is read whole: a PNG/JPEG of 4096×4096 is far below this. */
const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024

function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase())
}

function isHidden(name: string): boolean {
  return name.startsWith('.')
}

interface Walk {
  folder: ConfinedFolder
  policy: BadFilePolicy
  ignored: { count: number }
}

/**
 * Image files under `dir`, recursively, in code-point order; counts other files. A symbolic
 * link to a file is followed only when it resolves inside the chosen folder; a link leading out
 * is a bad file (the import stops, or it is listed under onBadFile 'skip'), never read. Links
 * to folders are not walked (inside: ignored, so no folder is read twice or in a loop; outside:
 * a bad file like any link out).
 */
async function listImages(dir: string, walk: Walk): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    walk.policy.handle(importErrorFrom(dir, err))
    return []
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const out: string[] = []
  for (const entry of entries) {
    if (isHidden(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isSymbolicLink()) {
      try {
        const real = walk.folder.resolveFound(path)
        if ((await stat(real)).isDirectory()) {
          walk.ignored.count++
          continue
        }
      } catch (err) {
        walk.policy.handle(importErrorFrom(path, err))
        continue
      }
      if (isImageName(entry.name)) out.push(path)
      else walk.ignored.count++
    } else if (entry.isDirectory()) out.push(...(await listImages(path, walk)))
    else if (isImageName(entry.name)) out.push(path)
    else walk.ignored.count++
  }
  return out
}

async function classFolders(dir: string): Promise<string[]> {
  return (await listDir(dir)).filter((e) => e.dir && !isHidden(e.name)).map((e) => e.name)
}

interface FolderLayout {
  /** Folders holding the class folders: [root] or [root/train, root/val]. */
  trainRoot: string
  validationRoot?: string
}

async function detectLayout(root: string): Promise<FolderLayout | undefined> {
  const subs = await classFolders(root)
  if (subs.length === 0) return undefined
  const val = VALIDATION_FOLDERS.find((v) => subs.includes(v))
  if (subs.includes('train') && val) {
    const trainRoot = join(root, 'train')
    if ((await classFolders(trainRoot)).length > 0)
      return { trainRoot, validationRoot: join(root, val) }
  }
  return { trainRoot: root }
}

/** Whether some class folder (of the first few) holds an image: cheap, reads no image. */
async function looksLikeImageFolder(root: string): Promise<boolean> {
  const layout = await detectLayout(root)
  if (!layout) return false
  for (const name of (await classFolders(layout.trainRoot)).slice(0, 8)) {
    const entries = await listDir(join(layout.trainRoot, name))
    if (entries.some((e) => !e.dir && isImageName(e.name))) return true
  }
  return false
}

interface FileItem {
  path: string
  label: number
  split: 'train' | 'validation'
}

export const imageFolderImporter: DatasetImporter = {
  id: 'image-folder',
  label: 'Image folder (one sub-folder of PNG/JPEG images per class)',

  async match(path: string): Promise<boolean> {
    return (await isDirectory(path)) && (await looksLikeImageFolder(path))
  },

  async open(root: string, options: ImportOptions = {}) {
    checkOptions(options, root)
    if (!(await isDirectory(root))) throw new ImportError(root, 'not a folder')
    const layout = await detectLayout(root)
    if (!layout) throw new ImportError(root, 'no class sub-folders found')
    const useSource = layout.validationRoot !== undefined && options.split !== 'seeded'
    const ignored = { count: 0 }
    const policy = new BadFilePolicy(options.onBadFile)
    let folder: ConfinedFolder
    try {
      folder = new ConfinedFolder(root)
    } catch (err) {
      throw importErrorFrom(root, err)
    }
    const walk: Walk = { folder, policy, ignored }

    const folderNames = await classFolders(layout.trainRoot)
    const classNames = options.classNames?.slice() ?? folderNames
    const labelOf = (name: string, where: string): number => {
      const label = classNames.indexOf(name)
      if (label < 0) {
        throw new ImportError(
          where,
          `class folder "${name}" is not in the class list (${classNames.join(', ')})`
        )
      }
      return label
    }
    if (classNames.length > 256)
      throw new ImportError(root, `${classNames.length} classes; at most 256 are supported`)
    if (classNames.length < 2) {
      throw new ImportError(
        layout.trainRoot,
        `only one class folder ("${classNames[0]}"); a classifier needs at least two: put each class's images in its own sub-folder`
      )
    }

    const items: FileItem[] = []
    const collect = async (splitRoot: string, split: FileItem['split']) => {
      for (const name of await classFolders(splitRoot)) {
        const classFolder = join(splitRoot, name)
        const label = labelOf(name, classFolder)
        const files = await listImages(classFolder, walk)
        if (files.length === 0)
          throw new ImportError(classFolder, 'empty class folder (no PNG or JPEG images)')
        for (const path of files) items.push({ path, label, split })
      }
    }
    await collect(layout.trainRoot, 'train')
    if (layout.validationRoot) await collect(layout.validationRoot, 'validation')

    // Cap before decoding so that a 100k-image folder capped at 500 per class reads 500.
    const seed = options.splitSeed ?? DEFAULT_SPLIT_SEED
    let selected = items
    if (options.maxPerClass !== undefined) {
      const cap = options.maxPerClass
      const pick = (list: FileItem[]) =>
        capPerClass(
          list.map((it) => it.label),
          classNames.length,
          cap,
          seed
        ).map((i) => list[i] as FileItem)
      selected = useSource
        ? [
            ...pick(items.filter((it) => it.split === 'train')),
            ...pick(items.filter((it) => it.split === 'validation'))
          ]
        : pick(items)
    }

    if (options.size && options.channels) {
      checkMemoryBudget(options, root, selected.length, {
        ...options.size,
        channels: options.channels
      })
    }
    const perClass = new Array<number>(classNames.length).fill(0)
    let target:
      | { height: number; width: number; channels: number; resample?: ImportOptions['resample'] }
      | undefined
    let train: PackedImages | undefined
    let validation: PackedImages | undefined
    for (const [i, item] of selected.entries()) {
      checkpoint(options, i / selected.length, item.path)
      let img: RawImage
      try {
        // Resolved again at read time: a link swapped since the listing still cannot lead out.
        const real = folder.resolveFound(item.path)
        const bytes = await readFileBoundedAsync(real, {
          maxBytes: MAX_IMAGE_FILE_BYTES,
          shownAs: item.path,
          what: 'an image file'
        })
        img = decodeImage(bytes, { maxPixels: options.maxImagePixels })
      } catch (err) {
        policy.handle(importErrorFrom(item.path, err))
        continue
      }
      if (!target) {
        // The first good image fixes the defaults: its size, gray -> 1 channel, colour -> 3.
        target = {
          height: options.size?.height ?? img.height,
          width: options.size?.width ?? img.width,
          channels: options.channels ?? img.channels,
          resample: options.resample
        }
        checkMemoryBudget(options, root, selected.length, target)
        const size = target.height * target.width * target.channels
        train = new PackedImages(size)
        validation = new PackedImages(size)
      }
      const pixels = conformImage(img, target)
      ;(item.split === 'validation' && useSource ? validation : train)?.push(pixels, item.label)
      perClass[item.label] = (perClass[item.label] ?? 0) + 1
    }
    if (!target || !train || !validation)
      throw new ImportError(root, 'no readable image in the folder')
    checkpoint(options, 1, root)
    // Even with onBadFile 'skip', a class that lost all its images would silently vanish.
    for (const [label, name] of classNames.entries()) {
      if (perClass[label] === 0) {
        throw new ImportError(
          join(layout.trainRoot, name),
          'no readable image left in this class folder'
        )
      }
    }

    return assembleDataset({
      importer: imageFolderImporter.id,
      source: root,
      classNames,
      ...target,
      train: train.toSplit(),
      validation: useSource ? validation.toSplit() : undefined,
      shuffleSourceSplit: true,
      options,
      skipped: policy.skipped,
      capApplied: true,
      extra: {
        fileCount: selected.length,
        ignoredFiles: ignored.count,
        layout: layout.validationRoot
          ? [relative(root, layout.trainRoot), relative(root, layout.validationRoot)]
          : ['.']
      }
    })
  }
}
